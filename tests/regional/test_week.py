"""The whole flow with three real nodes: invitation, one program everywhere, cross-node
registration with shared data only, promotion, cancellation, iCal, report."""

from __future__ import annotations

from sqlalchemy import select

from node.models import Registration, RemoteRegistration  # noqa: F401
from tests.regional.conftest import add_member, call, token, wait_delivered


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
