"""Program pages (filters, FR/EN, public page), the iCal feeds, the portal registration of a
remote session, and the organiser's report with aggregates only."""

from __future__ import annotations

from datetime import timedelta

import icalendar
from sqlalchemy import select

from node.events import ical, registrations
from node.models import Member, Registration
from node.regional import regional
from node.regional import registration as remote
from tests.conftest import PortalClient
from tests.regional.conftest import add_member, call, local, wait_delivered


def program_filters_by_day_space_and_type(week):
    aix, bleau, calanques = week.nodes
    for node in week.nodes:
        assert [s["title"] for s in week.program(node, space=calanques.url)] == ["Apéro des calanques"]
        assert [s["title"] for s in week.program(node, kind="social")] == ["Apéro des calanques"]
        assert [s["title"] for s in week.program(node, kind="meetup")] == ["Meetup freelances"]
        assert [s["host"] for s in week.program(node)] == [aix.url, bleau.url, calanques.url]
    assert len(week.program(bleau, day=week.start.date().isoformat())) == 1
    assert [s["title"] for s in week.program(bleau, day=(week.start + timedelta(days=1)).date().isoformat())] == [
        "Meetup freelances"]
    response = aix.client().get(f"/api/v1/regional/{week.regional_on(aix)}/program",
                                query_string={"kind": "rave"})
    assert response.status_code == 422


