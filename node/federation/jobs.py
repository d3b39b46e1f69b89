"""The node's periodic jobs: one place for the recurring work of every area.

A job is a name, a schedule (:class:`Every` so many minutes, or :class:`Weekly` on a day and
time in a time zone) and a function ``fn(app) -> str`` that does the work in the application's
context and returns a one-line summary. Feature areas add their jobs to the application with
:func:`add_job` (as they add their menu entries); the federation scheduler runs the due ones
after each round (:func:`run_due`), and ``coworknet jobs run NAME`` runs one at once.

Each run holds a lease named ``job.<name>`` in ``federation_locks`` (the scheduler's lock
helpers), renewed however long the job runs, and checks again under the lease that the job is
still due, so with several processes or hosts a due job runs once. When and how each job
last ran is stored in ``periodic_jobs``; a failing job is logged and recorded, and never stops
the next one.
"""

from __future__ import annotations

import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db import db
from ..orm import utcnow
from .leases import held_lock, holder_name
from .models import JOB_ERROR, JOB_OK, JobState

logger = logging.getLogger(__name__)

#: ``app.extensions`` key of the application's jobs, by name.
EXTENSION_KEY = "coworknet.jobs"
#: A job that failed is tried again this soon, even when its schedule says later.
ERROR_RETRY = timedelta(minutes=30)
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

JobFunction = Callable[[Any], str]


@dataclass(frozen=True)
class Every:
    """Every ``interval``, counted from the start of the last run; due at once the first time."""

    interval: timedelta

    def next_due(self, last_started_at: datetime | None, first_seen_at: datetime) -> datetime:
        return first_seen_at if last_started_at is None else last_started_at + self.interval

    def describe(self) -> str:
        seconds = int(self.interval.total_seconds())
        for unit, size in (("d", 86_400), ("h", 3_600), ("min", 60)):
            if seconds % size == 0:
                return f"every {seconds // size} {unit}"
        return f"every {seconds} s"


@dataclass(frozen=True)
class Weekly:
    """Once a week on ``weekday`` (0 is Monday) at ``at``, wall-clock time in ``timezone``.

    The first run waits for the first such moment after the scheduler first saw the job; a
    moment missed while no scheduler ran is caught up at the next round."""

    weekday: int
    at: clock_time
    timezone: str = "Europe/Paris"

    def next_due(self, last_started_at: datetime | None, first_seen_at: datetime) -> datetime:
        return self.slot_after(last_started_at or first_seen_at)

    def slot_after(self, moment: datetime) -> datetime:
        """The first scheduled moment strictly after ``moment`` (aware, in UTC)."""
        zone = ZoneInfo(self.timezone)
        local = moment.astimezone(zone)
        day = local.date() + timedelta(days=(self.weekday - local.weekday()) % 7)
        while True:
            slot = datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)
            if slot > moment:
                return slot
            day += timedelta(days=7)

    def describe(self) -> str:
        return f"weekly {WEEKDAYS[self.weekday]} {self.at:%H:%M} {self.timezone}"


Schedule = Every | Weekly


@dataclass(frozen=True)
class Summary:
    """How a job says what it did: in English for the CLI, the logs and the stored state
    (``text``, a format with integer fields: ``"{offers} new seat offer(s)."``), and in the
    reader's language on the peers page (``say``, given the same counts, e.g. through
    ``ngettext``). ``read`` gets the counts back from a stored text."""

    text: str
    say: Callable[..., str]

    def __call__(self, **counts: int) -> str:
        return self.text.format(**counts)

    def read(self, stored: str) -> str:
        """``stored`` in the reader's language; as it is when it is not this summary's text."""
        pattern = re.escape(self.text)
        pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m.group(1)}>\\d+)", pattern)
        match = re.fullmatch(pattern, stored or "")
        return self.say(**{k: int(v) for k, v in match.groupdict().items()}) if match else stored


@dataclass(frozen=True)
class Job:
    name: str
    schedule: Schedule
    run: JobFunction
    #: What the manager reads on the peers page (a lazy translatable string).
    label: object = ""
    #: How long the job's lease outlives a holder that stopped beating (a live holder keeps
    #: renewing it); None: ``FEDERATION_LEASE_SECONDS``.
    lock_ttl: timedelta | None = None
    #: How its summary reads on the peers page (``None``: shown as stored).
    summary: Summary | None = None

    def said(self, stored: str) -> str:
        """The stored summary of a run as the peers page shows it."""
        return self.summary.read(stored) if self.summary else stored


@dataclass(frozen=True)
class JobOutcome:
    """What one attempt at a job did: ``ran`` False when it was not due or another process held
    it; otherwise ``ok`` with the job's ``summary``, or the ``error`` it raised."""

    name: str
    ran: bool
    ok: bool = True
    summary: str = ""
    error: str | None = None


@dataclass(frozen=True)
class JobStatus:
    """A job as ``coworknet jobs list`` and the peers page show it."""

    job: Job
    state: JobState | None
    next_due_at: datetime

    @property
    def is_due(self) -> bool:
        return self.next_due_at <= utcnow()


