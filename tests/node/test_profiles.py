"""Profiles: editing through the portal and the API, skills, photos, bad input."""

from __future__ import annotations

import io

from node.models import Member, MemberLanguage, MemberSkill
from tests.conftest import count_rows

PNG_1PX = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
    b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _profile_form(**overrides):
    form = {
        "display_name": "Hélène Brun", "headline": "Traductrice anglais-français",
        "bio": "J'aime les mots justes.", "trade_id": "", "visibility": "network_anonymous",
        "skill_label": ["Comptabilité", "expert-comptable", "Sérigraphie Artisanale", ""],
        "skill_level": ["confirme", "expert", "debutant", "confirme"],
        "languages": ["fr", "en"], "open_to_help": "on", "locale": "",
    }
    form.update(overrides)
    return form


def test_profile_edit_normalises_skills(portal, create_member, session):
    member = create_member("helene@example.org")
    portal.login("helene@example.org")
    response = portal.post("/profile", _profile_form())
    assert response.status_code == 302
    session.expire_all()
    skills = {s.skill_key: s for s in session.get(Member, member.id).skills}
    # "Comptabilité" and "expert-comptable" are one skill; the higher level wins.
    concept_keys = [k for k in skills if k.startswith("concept:")]
    assert len(concept_keys) == 1 and skills[concept_keys[0]].level == "expert"
    assert skills["tag:serigraphie artisanale"].label == "Sérigraphie Artisanale"
    assert sorted(session.get(Member, member.id).language_codes) == ["en", "fr"]
    page = portal.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Hélène Brun" in page and "Sérigraphie Artisanale" in page


def test_invalid_profile_changes_nothing(portal, create_member, session):
    member = create_member("helene@example.org", display_name="Hélène")
    portal.login("helene@example.org")
    for bad in (
        _profile_form(display_name=""),
        _profile_form(visibility="everyone"),
        _profile_form(languages=["fr", "xx"]),
        _profile_form(trade_id="astronaut-of-the-sea"),
        _profile_form(skill_level=["wizard", "expert", "debutant", "confirme"]),
        _profile_form(bio="x" * 5000),
        _profile_form(surprise="field"),
    ):
        response = portal.post("/profile", bad)
        assert 400 <= response.status_code < 500
    session.expire_all()
    assert session.get(Member, member.id).display_name == "Hélène"
    assert count_rows(session, MemberSkill) == 0
    assert count_rows(session, MemberLanguage) == 0


def test_photo_type_and_size_are_checked(portal, create_member, session, app):
    member = create_member("helene@example.org")
    portal.login("helene@example.org")
    fake = _profile_form(photo=(io.BytesIO(b"GIF89a not allowed"), "x.png"))
    assert portal.post("/profile", fake, content_type="multipart/form-data").status_code == 422
    big = PNG_1PX + b"\0" * app.config["PHOTO_MAX_BYTES"]
    response = portal.post("/profile", _profile_form(photo=(io.BytesIO(big), "big.png")),
                           content_type="multipart/form-data")
    assert response.status_code in (413, 422)
    session.expire_all()
    assert session.get(Member, member.id).photo_filename is None
    ok = portal.post("/profile", _profile_form(photo=(io.BytesIO(PNG_1PX), "me.png")),
                     content_type="multipart/form-data")
    assert ok.status_code == 302
    photo = portal.get(f"/members/{member.id}/photo")
    assert photo.status_code == 200 and photo.data == PNG_1PX


def test_api_profile_update(client, create_member, api_token, session):
    member = create_member("helene@example.org")
    headers = api_token(member)
    body = {"headline": "Comptable", "skills": [{"label": "bookkeeping", "level": "expert"}],
            "languages": ["fr"], "open_to_paid": True}
    response = client.patch("/api/v1/me", json=body, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["skills"][0]["concept_id"] is not None
    assert response.json["open_to_paid"] is True


def test_api_rejects_bad_input_and_writes_nothing(client, create_member, api_token, session):
    member = create_member("helene@example.org", display_name="Hélène")
    headers = api_token(member)
    cases = [
        dict(data="{not json", content_type="application/json"),
        dict(data="[1, 2]", content_type="application/json"),
        dict(data="display_name=x", content_type="application/x-www-form-urlencoded"),
        dict(json={"display_name": "X", "unknown": 1}),
        dict(json={"display_name": 42}),
        dict(json={"open_to_help": "maybe"}),
        dict(json={"skills": [{"label": "x", "level": "god"}]}),
        dict(json={"skills": "comptable"}),
        dict(json={"languages": ["french"]}),
    ]
    for case in cases:
        response = client.patch("/api/v1/me", headers=headers, **case)
        assert 400 <= response.status_code < 500, case
        error = response.json["error"]
        assert error["code"] and error["message"]
    session.expire_all()
    assert session.get(Member, member.id).display_name == "Hélène"
    assert count_rows(session, MemberSkill) == 0


def test_api_unknown_field_names_the_field(client, create_member, api_token):
    member = create_member()
    response = client.patch("/api/v1/me", json={"nickname": "x"}, headers=api_token(member))
    assert response.status_code == 422
    assert "nickname" in response.json["error"]["fields"]


def test_decomposed_accents_are_stored_composed(client, create_member, api_token, session):
    member = create_member()
    decomposed = "He\u0301le\u0300ne"  # "Hélène" typed with combining accents
    response = client.patch("/api/v1/me", json={"display_name": decomposed, "headline": "Traduc\u0327trice"},
                            headers=api_token(member))
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Member, member.id).display_name == "Hélène"


