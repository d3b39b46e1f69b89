"""The unit of work (node/uow.py): work recorded by operations runs after the commit, once;
a failed commit leaves nothing behind; failed work is retried from its durable row; nothing
else listens to session events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from federation.messages import EVENT_REGIONAL
from node.db import EXTENSION_KEY
from node.domain_events import SessionNoticeQueued
from node.federation import feed
from node.models import (
    FederationSetting,
    FeedEntry,
    Member,
    Notification,
    OutgoingMail,
    PendingWork,
)
from node.notifications.operations import notify
from node.uow import RUNTIME_INFO_KEY, DomainEvent, Reactions, record, unit_of_work
from tests.conftest import count_rows
from tests.federation.helpers import event_content

SESSION_EVENTS = ("after_transaction_create", "after_transaction_end", "before_commit",
                  "after_commit", "after_rollback", "after_soft_rollback", "before_flush",
                  "after_flush", "after_flush_postexec", "after_begin", "before_attach",
                  "after_attach", "after_bulk_update", "after_bulk_delete",
                  "transient_to_pending", "pending_to_persistent", "persistent_to_detached",
                  "deleted_to_detached", "persistent_to_deleted", "loaded_as_persistent",
                  "detached_to_persistent", "pending_to_transient", "persistent_to_transient",
                  "deleted_to_persistent", "do_orm_execute")


def _listeners(target) -> list:
    found = []
    for name in SESSION_EVENTS:
        found += list(getattr(target.dispatch, name))
    return found


def test_only_the_unit_of_work_listens_to_session_events(app, session):
    """Walk every listener on the app's session factory, on its sessions and on Session
    itself: each belongs to node.uow (none infers intent from dirty objects elsewhere)."""
    factory = app.extensions[EXTENSION_KEY]
    with factory() as fresh, Session() as bare:  # a session sees its class's listeners too
        listeners = _listeners(fresh) + _listeners(session) + _listeners(bare)
    assert listeners, "the unit of work listens to the factory's sessions"
    owners = {getattr(fn, "__module__", None) or getattr(getattr(fn, "__self__", None), "__module__", None)
              for fn in listeners}
    owners |= {type(fn.__self__).__module__ for fn in listeners if hasattr(fn, "__self__")}
    assert owners <= {"node.uow"}, owners


def _notice(email: str) -> SessionNoticeQueued:
    """A joint-event session moved: what its registrant of ours is told (a durable reaction)."""
    starts = datetime(2026, 12, 3, 17, 30, tzinfo=UTC)
    return SessionNoticeQueued({"kind": "moved", "email": email, "name": "Élise", "locale": "fr",
                                "title": "Atelier compta", "space": "Aix", "starts_at": starts.isoformat(),
                                "timezone": "Europe/Paris", "place": "Aix", "link": "/regional/mine",
                                "before_starts_at": (starts - timedelta(hours=1)).isoformat()})


def test_a_failed_commit_sends_no_mail_and_publishes_no_item(app, session, create_member, outbox, clock):
    expert = create_member("expert@example.org", display_name="Élise Expert")
    other = create_member("taken@example.org")
    outbox.clear()
    feed_before = count_rows(session, FeedEntry)
    notify(session, expert, "account.approved", link="/login", params={"space": "La Ruche"})
    record(session, _notice(expert.email))
    feed.publish(session, item_type=EVENT_REGIONAL, local_id="event/1",
                 content=event_content(app.config["BASE_URL"]))
    session.add(Member(email=other.email, display_name="Doublon", role="member", status="active"))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    app.extensions[RUNTIME_INFO_KEY].wait_for_background()
    assert outbox == []
    assert count_rows(session, FeedEntry) == feed_before
    assert count_rows(session, PendingWork) == 0
    assert count_rows(session, Notification) == 0 and count_rows(session, OutgoingMail) == 0
    # Nothing recorded by the failed transaction leaks into the next one.
    session.commit()
    app.extensions[RUNTIME_INFO_KEY].wait_for_background()
    assert outbox == [] and count_rows(session, PendingWork) == 0


def test_a_committed_change_runs_its_work_once_right_after_the_commit(app, session, create_member,
                                                                       outbox, clock):
    member = create_member("member@example.org", display_name="Élise")
    outbox.clear()
    record(session, _notice(member.email))
    assert outbox == []  # nothing before the commit
    session.commit()
    assert [mail.to for mail in outbox] == ["member@example.org"]
    assert count_rows(session, PendingWork) == 0
    assert unit_of_work(app).run_due(clock.now() + timedelta(days=1)) == (0, 0)
    assert len(outbox) == 1


@dataclass(frozen=True)
class MarkerAsked(DomainEvent):
    name: str = ""


def test_a_reaction_writes_in_the_same_transaction_that_deletes_its_row(app, session, clock):
    """A reaction whose own writes fail leaves no half-done work: the row stays, its writes
    are rolled back, and the retry writes them once."""
    calls = []

    def write_marker(work_session, events, ctx):
        calls.append(len(calls))
        for domain_event in events:
            work_session.add(FederationSetting(name=domain_event.name, value=len(calls)))
        work_session.flush()
        if len(calls) == 1:
            raise RuntimeError("crash after the writes")

    uow = unit_of_work(app)
    monkey = Reactions()
    monkey.on(MarkerAsked, "test.marker", write_marker)
    real, uow.reactions = uow.reactions, monkey
    try:
        record(session, MarkerAsked("marker-1"))
        session.commit()
        assert count_rows(session, FederationSetting) == 0
        assert uow.run_due(clock.now() + timedelta(minutes=5)) == (1, 0)
    finally:
        uow.reactions = real
    assert session.scalars(select(FederationSetting.value)).all() == [2]
    assert count_rows(session, PendingWork) == 0


def test_work_that_fails_stays_and_is_retried_until_done_once(app, session, clock):
    """A follow-up that fails after the commit (a peer or a server down) stays, with its error
    and a backoff; the scheduler's retry carries it out once it can, and only once."""
    down, done = [True], []

    def flaky(work_session, events, ctx):
        if down[0]:
            raise ConnectionRefusedError("the other side is down")
        done.extend(e.name for e in events)

    uow = unit_of_work(app)
    swapped = Reactions()
    swapped.on(MarkerAsked, "test.flaky", flaky)
    real, uow.reactions = uow.reactions, swapped
    try:
        record(session, MarkerAsked("told-1"))
        session.commit()  # the change itself is committed whatever the other side does
        (row,) = session.scalars(select(PendingWork)).all()
        assert row.reaction == "test.flaky" and row.attempts == 1
        assert "down" in row.last_error and row.next_attempt_at > clock.now()
        assert uow.run_due(clock.now()) == (0, 0)  # not due yet: backoff
        assert uow.run_due(row.next_attempt_at) == (0, 1)  # still down: a second failure
        session.expire_all()
        assert session.scalars(select(PendingWork.attempts)).one() == 2
        down[0] = False  # back
        later = clock.now() + timedelta(hours=2)
        assert uow.run_due(later) == (1, 0)
        assert uow.run_due(later + timedelta(hours=2)) == (0, 0)
    finally:
        uow.reactions = real
    assert done == ["told-1"] and count_rows(session, PendingWork) == 0