def add_job(app: Any, job: Job) -> Job:
    """Register ``job`` with the application (a feature area calls this from its ``init_app``)."""
    jobs = app.extensions.setdefault(EXTENSION_KEY, {})
    if job.name in jobs:
        raise ValueError(f"periodic job {job.name!r} is registered twice")
    jobs[job.name] = job
    return job


def registered_jobs(app: Any) -> list[Job]:
    return list(app.extensions.get(EXTENSION_KEY, {}).values())


def get_job(app: Any, name: str) -> Job | None:
    return app.extensions.get(EXTENSION_KEY, {}).get(name)


def _clock_now(app: Any):
    """The node's clock (``node.clock``): tests pin it, production reads the system clock."""
    clock = app.extensions.get("coworknet.clock") if app is not None else None
    return clock.now() if clock is not None else utcnow()


def next_due_at(job: Job, state: JobState | None, now: datetime) -> datetime:
    """When ``job`` is next due: by its schedule, or sooner after a failure (``ERROR_RETRY``)."""
    if state is None:
        return job.schedule.next_due(None, now)
    due = job.schedule.next_due(state.last_started_at, state.first_seen_at)
    if state.last_outcome == JOB_ERROR and state.last_finished_at is not None:
        due = min(due, state.last_finished_at + ERROR_RETRY)
    return due


def job_statuses(session: Session, app: Any, now: datetime | None = None) -> list[JobStatus]:
    """Every registered job with its stored state and when it is next due, by name."""
    now = now or _clock_now(app)
    statuses = []
    for job in sorted(registered_jobs(app), key=lambda j: j.name):
        state = session.get(JobState, job.name)
        statuses.append(JobStatus(job, state, next_due_at(job, state, now)))
    return statuses


def _state(session: Session, name: str, now: datetime) -> JobState:
    """The job's row, created (committed) the first time; a concurrent creation is fine."""
    state = session.get(JobState, name)
    if state is None:
        session.add(JobState(name=name, first_seen_at=now))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        state = session.get(JobState, name)
    assert state is not None
    return state


def run_job(app: Any, job: Job, *, now: datetime | None = None, force: bool = False) -> JobOutcome:
    """Run ``job`` if it is due (always with ``force``) and no other process is running it.

    Holds the job's lease while it runs, records the start, the end and the outcome (each
    committed), and never raises what the job raised: it is logged and recorded instead."""
    now = now or _clock_now(app)
    session = db.new_session(app)
    try:
        state = _state(session, job.name, now)
        if not force and next_due_at(job, state, now) > now:
            return JobOutcome(job.name, ran=False)
        ttl = job.lock_ttl or timedelta(seconds=float(app.config["FEDERATION_LEASE_SECONDS"]))
        ttl_ms = int(ttl.total_seconds() * 1000)
        with held_lock(lambda: db.new_session(app), f"job.{job.name}", _holder(),
                       ttl_ms) as held:
            if not held:
                logger.info("periodic job %s is running in another process", job.name)
                return JobOutcome(job.name, ran=False)
            session.refresh(state)  # another process may have run it while we waited
            if not force and next_due_at(job, state, now) > now:
                return JobOutcome(job.name, ran=False)
            state.last_started_at = now
            session.commit()
            started = time.monotonic()
            outcome = _call(app, job)
            state.last_finished_at = now + timedelta(seconds=time.monotonic() - started)
            state.last_outcome = JOB_OK if outcome.ok else JOB_ERROR
            if outcome.ok:
                state.last_success_at = state.last_finished_at
                state.last_summary = outcome.summary[:500]
                state.last_error = None
                state.failures = 0
            else:
                state.last_error = (outcome.error or "")[:500]
                state.failures += 1
            session.commit()
            return outcome
    finally:
        session.close()


def _call(app: Any, job: Job) -> JobOutcome:
    try:
        summary = job.run(app)
    except Exception as exc:
        logger.exception("periodic job %s failed", job.name)
        return JobOutcome(job.name, ran=True, ok=False, error=f"{type(exc).__name__}: {exc}")
    logger.info("periodic job %s: %s", job.name, summary)
    return JobOutcome(job.name, ran=True, summary=str(summary or ""))


def run_due(app: Any, now: datetime | None = None) -> list[JobOutcome]:
    """Run every due job of ``app`` in name order; returns the outcome of each one that ran."""
    now = now or _clock_now(app)
    with db.new_session(app) as session:  # one query when nothing is due (most rounds)
        states = {state.name: state for state in session.scalars(select(JobState))}
        candidates = [job for job in sorted(registered_jobs(app), key=lambda j: j.name)
                      if job.name not in states or next_due_at(job, states[job.name], now) <= now]
    outcomes = []
    for job in candidates:
        try:
            outcome = run_job(app, job, now=now)
        except Exception:  # the bookkeeping itself failed (database away): try the next job
            logger.exception("periodic job %s could not be run", job.name)
            outcome = JobOutcome(job.name, ran=True, ok=False, error="could not be run")
        if outcome.ran:
            outcomes.append(outcome)
    return outcomes


def _holder() -> str:
    """A holder name unique to this run: two threads of one process must not share a lease."""
    return f"{holder_name()}:{secrets.token_hex(4)}"[:120]
