"""The whole flow with three real nodes: invitation, one program everywhere, cross-node
registration with shared data only, promotion, cancellation, iCal, report."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from node.models import Registration, RemoteRegistration  # noqa: F401
from tests.regional.conftest import add_member, call, local, token, wait_delivered


def test_one_program_everywhere_and_cross_node_registration(week):
    aix, bleau, calanques = week.nodes
    programs = [[(s["object_id"], s["title"], s["starts_at"], s["status"]) for s in week.program(node)]
                for node in week.nodes]
    assert len(programs[0]) == 3
    assert programs[0] == programs[1] == programs[2]
    # A member of Aix registers for Bleau's session from Aix, sharing their email.
    alice = token(aix, add_member(aix, "alice@aix.example", "Alice Martin"))
    bleau_session = week.session_id_on(aix, week.sessions["bleau"])
    mine = call(aix, "POST", f"/regional/sessions/{bleau_session}/registration", alice,
                {"share_email": True}, expect=201).json
    assert mine["is_remote"] is True
    wait_delivered(aix)
    listed = call(aix, "GET", "/me/regional-registrations", alice).json
    assert [(r["title"], r["status"]) for r in listed] == [("Meetup freelances", "confirmed")]
    with bleau.session() as session:
        rows = session.scalars(select(Registration)).all()
        assert [(r.display_name, r.email, r.status, r.remote_node_id) for r in rows] == [
            ("Alice Martin", "alice@aix.example", "confirmed", aix.url)]
    # Without the box ticked, the email stays at Aix.
    bob = token(calanques, add_member(calanques, "bob@calanques.example", "Bob"))
    call(calanques, "POST", f"/regional/sessions/{week.session_id_on(calanques, week.sessions['bleau'])}"
         "/registration", bob, {}, expect=201)
    wait_delivered(calanques)
    with bleau.session() as session:
        bob_row = session.scalar(select(Registration).where(Registration.display_name == "Bob"))
        assert bob_row.email is None and bob_row.status == "confirmed"
    # Seats left propagate with the next sync.
    week.sync_all()
    assert {s["title"]: s["seats_left"] for s in week.program(aix)}["Meetup freelances"] == 8


def test_time_room_capacity_changes_and_promotions_propagate(week):
    aix, bleau, calanques = week.nodes
    # Calanques' apéro has one seat: Aix's member gets it, Bleau's member waits.
    first = token(aix, add_member(aix, "first@aix.example", "First"))
    second = token(bleau, add_member(bleau, "second@bleau.example", "Second"))
    apero = week.sessions["calanques"]
    call(aix, "POST", f"/regional/sessions/{week.session_id_on(aix, apero)}/registration", first, {}, expect=201)
    wait_delivered(aix)
    call(bleau, "POST", f"/regional/sessions/{week.session_id_on(bleau, apero)}/registration", second, {},
         expect=201)
    wait_delivered(bleau)
    assert [r["status"] for r in call(bleau, "GET", "/me/regional-registrations", second).json] == ["waitlisted"]
    # The host moves it one hour later and adds a seat: the waitlisted member is promoted.
    moved = week.start + timedelta(days=2, hours=10)
    call(calanques, "PATCH", f"/regional/sessions/{week.session_id_on(calanques, apero)}", week.managers[2],
         {"start_at": local(moved), "end_at": local(moved + timedelta(hours=2)), "capacity": 2})
    wait_delivered(calanques)
    assert [r["status"] for r in call(bleau, "GET", "/me/regional-registrations", second).json] == ["confirmed"]
    # A change made in the events area's admin (not through this area) propagates too.
    compta_event = call(aix, "GET", f"/regional/{week.regional_on(aix)}/program", week.managers[0]).json
    event_id = next(s["event_id"] for s in compta_event["sessions"] if s["object_id"] == week.sessions["aix"])
    call(aix, "PATCH", f"/admin/events/{event_id}", week.managers[0], {"capacity": 3, "title": "Atelier compta (salle 2)"})
    week.sync_all()
    programs = [{s["object_id"]: (s["title"], s["starts_at"], s["capacity"], s["seats_left"])
                 for s in week.program(node)} for node in week.nodes]
    assert programs[0] == programs[1] == programs[2]
    assert programs[1][apero][2:] == (2, 0)
    assert programs[1][apero][1] == moved.isoformat()
    assert programs[2][week.sessions["aix"]][0] == "Atelier compta (salle 2)"
    assert programs[2][week.sessions["aix"]][2] == 3
    # The organiser cancels the whole week: every node shows it, hosts refuse new registrations.
    call(aix, "POST", f"/regional/{week.regional_on(aix)}/cancel", week.managers[0])
    week.sync_all()
    for node in week.nodes:
        assert call(node, "GET", f"/regional/{week.regional_on(node)}", week.managers[
            week.nodes.index(node)]).json["status"] == "cancelled"
    late = token(aix, add_member(aix, "late@aix.example", "Late"))
    call(aix, "POST", f"/regional/sessions/{week.session_id_on(aix, week.sessions['bleau'])}/registration",
         late, {}, expect=409)
