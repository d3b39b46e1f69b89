"""Every change peers should see soon queues a ``feed.hint`` to them, whichever path made it: a
manager's API request, a remote member's registration handled by the inbox (a seat count), a
command-line session, a periodic job. Hints are coalesced: one not sent yet carries the
latest seq for every change made meanwhile."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from federation.messages import FEED_HINT
from node.federation import jobs
from node.federation.models import DELIVERY_PENDING
from node.models import FeedEntry, Member, OutboxMessage, RegionalSession
from node.periodic import PUBLISH_STATS
from node.regional import regional

from .conftest import add_member, call, token, wait_delivered


def pending_hints(node) -> dict[str, int]:
    """Destination → latest_seq of the node's hints not sent yet (one per peer, or it fails)."""
    with node.session() as session:
        rows = session.scalars(select(OutboxMessage).where(
            OutboxMessage.message_type == FEED_HINT, OutboxMessage.status == DELIVERY_PENDING)).all()
        found = {row.destination: json.loads(row.content_json)["latest_seq"] for row in rows}
        assert len(found) == len(rows), "two hints wait for one peer"
        return found


def latest(node) -> int:
    with node.session() as session:
        return session.scalar(select(func.max(FeedEntry.seq)))


def test_every_publication_path_hints_the_peers(week, clock):
    aix, bleau, calanques = week.nodes
    peers = {bleau.url, calanques.url}
    aix_session = week.session_id_on(aix, week.sessions["aix"])

    # A manager's API request: the session's capacity.
    before = latest(aix)
    call(aix, "PATCH", f"/regional/sessions/{aix_session}", week.managers[0], {"capacity": 12})
    assert latest(aix) > before
    assert pending_hints(aix) == dict.fromkeys(peers, latest(aix))

    # A member of bleau registers to aix's session: aix's inbox (a web request of aix) takes a
    # seat, and the session's seat count goes to the peers.
    before = latest(aix)
    visitor = token(bleau, add_member(bleau, "visitor@bleau.example", "Visiteuse"))
    target = week.session_id_on(bleau, week.sessions["aix"])
    call(bleau, "POST", f"/regional/sessions/{target}/registration", visitor, {}, expect=201)
    wait_delivered(bleau, aix)
    with aix.session() as session:
        assert session.scalar(select(RegionalSession.seats_left).where(
            RegionalSession.object_id == week.sessions["aix"])) == 11
    assert latest(aix) > before
    assert pending_hints(aix) == dict.fromkeys(peers, latest(aix))

    # A command (a session outside any request): the session moved by an hour.
    before = latest(aix)
    with aix.session() as session:
        row = session.get(RegionalSession, aix_session)
        manager = session.scalar(select(Member).where(Member.role == "manager"))
        regional.update_session(session, manager, row, {
            "start_at": row.starts_at + timedelta(hours=1),
            "end_at": row.ends_at + timedelta(hours=1)}, clock.now())
        session.commit()
    assert latest(aix) > before
    assert pending_hints(aix) == dict.fromkeys(peers, latest(aix))

    # A periodic job: the space's statistics for every peer.
    before = latest(aix)
    assert jobs.run_job(aix.app, jobs.get_job(aix.app, PUBLISH_STATS), force=True).ok
    assert latest(aix) > before
    assert pending_hints(aix) == dict.fromkeys(peers, latest(aix))

    # Delivered by a round, the hints are gone; the next change queues a fresh one.
    aix.round()
    assert pending_hints(aix) == {}
