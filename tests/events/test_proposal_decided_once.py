"""A workshop proposal decided twice at once (two managers, a double submit on "Approve") is
decided once: one event, and the second decision is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from node.db import db
from node.errors import Conflict
from node.events import proposals
from node.models import Event, Member, WorkshopProposal
from tests.turns import second_waits_for_first

#: tests.turns checks with a timed wait that the second decision waits.
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

    def approve_again():
        return proposals.decide_proposal(two, two.get(Member, second_id), two.get(WorkshopProposal, proposal_id),
                                         "approve", "", clock.now())

    try:
        assert isinstance(second_waits_for_first(one.commit, approve_again), Conflict)
    finally:
        one.close()
        two.close()
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Event).where(Event.title == "Initiation à Figma")) == 1
    assert session.get(WorkshopProposal, proposal_id).status == "approved"
