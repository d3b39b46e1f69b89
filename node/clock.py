"""What time it is, for a whole node.

The request handlers, the API and the scheduler's jobs ask the node's clock (``clock_of(app)``,
or ``current_clock()`` inside a request) instead of the system clock, so that a test can pin the
moment a page or a job sees. Services never read a clock of their own where a caller can pass
``now``: they take it as an argument."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

EXTENSION_KEY = "coworknet.clock"


class Clock:
    """The system clock in UTC, unless pinned to a moment (tests only)."""

    def __init__(self) -> None:
        self._pinned: datetime | None = None

    def now(self) -> datetime:
        return self._pinned if self._pinned is not None else datetime.now(UTC)

    def pin(self, moment: datetime) -> datetime:
        """From now on ``now()`` answers ``moment`` (an aware datetime) until ``unpin()``."""
        if moment.tzinfo is None:
            raise ValueError("pin the clock to an aware datetime")
        self._pinned = moment.astimezone(UTC)
        return self._pinned

    def unpin(self) -> None:
        self._pinned = None

    @property
    def pinned(self) -> bool:
        return self._pinned is not None


def clock_of(app: Any) -> Clock:
    return app.extensions[EXTENSION_KEY]


def current_clock() -> Clock:
    from flask import current_app

    return clock_of(current_app)