def public_program_page_in_french_and_english_and_ical(week):
    aix, bleau, _calanques = week.nodes
    visitor = bleau.client()
    page = visitor.get(f"/regional/{week.regional_on(bleau)}").get_data(as_text=True)
    assert "Semaine du coworking" in page and "Programme" in page and "Apéro des calanques" in page
    assert "Coworking Aix" in page  # the host of a session, by name
    english = bleau.client().get(f"/regional/{week.regional_on(bleau)}",
                                 headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "<h2>Program</h2>" in english and "Organised by <bdi>Coworking Aix</bdi>" in english
    filtered = visitor.get(f"/regional/{week.regional_on(bleau)}?space={aix.url}").get_data(as_text=True)
    assert "Atelier compta" in filtered and "Apéro des calanques" not in filtered
    body = visitor.get(f"/regional/{week.regional_on(bleau)}/program.ics").data
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert sorted(str(e["uid"]) for e in events) == sorted(week.sessions.values())
    # The same calendar, UIDs included, from every node.
    other = icalendar.Calendar.from_ical(aix.client().get(f"/regional/{week.regional_on(aix)}/program.ics").data)
    assert sorted(str(e["uid"]) for e in other.walk("VEVENT")) == sorted(week.sessions.values())


def network_only_event_is_hidden_from_visitors(week):
    aix = week.nodes[0]
    call(aix, "PATCH", f"/regional/{week.regional_on(aix)}", week.managers[0], {"visibility": "network"})
    week.sync_all()
    for node in week.nodes:
        assert node.client().get(f"/regional/{week.regional_on(node)}").status_code == 404
        assert node.client().get(f"/api/v1/regional/{week.regional_on(node)}/program").status_code == 404
        assert node.client().get("/api/v1/regional").json == []


def member_registers_from_the_portal_and_sees_confirmed_and_personal_feed(week):
    aix, bleau, _calanques = week.nodes
    member_id = add_member(aix, "alice@aix.example", "Alice Martin")
    portal = PortalClient(aix.client())
    assert portal.login("alice@aix.example").status_code == 302
    target = week.session_id_on(aix, week.sessions["bleau"])
    response = portal.post(f"/regional/sessions/{target}/register", {"share_email": "1"})
    assert response.status_code == 302
    # The host answered within the request: the message and the program agree, seats included.
    program = portal.get(response.headers["Location"]).get_data(as_text=True)
    assert "Vous êtes inscrit·e." in program and "en attente" not in program
    session_item = program[program.index(f'data-session="{week.sessions["bleau"]}"'):]
    assert 'data-status="confirmed"' in session_item.split("</li>")[0]
    assert "Il reste 9 places sur 10" in session_item.split("</li>")[0]
    wait_delivered(aix)
    page = portal.get("/regional/mine").get_data(as_text=True)
    assert "Meetup freelances" in page and 'data-status="confirmed"' in page
    # "My events" of her own space lists it too, with its host and status.
    mine = portal.get("/events/mine").get_data(as_text=True)
    assert "Dans d’autres espaces du réseau" in mine and "Meetup freelances" in mine and "confirmé" in mine
    # The host's attendee list shows her, with what she agreed to share.
    with bleau.session() as session:
        (row,) = registrations.attendees(session, session.scalar(select(Registration.occurrence_id)))
        assert (row.display_name, row.email, row.remote_node_id) == ("Alice Martin", "alice@aix.example", aix.url)
    # Her personal calendar (events area) includes the remote session.
    with aix.session() as session:
        feed_token = ical.regenerate_feed_token(session, session.get(Member, member_id))
        session.commit()
    calendar = icalendar.Calendar.from_ical(aix.client().get(f"/events/feed/{feed_token}.ics").data)
    assert [str(e["summary"]) for e in calendar.walk("VEVENT")] == ["Meetup freelances"]


def organisers_report_has_aggregates_per_space(week):
    aix, bleau, calanques = week.nodes
    with bleau.session() as session:  # Alice of Aix registered from the portal
        registration = session.scalar(select(Registration))
        registrations.mark_attendance(session, registration, "present")
        session.commit()
    sent = call(bleau, "POST", f"/regional/{week.regional_on(bleau)}/report", week.managers[1]).json
    assert sent == {"sessions": 1, "registrations": 1, "remote_registrations": 1, "attendance": 1,
                    "introductions": 0}
    wait_delivered(bleau)
    lines = {line["node_id"]: line for line in
             call(aix, "GET", f"/regional/{week.regional_on(aix)}/report", week.managers[0]).json}
    assert lines[bleau.url]["registrations"] == 1 and lines[bleau.url]["attendance"] == 1
    assert lines[aix.url]["sessions"] == 1 and lines[aix.url]["reported"] is True
    assert lines[calanques.url] == {**lines[calanques.url], "sessions": 1, "reported": False}
    page = PortalClient(aix.client())
    page.login("manager@aix.example")
    html = page.get(f"/regional/{week.regional_on(aix)}/report").get_data(as_text=True)
    assert "Bilan de l’organisateur" in html
    assert "Alice" not in html
    # Only the organiser has a report.
    call(bleau, "GET", f"/regional/{week.regional_on(bleau)}/report", week.managers[1], expect=403)


def test_program_pages_filters_public_page_and_ical(week):
    program_filters_by_day_space_and_type(week)
    public_program_page_in_french_and_english_and_ical(week)
    network_only_event_is_hidden_from_visitors(week)
    organiser_cancels_the_week_from_the_portal(week)


def test_portal_registration_personal_feed_and_organisers_report(week):
    member_registers_from_the_portal_and_sees_confirmed_and_personal_feed(week)
    organisers_report_has_aggregates_per_space(week)
    program_page_reads_my_registrations_at_once(week)


def program_page_reads_my_registrations_at_once(week):
    """The program page reads the member's registrations of every session at once (local and
    remote): the same answers as one by one."""
    aix = week.nodes[0]
    portal = PortalClient(aix.client())
    portal.login("alice@aix.example")
    here = week.session_id_on(aix, week.sessions["aix"])
    assert portal.post(f"/regional/sessions/{here}/register").status_code == 302
    with aix.session() as session:
        member = session.scalar(select(Member).where(Member.email == "alice@aix.example"))
        rows = regional.program(session, regional.get_regional(
            session, week.regional_on(aix), member)).sessions
        one_by_one = {row.object_id: remote.mine_for(session, member, row) for row in rows}
        at_once = remote.mine_for_all(session, member, rows)
    assert at_once == {key: mine for key, mine in one_by_one.items() if mine is not None}
    assert {mine.status for mine in at_once.values()} == {"confirmed"} and len(at_once) == 2
    page = portal.get(f"/regional/{week.regional_on(aix)}").get_data(as_text=True)
    assert page.count('data-status="confirmed"') == 2


def organiser_cancels_the_week_from_the_portal(week):
    aix = week.nodes[0]
    portal = PortalClient(aix.client())
    portal.login("manager@aix.example")
    page = portal.get(f"/regional/{week.regional_on(aix)}").get_data(as_text=True)
    assert "Annuler l’événement régional" in page
    assert portal.post(f"/regional/{week.regional_on(aix)}/cancel", {"confirm": "1"}).status_code == 302
    assert "Cet événement régional est annulé." in portal.get(f"/regional/{week.regional_on(aix)}").get_data(
        as_text=True)
    week.sync_all()
    for node, headers in zip(week.nodes, week.managers, strict=True):
        assert call(node, "GET", f"/regional/{week.regional_on(node)}", headers).json["status"] == "cancelled"


def test_invitation_accepted_from_the_managers_portal(week):
    aix, bleau, _calanques = week.nodes
    organiser = PortalClient(bleau.client())
    organiser.login("manager@bleau.example")
    response = organiser.post("/regional/", {
        "title": "Nuit du coworking", "region": "Île-de-France", "visibility": "network",
        "starts_at": local(week.start + timedelta(days=10)), "ends_at": local(week.start + timedelta(days=11)),
        "description": ""})
    assert response.status_code == 302
    page = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Inviter des pairs" in page and aix.url in page
    regional_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    assert organiser.post(f"/regional/{regional_id}/invitations", {"node_ids": aix.url}).status_code == 302
    wait_delivered(bleau)
    invitee = PortalClient(aix.client())
    invitee.login("manager@aix.example")
    listing = invitee.get("/regional/").get_data(as_text=True)
    assert "Invitations à co-organiser" in listing and "Nuit du coworking" in listing
    invited_id = max(r["id"] for r in call(aix, "GET", "/regional", week.managers[0]).json)
    assert invitee.post(f"/regional/{invited_id}/answer", {"decision": "accepted"}).status_code == 302
    wait_delivered(aix)
    (row,) = call(bleau, "GET", f"/regional/{regional_id}", week.managers[1]).json["participants"]
    assert (row["node_id"], row["status"]) == (aix.url, "accepted")
