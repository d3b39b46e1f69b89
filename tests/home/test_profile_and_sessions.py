"""A profile's bio as safe Markdown, its visibility as the member and the others read it, the
contact fields each member chooses to show (never exported to peers); and the Coworking Week
program in the events area's types, with a page per session."""

from __future__ import annotations

from datetime import timedelta

import icalendar

from node.accounts.models import Space
from node.members import profiles
from node.regional import regional
from node.regional.models import RegionalSession

BIO = ("Je fais de la **compta** pour [indépendants](https://example.org/compta).\n\n"
       "<script>alert('x')</script>\n\n[piège](javascript:alert(1))")


def test_the_bio_is_rendered_as_markdown_without_html_and_with_safe_links(portal, create_member):
    lea = create_member("lea@example.org", bio=BIO)
    create_member("paul@example.org")
    portal.login("paul@example.org")
    page = portal.get(f"/members/{lea.id}").get_data(as_text=True)
    bio = page[page.index('class="bio"'):]
    bio = bio[:bio.index("</div>")]
    assert "<strong>compta</strong>" in bio
    assert '<a href="https://example.org/compta" rel="nofollow ugc noopener">indépendants</a>' in bio
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in bio  # shown as the text it was, not run
    assert 'href="javascript' not in bio and "<a " not in bio.split("indépendants</a>")[1]


def test_contacts_shown_to_the_space_hidden_ones_only_to_their_owner(portal, session, create_member):
    lea = create_member("lea@example.org", display_name="Léa Martin", visibility="network_named")
    profiles.update_profile(session, lea, {"contacts": {
        "phone": "+33 6 12 34 56 78", "show_phone": True, "website": "https://lea.example",
        "show_website": False, "email": "", "linkedin": "", "mastodon": "@lea@piaille.fr",
        "show_mastodon": True}})
    session.commit()
    create_member("paul@example.org")

    portal.login("paul@example.org")
    english = {"Accept-Language": "en"}
    other = portal.get(f"/members/{lea.id}", headers=english).get_data(as_text=True)
    assert 'href="tel:+33612345678"' in other and 'href="https://piaille.fr/@lea"' in other
    assert "lea.example" not in other
    assert 'data-visibility="network_named"' in other and "Who sees my profile" not in other

    portal.post("/logout")
    portal.login("lea@example.org")
    own = portal.get(f"/members/{lea.id}", headers=english).get_data(as_text=True)
    assert "lea.example" in own and "only you see it" in own
    french = portal.get(f"/members/{lea.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "vous seul·e le voyez" in french and "Qui voit mon profil" in french
    assert "Who sees my profile" in own and 'href="/network/my-entry"' in own


def test_contacts_are_edited_in_the_profile_form_and_a_bad_one_keeps_the_typing(portal, session, create_member):
    lea = create_member("lea@example.org", display_name="Léa Martin")
    portal.login("lea@example.org")
    form = {"display_name": "Léa Martin", "visibility": "space", "contact_phone": "pas un numéro",
            "show_phone": "1", "contact_website": "lea.example"}
    response = portal.post("/profile", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="contact_phone-error"' in page and 'value="pas un numéro"' in page and 'value="lea.example"' in page
    response = portal.post("/profile", {**form, "contact_phone": "04 91 00 00 00"})
    assert response.status_code == 302
    session.refresh(lea)
    assert {(c.kind, c.value, c.is_shown) for c in lea.contacts} == {
        ("phone", "04 91 00 00 00", True), ("website", "https://lea.example", False)}


def _week(session, manager, now, *, visibility="public"):
    week = regional.create_regional(session, manager, {
        "title": "Semaine du coworking", "starts_at": now + timedelta(days=2),
        "ends_at": now + timedelta(days=9), "visibility": visibility, "timezone": "Europe/Paris"}, now)
    start = now + timedelta(days=3)
    ours = regional.create_session(session, manager, week, {
        "title": "Soirée jeux de société", "type": "soiree_jeux", "start_at": start.replace(tzinfo=None),
        "end_at": (start + timedelta(hours=3)).replace(tzinfo=None), "capacity": 12}, now)
    session.commit()
    return week, ours


def test_program_and_session_page_speak_the_events_area_types(client, session, create_member, clock):
    session.add(Space(name="La Coque Bleue", city="Marseille", base_url="http://localhost"))
    manager = create_member("gerant@example.org", role="manager")
    week, ours = _week(session, manager, clock.now())
    assert ours.kind == "social"  # the wire's coarse kind stays as the protocol says

    program = client.get(f"/regional/{week.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert 'data-type="soiree_jeux"' in program and f'href="/regional/sessions/{ours.id}"' in program
    filtered = client.get(f"/regional/{week.id}?type=atelier").get_data(as_text=True)
    assert "Soirée jeux de société" not in filtered

    page = client.get(f"/regional/sessions/{ours.id}", headers={"Accept-Language": "en"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-type="soiree_jeux"' in text and "Game night" in text
    assert "12 seats left of 12" in text and "Sign in to register" in text
    assert f'href="/regional/sessions/{ours.id}.ics"' in text
    ics = icalendar.Calendar.from_ical(client.get(f"/regional/sessions/{ours.id}.ics").data)
    assert [str(e["uid"]) for e in ics.walk("VEVENT")] == [ours.object_id]


def test_a_session_of_another_space_shows_the_type_of_its_kind(client, session, create_member, clock):
    manager = create_member("gerant@example.org", role="manager")
    week, _ours = _week(session, manager, clock.now())
    start = clock.now() + timedelta(days=4)
    # A copy that claims the event from a node that is not a co-organiser: not in the program.
    stranger = RegionalSession(object_id="https://other.example/regional-session/1",
                               regional_event_object_id=week.object_id, host="https://other.example",
                               host_name="Ailleurs", title="Intrus", kind="workshop",
                               starts_at=start, ends_at=start + timedelta(hours=1))
    session.add(stranger)
    session.commit()
    assert client.get(f"/regional/sessions/{stranger.id}").status_code == 404
    assert regional.session_types(session, [stranger]) == {stranger.id: "atelier"}


def test_a_network_only_session_is_hidden_from_visitors(client, session, create_member, clock):
    manager = create_member("gerant@example.org", role="manager")
    _week_row, ours = _week(session, manager, clock.now(), visibility="network")
    assert client.get(f"/regional/sessions/{ours.id}").status_code == 404
    assert client.get(f"/regional/sessions/{ours.id}.ics").status_code == 404
