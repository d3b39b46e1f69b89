"""Two co-organisers answering the organiser at the same moment (PostgreSQL runs the two
inbox requests concurrently): the regional event published last must list both."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from node.db import db
from node.federation.models import APPROVED
from node.models import FeedEntry, Peer, RegionalEvent
from node.regional import regional
from node.regional import sync as regional_sync
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="SQLite runs one writer at a time")

BLEAU, CALANQUES = "https://bleau.example", "https://calanques.example"


def answer(session, node_id: str, object_id: str) -> None:
    peer = session.scalar(select(Peer).where(Peer.node_id == node_id))
    regional_sync.receive_answer(session, peer, {"content": {
        "regional_event_id": object_id, "decision": "accepted"}})


def test_two_answers_at_once_both_stay_in_the_published_list(app, session, create_member, clock):
    manager = create_member("cm@example.org", role="manager")
    session.add_all([Peer(node_id=node, name=node, status=APPROVED) for node in (BLEAU, CALANQUES)])
    session.commit()
    now = clock.now()
    start = (now + timedelta(days=3)).replace(tzinfo=None, microsecond=0)
    week = regional.create_regional(session, manager, {
        "title": "Semaine du coworking", "starts_at": start,
        "ends_at": start + timedelta(days=5)}, now)
    regional.invite(session, week, [BLEAU, CALANQUES], now)
    session.commit()
    object_id = week.object_id

    first, second = db.new_session(app), db.new_session(app)
    answer(first, BLEAU, object_id)  # not committed yet: the second answer arrives meanwhile
    done = threading.Event()

    def concurrent() -> None:
        answer(second, CALANQUES, object_id)
        second.commit()
        done.set()

    thread = threading.Thread(target=concurrent)
    thread.start()
    assert not done.wait(0.5)  # the second answer waits for the first one's publication
    first.commit()
    thread.join(10)
    assert done.is_set()
    first.close()
    second.close()

    session.expire_all()
    latest = session.scalars(select(FeedEntry).where(FeedEntry.item_type == "event.regional")
                             .order_by(FeedEntry.seq.desc())).first()
    assert latest is not None and f'"participants":["{BLEAU}","{CALANQUES}"]' in latest.item_json
    assert regional.co_organisers(session, session.get(RegionalEvent, week.id))[1:] == [BLEAU, CALANQUES]