def test_a_rejected_profile_form_keeps_what_was_typed(portal, create_member):
    create_member("helene@example.org", display_name="Hélène")
    portal.login("helene@example.org")
    form = _profile_form(visibility="everyone", headline="Interprète de conférence",
                         skill_label=["Sous-titrage", "", "", ""])
    response = portal.post("/profile", form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'value="Interprète de conférence"' in page and 'value="Sous-titrage"' in page


def test_the_member_trade_picks_the_sense_of_a_skill(portal, create_member, session):
    # "Tournage" is pottery throwing for a ceramicist, video shooting for a videographer;
    # "Programmation" is event programming for an event planner.
    cases = (("ceramicist", "pottery-throwing", "programming"),
             ("videographer", "videography", "programming"),
             ("event-planner", "videography", "event-programming"))
    for index, (trade, tournage, programmation) in enumerate(cases):
        email = f"member{index}@example.org"
        member = create_member(email)
        portal.login(email)
        form = _profile_form(trade_id=trade, skill_label=["Tournage", "Programmation", "", ""])
        assert portal.post("/profile", form).status_code == 302
        session.expire_all()
        concepts = {s.label: s.concept_id for s in session.get(Member, member.id).skills}
        assert concepts == {"Tournage": tournage, "Programmation": programmation}, trade


def test_a_phrase_maps_to_the_concept_inside_it_without_swallowing_a_skill(session, create_member):
    """"Comptabilité TPE" alone is accounting; next to "Cuisine", "cuisine provençale" stays a
    skill of its own, as typed, rather than merging into cooking."""
    from node.members.profiles import update_profile

    member = create_member("chef@example.org")
    update_profile(session, member, {"skills": [
        {"label": "Cuisine", "level": "expert"},
        {"label": "cuisine provençale", "level": "expert"},
        {"label": "comptabilité TPE", "level": "debutant"},
        {"label": "comptabilté", "level": "debutant"},  # a typo of a second skill: merged
    ]})
    session.commit()
    skills = {s.label: s.concept_id for s in session.get(Member, member.id).skills}
    assert skills["Cuisine"] == "cooking" and skills["cuisine provençale"] is None
    assert "accounting" in skills.values()
    assert len(skills) == 3


def test_skills_are_mapped_again_when_the_vocabulary_changes(session, create_member, app):
    """A skill stored under an old reading (a concept the vocabulary no longer gives that text)
    is mapped again by the daily job; members whose skills did not change are not touched."""
    from node.domain_events import MembersChanged
    from node.members.profiles import renormalise_skills
    from node.uow import recorded

    potter = create_member("potter@example.org", trade_id="ceramicist",
                           skills=[("Émaillage", "expert"), ("Tournage", "confirme")])
    steady = create_member("steady@example.org", skills=[("comptabilité", "expert")])
    skill = next(s for s in potter.skills if s.label == "Émaillage")
    skill.concept_id, skill.skill_key = "email-marketing", "concept:email-marketing"  # an old reading
    session.commit()
    changed = renormalise_skills(session)
    events = [e for e in recorded(session) if isinstance(e, MembersChanged)]
    session.commit()
    assert changed == {potter.id} and steady.id not in changed
    assert events and potter.id in events[0].member_ids
    session.expire_all()
    skills = {s.label: s.concept_id for s in session.get(Member, potter.id).skills}
    assert skills["Émaillage"] != "email-marketing" and skills["Émaillage"] is not None
    assert skills["Tournage"] == "pottery-throwing"
    assert renormalise_skills(session) == set()  # nothing left to change
