"""A member acts again on a registration at another node while their node applies the host's
answer about the previous action: the two take turns. The answer read before the member
registered again must not be written over the new request (fault scenario d once ended with
the member's node saying "cancelled" while the host held the seat the member had asked for
again)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from node.db import db
from node.federation.models import APPROVED
from node.models import Member, Peer, RegionalSession, RemoteRegistration
from node.regional import regional
from node.regional import registration as remote
from node.regional import sync as regional_sync
from tests.turns import second_waits_for_first

#: tests.turns checks with a timed wait that one transaction waits for the other.
pytestmark = pytest.mark.real_timers

BLEAU = "https://bleau.example"


def _week_with_a_session_at_bleau(session, manager, now) -> RegionalSession:
    session.add(Peer(node_id=BLEAU, name="La Coque Bleue", status=APPROVED))
    session.commit()
    start = (now + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    week = regional.create_regional(session, manager, {
        "title": "Semaine du coworking", "starts_at": start, "ends_at": start + timedelta(days=5)}, now)
    regional.invite(session, week, [BLEAU], now)
    peer = session.scalar(select(Peer).where(Peer.node_id == BLEAU))
    regional_sync.receive_answer(session, peer, {"content": {
        "regional_event_id": week.object_id, "decision": "accepted"}})
    copy = RegionalSession(object_id=f"{BLEAU}/session/7", regional_event_object_id=week.object_id,
                           host=BLEAU, host_name="La Coque Bleue", is_local=False,
                           title="Atelier compta", starts_at=now + timedelta(days=4),
                           ends_at=now + timedelta(days=4, hours=2), capacity=6, seats_left=6)
    session.add(copy)
    session.commit()
    return copy


def test_a_new_request_waits_for_the_answer_being_applied_and_stays_pending(app, session, create_member, clock):
    now = clock.now()
    manager = create_member("cm@example.org", role="manager")
    member_id = create_member("lea@example.org").id
    copy = _week_with_a_session_at_bleau(session, manager, now)
    member = session.get(Member, member_id)
    remote.register_remote(session, member, copy, share_email=False)
    session.commit()
    mine = remote.cancel_remote(session, member, copy)
    session.commit()
    key, cancel_version = mine.idempotency_key, mine.attempt

    applying, acting = db.new_session(app), db.new_session(app)
    # The host's answer to the cancellation arrives: read under the lock, not applied yet.
    row = remote.by_key(applying, key, lock=True)

    def apply_the_answer() -> None:
        assert remote.apply_answer(applying, row, {
            "session_id": copy.object_id, "idempotency_key": key, "status": "cancelled",
            "position": None, "version": cancel_version, "seq": 2}) is None
        applying.commit()

    def register_again() -> str:
        remote.register_remote(acting, acting.get(Member, member_id),
                               acting.get(RegionalSession, copy.id), share_email=False)
        acting.commit()
        return "registered"

    try:
        assert second_waits_for_first(apply_the_answer, register_again) == "registered"
    finally:
        applying.close()
        acting.close()

    session.expire_all()
    final = session.scalar(select(RemoteRegistration).where(RemoteRegistration.idempotency_key == key))
    assert (final.action, final.status, final.attempt) == ("register", "pending", cancel_version + 1)
    assert final.host_seq == 2
    # A late answer about the cancellation changes nothing now; the answer to the new request does.
    assert remote.apply_answer(session, final, {
        "session_id": copy.object_id, "idempotency_key": key, "status": "cancelled",
        "position": None, "version": cancel_version, "seq": 3}) is None
    assert final.status == "pending"
    remote.apply_answer(session, final, {
        "session_id": copy.object_id, "idempotency_key": key, "status": "confirmed",
        "position": None, "version": final.attempt, "seq": 3})
    assert final.status == "confirmed"
