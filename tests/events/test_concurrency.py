"""Many people register at once: the occurrence lock keeps the count exact.

Runs on both backends: on PostgreSQL each thread's transaction waits on SELECT ... FOR UPDATE of
the occurrence row; on SQLite the lock is a write to that row, which takes the database's write
lock (each thread has its own connection, so the serialisation is real there too)."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from node.db import make_engine
from node.events import registrations
from node.events.registrations import Registrant
from node.models import Member, Registration

PEOPLE, SEATS = 30, 10


def test_parallel_registrations_never_overbook(database_url, session, make_event, create_member, clock):
    occurrence_id = make_event(capacity=SEATS).occurrences[0].id
    member_ids = [create_member().id for _ in range(PEOPLE)]
    barrier = threading.Barrier(PEOPLE)
    errors: list[BaseException] = []
    # A pool as large as the crowd: every thread holds its own connection at the same time.
    engine = make_engine(database_url, pool_size=PEOPLE, max_overflow=0)

    def register(member_id: int) -> None:
        own = Session(engine, expire_on_commit=False)
        try:
            member = own.get(Member, member_id)
            barrier.wait(timeout=30)
            registrations.register(own, occurrence_id, Registrant.local(member), clock.now(),
                                   viewer=member)
            own.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
            own.rollback()
        finally:
            own.close()

    threads = [threading.Thread(target=register, args=(mid,)) for mid in member_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    engine.dispose()
    assert errors == []
    counts = dict(session.execute(
        select(Registration.status, func.count()).where(Registration.occurrence_id == occurrence_id)
        .group_by(Registration.status)).all())
    assert counts == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
    waiting = session.scalars(select(Registration).where(Registration.status == "waitlisted")).all()
    assert sorted(registrations.waitlist_position(session, r) for r in waiting) == list(range(1, PEOPLE - SEATS + 1))
