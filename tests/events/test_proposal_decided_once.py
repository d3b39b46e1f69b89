"""A workshop proposal decided twice at once (two managers, a double submit on "Approve") is
decided once: one event, and the second decision is refused."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from node.db import db
from node.errors import Conflict
from node.events import proposals
from node.models import Event, Member, WorkshopProposal

#: A timed wait checks that the second decision waits (faketime never ends one).
pytestmark = pytest.mark.real_timers


def test_two_approvals_at_once_make_one_event(app, session, create_member, clock):
    first_id = create_member("ines@example.org", role="manager").id
    second_id = create_member("marc@example.org", role="manager").id
    author = create_member("zoe@example.org")
    start = clock.now() + timedelta(days=10)
    proposal_id = proposals.propose_workshop(session, author, {
        "title": "Initiation à Figma", "start_at": start, "end_at": start + timedelta(hours=2)},
        clock.now()).id
    session.commit()

    one, two = db.new_session(app), db.new_session(app)
    proposals.decide_proposal(one, one.get(Member, first_id), one.get(WorkshopProposal, proposal_id),
                              "approve", "", clock.now())  # not committed yet
    outcome: list[str] = []

    def approve_again() -> None:
        try:
            proposals.decide_proposal(two, two.get(Member, second_id), two.get(WorkshopProposal, proposal_id),
                                      "approve", "", clock.now())
            two.commit()
            outcome.append("approved")
        except Conflict:
            two.rollback()
            outcome.append("refused")

    thread = threading.Thread(target=approve_again)
    thread.start()
    try:
        thread.join(0.5)
        assert thread.is_alive(), "the second decision did not wait for the first"
        one.commit()
        thread.join(30)
        assert outcome == ["refused"]
    finally:
        one.close()
        two.close()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.title == "Initiation à Figma")) == 1
    assert session.get(WorkshopProposal, proposal_id).status == "approved"
