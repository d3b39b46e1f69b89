"""Push propagation between real nodes: a burst of changes makes few hints (coalesced per peer),
and the peer, whose scheduler only runs its short loop, still ends with every change."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from federation.messages import FEED_HINT
from node.federation import scheduler
from node.models import InboxReceipt

from .helpers import EVENT, copies, event_content, recording_handler, replace_handler

PROMPT = {"FEDERATION_PULL_ON_HINT": True, "FEDERATION_HINT_AFTER_COMMIT": True,
          "FEDERATION_HINT_POLL_SECONDS": 0.1, "FEDERATION_HINT_COALESCE_SECONDS": 0.5}


def wait_for(condition, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def hints_received(node) -> int:
    with node.session() as session:
        return session.scalar(select(func.count()).select_from(InboxReceipt).where(
            InboxReceipt.message_type == FEED_HINT))


@pytest.mark.real_timers
def test_a_burst_of_changes_is_hinted_in_few_hints_and_every_change_arrives(live_nodes,
                                                                             monkeypatch):
    a, b = live_nodes(2, config=PROMPT)
    live_nodes.peer(a, b)
    replace_handler(monkeypatch, "feed", EVENT, recording_handler([]), live_nodes.nodes)
    # b's rounds never run: only its short loop pulls, when a hints it.
    monkeypatch.setattr(scheduler, "run_round", lambda runtime, **_: scheduler.RoundReport(False))
    stop = threading.Event()
    loop = threading.Thread(target=scheduler.run_forever, args=(b.runtime, 3600.0),
                            kwargs={"stop": stop}, daemon=True)
    loop.start()
    try:
        started = time.monotonic()
        for i in range(12):  # twelve commits back to back
            a.publish(EVENT, f"event/{i}", event_content(a.url))
        expected = {f"{a.url}/event/{i}": False for i in range(12)}
        assert wait_for(lambda: copies(b, a) == expected)
    finally:
        stop.set()
        loop.join(10)
    received = hints_received(b)
    elapsed = time.monotonic() - started  # a follower hint may land after the copies did
    # The first hint at once, then at most one per half-second window since the burst began.
    assert 1 <= received <= 2 + int(elapsed / 0.5), (received, elapsed)
    assert received < 12