def test_a_reaction_name_is_registered_once():
    reactions = Reactions()
    reactions.on(MarkerAsked, "test.once", lambda *_: None)
    with pytest.raises(ValueError, match="registered twice"):
        reactions.on(MarkerAsked, "test.once", lambda *_: None)


def test_domain_events_round_trip_through_json():
    from node.domain_events import MembersChanged, RegistrationChanged

    for original in (MembersChanged(frozenset({3, 1})), RegistrationChanged(4, 2, by_registrant=True)):
        assert DomainEvent.from_json(original.to_json()) == original


def test_every_domain_event_has_a_reaction(app):
    """An event nobody reacts to is recorded for nothing: each one of node.domain_events is
    answered in node/reactions.py."""
    import node.domain_events as domain

    reactions = unit_of_work(app).reactions
    declared = [obj for obj in vars(domain).values()
                if isinstance(obj, type) and issubclass(obj, DomainEvent) and obj is not DomainEvent
                and obj.__module__ == domain.__name__]
    assert declared and all(reactions.for_event(cls) for cls in declared), [
        cls.__name__ for cls in declared if not reactions.for_event(cls)]


def test_no_listener_is_added_per_session(app):
    """Two sessions later, the factory holds the same listeners: none is added at run time."""
    factory = app.extensions[EXTENSION_KEY]
    counts = []
    for _ in range(3):
        with factory() as s:
            counts.append(len(_listeners(s)))
            s.add(FederationSetting(name="x", value=1))
            s.commit()
            s.delete(s.get(FederationSetting, "x"))
            s.commit()
    assert counts[0] == counts[1] == counts[2] == 3  # before_commit, after_commit, after_soft_rollback


def test_operations_say_what_happened(session, create_member, clock):
    """Operations record named events (read with ``recorded``); nothing is inferred from rows."""
    from node.domain_events import MembersChanged, RegistrationChanged
    from node.events import events, registrations
    from node.members import profiles
    from node.uow import recorded

    manager = create_member("gerante@example.org", role="manager")
    member = create_member("membre@example.org")
    profiles.update_profile(session, session.get(Member, member.id), {"headline": "Photographe"})
    assert recorded(session) == [MembersChanged(frozenset({member.id}))]
    session.commit()
    assert recorded(session) == []
    start = clock.now() + timedelta(days=3)
    event = events.create_event(session, session.get(Member, manager.id), {
        "title": "Apéro", "type": "aperitif", "start_at": start, "end_at": start + timedelta(hours=2),
        "status": "published", "audience": "space"}, clock.now())
    registration = registrations.register(session, event.occurrences[0].id,
                                          registrations.Registrant.local(session.get(Member, member.id)),
                                          clock.now(), viewer=session.get(Member, member.id)).registration
    assert RegistrationChanged(registration.id, event.id, by_registrant=True) in recorded(session)
    session.rollback()
    assert recorded(session) == []
