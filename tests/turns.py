"""Two transactions that must take turns: the second, started while the first is open, waits
for it, then sees what it committed (``node.db.for_update``). Tests using it are marked
``real_timers``: the check that the second waits is a timed wait, which faketime never ends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

#: How long the second transaction must still be waiting for the first.
WAITS_AT_LEAST = 0.5


def second_waits_for_first(finish_first: Callable[[], None], second: Callable[[], Any]) -> Any:
    """Run ``second`` in another thread while the first transaction is open; check it is still
    waiting after :data:`WAITS_AT_LEAST` seconds; then ``finish_first()`` (apply and commit)
    and return what ``second`` returned, or the exception it raised."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(second())
        except Exception as exc:  # noqa: BLE001 - handed to the test, which says what it expects
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(WAITS_AT_LEAST)
    waited = thread.is_alive()
    finish_first()
    thread.join(30)
    assert waited, "the second transaction did not wait for the first"
    assert not thread.is_alive(), "the second transaction never ended"
    return outcome[0]
