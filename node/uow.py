"""The unit of work: one commit at each boundary, then what the operations asked for.

How a change travels (docs/DEVELOPING.md, "How a change travels"):

1. A boundary (a request, a CLI command, a sync batch, a job) opens a session and calls
   operations.
2. An operation validates, changes rows, flushes, and **records what happened** as a named
   domain event: ``record(session, MembersChanged({42}))``.
3. The boundary commits. Just before, this module writes one ``pending_work`` row per reaction
   the transaction's events ask for, *in the same transaction*; so a rolled-back or failed
   commit leaves no work behind, and a committed change always leaves its work.
4. After the commit, each of those rows is carried out at once, in a transaction of its own
   that deletes the row: done exactly once. Work that fails stays, with its error and a
   backoff, and the scheduler's ``pending-work`` job retries it until it is done.

Which reaction answers which event is declared in one place, :func:`node.reactions.build`,
read by ``create_app``. A *nudge* (``durable=False``) is for work whose durable record the
operation already wrote (an inbox message's outbox row, delivered now in the background or else
by the scheduler): it runs after the commit and is simply dropped on failure.

This is the only module that listens to SQLAlchemy session events (a test walks the
listeners); nothing here infers intent from dirty objects.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, sessionmaker

from .models.work import PendingWork

logger = logging.getLogger(__name__)

#: ``session.info`` key of the events recorded in the open transaction (this module's only one).
_STATE_KEY = "coworknet.uow"
#: Where the app (``app.extensions``) and each of its sessions (``session.info``) hold the
#: node's federation runtime (``node.federation.keyring.FederationRuntime``); defined here, the
#: module below the features, so that a reaction's context reaches it without importing them.
RUNTIME_INFO_KEY = "coworknet.federation"
#: After this many failed attempts a work row stays, visible to the manager, but is not retried.
MAX_ATTEMPTS = 12
#: How long a worker holds a pending work row it is carrying out (see :meth:`UnitOfWork.run_one`).
CLAIM = timedelta(minutes=5)
#: Backoff of a failed row: 30 s, 1 min, 2 min, ... at most 1 h.
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class DomainEvent:
    """Something that happened, named in the past tense; its fields are JSON-able values."""

    registry: ClassVar[dict[str, type[DomainEvent]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__name__ in DomainEvent.registry:
            raise TypeError(f"two domain events are named {cls.__name__}")
        DomainEvent.registry[cls.__name__] = cls

    def to_json(self) -> dict[str, Any]:
        values = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, datetime):
                value = {"$dt": value.isoformat()}
            elif isinstance(value, frozenset | set | tuple):
                value = sorted(value) if isinstance(value, frozenset | set) else list(value)
            values[f.name] = value
        return {"type": type(self).__name__, **values}

    @staticmethod
    def from_json(data: dict[str, Any]) -> DomainEvent:
        data = dict(data)
        cls = DomainEvent.registry[data.pop("type")]
        kinds = {f.name: f.type for f in dataclasses.fields(cls)}
        values = {}
        for name, value in data.items():
            if isinstance(value, dict) and "$dt" in value:
                value = datetime.fromisoformat(value["$dt"])
            elif isinstance(value, list):
                value = frozenset(value) if "frozenset" in str(kinds.get(name)) else tuple(value)
            values[name] = value
        return cls(**values)


@dataclass
class WorkContext:
    """What a reaction may use: the application (config, mail), its federation runtime, now."""

    app: Any
    now: datetime

    @property
    def runtime(self) -> Any:
        return self.app.extensions[RUNTIME_INFO_KEY]


#: A reaction: ``fn(session, events, ctx)`` does in ``session`` what ``events`` (the events of
#: its types recorded by one transaction, in order) ask for; its own writes commit with the
#: deletion of its work row. It must tolerate events whose rows are gone since.
Reaction = Callable[[Session, list[DomainEvent], WorkContext], None]


#: A nudge: ``fn(events, ctx)`` runs right after the commit, outside any transaction, for work
#: whose durable record the operation wrote itself (e.g. deliver a queued message now rather
#: than at the scheduler's next round). A failed nudge is logged and dropped.
Nudge = Callable[[list[DomainEvent], WorkContext], None]


@dataclass(frozen=True)
class _Entry:
    name: str
    fn: Callable[..., None]
    durable: bool


class Reactions:
    """Which reactions each domain event type asks for, declared once (``node.reactions``)."""

    def __init__(self) -> None:
        self._by_event: dict[type[DomainEvent], list[_Entry]] = {}
        self._by_name: dict[str, _Entry] = {}

    def on(self, event_types: type[DomainEvent] | Iterable[type[DomainEvent]], name: str,
           fn: Reaction) -> None:
        """After a commit that recorded any of ``event_types``, run ``fn`` once with them, as
        durable work (retried until done)."""
        self._add(event_types, name, fn, durable=True)

    def nudge(self, event_types: type[DomainEvent] | Iterable[type[DomainEvent]], name: str,
              fn: Nudge) -> None:
        """After a commit that recorded any of ``event_types``, call ``fn`` once with them."""
        self._add(event_types, name, fn, durable=False)

    def _add(self, event_types: type[DomainEvent] | Iterable[type[DomainEvent]], name: str,
             fn: Callable[..., None], *, durable: bool) -> None:
        if name in self._by_name:
            raise ValueError(f"reaction {name!r} is registered twice")
        entry = _Entry(name, fn, durable)
        self._by_name[name] = entry
        types = [event_types] if isinstance(event_types, type) else list(event_types)
        for event_type in types:
            self._by_event.setdefault(event_type, []).append(entry)

    def for_event(self, event_type: type[DomainEvent]) -> list[_Entry]:
        return self._by_event.get(event_type, [])

    def named(self, name: str) -> _Entry | None:
        return self._by_name.get(name)


@dataclass
class _State:
    events: list[DomainEvent] = dataclasses.field(default_factory=list)
    #: Rows written for this transaction (ids) and nudges to run, filled just before commit.
    work_ids: list[int] = dataclasses.field(default_factory=list)
    nudges: list[tuple[_Entry, list[DomainEvent]]] = dataclasses.field(default_factory=list)


def record(session: Session, domain_event: DomainEvent) -> None:
    """Record that ``domain_event`` happened in the open transaction of ``session``."""
    state = session.info.get(_STATE_KEY)
    if state is None:
        state = session.info[_STATE_KEY] = _State()
    state.events.append(domain_event)


def recorded(session: Session) -> list[DomainEvent]:
    """The events recorded so far in the open transaction (tests, and nothing else)."""
    state = session.info.get(_STATE_KEY)
    return list(state.events) if state else []


class UnitOfWork:
    """Installed once per application on its session factory by ``create_app``."""

    def __init__(self, app: Any, factory: sessionmaker, reactions: Reactions,
                 clock: Callable[[], datetime]) -> None:
        self.app, self.factory, self.reactions, self.clock = app, factory, reactions, clock
        event.listen(factory, "before_commit", self._before_commit)
        event.listen(factory, "after_commit", self._after_commit)
        event.listen(factory, "after_soft_rollback", self._after_rollback)

    # --- the three moments of a transaction -------------------------------------------------

    def _before_commit(self, session: Session) -> None:
        state: _State | None = session.info.get(_STATE_KEY)
        if state is None:
            return
        # A reaction's events may record more events (e.g. an event cancelled ends its
        # registrations): everything recorded up to here is grouped by reaction.
        grouped: dict[str, tuple[_Entry, list[DomainEvent]]] = {}
        for domain_event in state.events:
            for entry in self.reactions.for_event(type(domain_event)):
                grouped.setdefault(entry.name, (entry, []))[1].append(domain_event)
        state.events = []
        rows = []
        for entry, events in grouped.values():
            if not entry.durable:
                state.nudges.append((entry, events))
                continue
            row = PendingWork(reaction=entry.name, next_attempt_at=self.clock(),
                              events_json=json.dumps([e.to_json() for e in events]))
            session.add(row)
            rows.append(row)
        if rows:
            session.flush()
            state.work_ids.extend(row.id for row in rows)

    def _after_commit(self, session: Session) -> None:
        state: _State | None = session.info.pop(_STATE_KEY, None)
        if state is None:
            return
        for entry, events in state.nudges:
            try:
                entry.fn(events, WorkContext(self.app, self.clock()))
            except Exception:  # the durable record (an outbox row) is retried by the scheduler
                logger.exception("after-commit nudge %s failed", entry.name)
        for work_id in state.work_ids:
            try:
                self.run_one(work_id)
            except Exception:  # the request's write is committed: never a 500 for this
                logger.exception("after-commit work %s failed; the scheduler retries it", work_id)

    def _after_rollback(self, session: Session, previous_transaction) -> None:
        if previous_transaction.parent is None:  # the outermost transaction rolled back
            session.info.pop(_STATE_KEY, None)

    # --- carrying the work out ----------------------------------------------------------------

    def run_one(self, work_id: int, now: datetime | None = None) -> bool:
        """Carry out one pending work row in its own transaction; True when done (or gone, or
        being done by another worker). The row is claimed first with one conditional UPDATE
        (its next attempt moved :data:`CLAIM` ahead, only if it was due): on SQLite as on
        PostgreSQL, the after-commit hook and the scheduler never run one row twice at once;
        a worker that dies holding it leaves it to a retry after the claim."""
        now = now or self.clock()
        with self.factory() as session:
            claimed = session.execute(update(PendingWork).where(
                PendingWork.id == work_id, PendingWork.next_attempt_at <= now,
            ).values(next_attempt_at=now + CLAIM).execution_options(synchronize_session=False))
            session.commit()
            if not claimed.rowcount:
                return True  # done by another process meanwhile, or being done
            row = session.get(PendingWork, work_id)
            if row is None:
                return True
            entry = self.reactions.named(row.reaction)
            try:
                if entry is None or not entry.durable:
                    raise LookupError(f"no reaction named {row.reaction!r}")
                events = [DomainEvent.from_json(e) for e in json.loads(row.events_json)]
                entry.fn(session, events, WorkContext(self.app, self.clock()))
                session.delete(row)
                session.commit()
                return True
            except Exception as exc:
                session.rollback()
                logger.exception("work %s (%s) failed; it will be retried", work_id, row.reaction)
                self._failed(work_id, exc)
                return False

    def _failed(self, work_id: int, exc: Exception) -> None:
        with self.factory() as session:
            row = session.get(PendingWork, work_id)
            if row is None:
                return
            row.attempts += 1
            delay = min(MAX_BACKOFF, BASE_BACKOFF * (2 ** (row.attempts - 1)))
            row.next_attempt_at = self.clock() + delay
            row.last_error = f"{type(exc).__name__}: {exc}"[:500]
            session.commit()

    def run_due(self, now: datetime | None = None, limit: int = 200) -> tuple[int, int]:
        """Retry the work rows that are due (the scheduler's job); returns (done, failed)."""
        now = now or self.clock()
        with self.factory() as session:
            ids = list(session.scalars(
                select(PendingWork.id).where(PendingWork.next_attempt_at <= now,
                                             PendingWork.attempts < MAX_ATTEMPTS)
                .order_by(PendingWork.id).limit(limit)))
        done = failed = 0
        for work_id in ids:
            if self.run_one(work_id, now):
                done += 1
            else:
                failed += 1
        return done, failed


EXTENSION_KEY = "coworknet.uow"


def unit_of_work(app: Any) -> UnitOfWork:
    return app.extensions[EXTENSION_KEY]
