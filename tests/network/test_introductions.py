"""Introductions on one node: rate limit, duplicates, who may answer, once, expiry."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from node.db import db
from node.errors import Conflict, Forbidden, NotFound, RateLimited
from node.models import Introduction, Member, NetworkEntry
from node.network import introductions
from node.network import search as network_search
from node.network.settings import SETTINGS_INFO_KEY
from tests.turns import second_waits_for_first

from .test_export import B, remote_item


def copy(session, now: datetime, local: str) -> int:
    item = remote_item(B, local, "accounting", now=now)
    network_search.apply_directory_item(session, None, item)
    session.flush()
    return session.scalar(select(NetworkEntry.id).where(NetworkEntry.object_id == item["id"]))


def test_requests_are_rate_limited_and_not_repeated(session, create_member, approved_peers, settings, clock):
    approved_peers(B)
    session.info[SETTINGS_INFO_KEY] = replace(settings, introductions_per_day=2)
    me = create_member()
    now = clock.now()
    first, second, third = copy(session, now, "e1"), copy(session, now, "e2"), copy(session, now, "e3")
    introductions.request_introduction(session, me, first, "Bonjour")
    with pytest.raises(Conflict):
        introductions.request_introduction(session, me, first, "Encore")
    introductions.request_introduction(session, me, second, "Bonjour")
    with pytest.raises(RateLimited):
        introductions.request_introduction(session, me, third, "Bonjour")
    session.rollback()


def test_only_the_addressed_member_answers_and_only_once(session, create_member, settings, clock):
    expert, other = create_member(), create_member()
    now = clock.now()
    intro = Introduction(direction="incoming", request_uid=f"{B}/intro/1", peer_node_id=B,
                         member_id=expert.id, pseudonym="a" * 32, message="Bonjour",
                         other_name="Bob", other_space="B", other_email="bob@b.example",
                         created_at=now, expires_at=now + timedelta(days=14))
    session.add(intro)
    session.commit()
    with pytest.raises(Forbidden):
        introductions.decline_introduction(session, other, intro.id)
    with pytest.raises(NotFound):
        introductions.decline_introduction(session, expert, intro.id + 99)
    introductions.decline_introduction(session, expert, intro.id)
    session.commit()
    assert intro.other_email == ""  # the requester's email is forgotten on decline
    with pytest.raises(Conflict):
        introductions.accept_introduction(session, expert, intro.id, reveal_email=True)


def test_an_unanswered_request_expires_after_the_fixed_delay(session, create_member, clock):
    expert = create_member()
    now = clock.now()
    intro = Introduction(direction="incoming", request_uid=f"{B}/intro/2", peer_node_id=B,
                         member_id=expert.id, pseudonym="a" * 32, message="Bonjour",
                         other_name="Bob", other_space="B", other_email="bob@b.example",
                         created_at=now, expires_at=now + timedelta(days=14))
    session.add(intro)
    session.commit()
    assert introductions.visible_status(intro) == "pending"
    later = now + timedelta(days=14, seconds=1)
    assert introductions.expire_introductions(session, later) == 1
    session.commit()
    assert (intro.status, intro.other_email) == ("expired", "")
    with pytest.raises(Conflict):
        introductions.accept_introduction(session, expert, intro.id, reveal_email=True, now=later)


@pytest.mark.real_timers  # tests.turns checks with a timed wait that the second answer waits
def test_two_answers_at_once_take_turns_and_the_second_is_refused(app, session, create_member, clock):
    expert_id = create_member().id
    now = clock.now()
    intro = Introduction(direction="incoming", request_uid=f"{B}/intro/2", peer_node_id=B,
                         member_id=expert_id, pseudonym="b" * 32, message="Bonjour",
                         other_name="Bob", other_space="B", other_email="bob@b.example",
                         created_at=now, expires_at=now + timedelta(days=14))
    session.add(intro)
    session.commit()
    accepting, declining = db.new_session(app), db.new_session(app)
    introductions.accept_introduction(accepting, accepting.get(Member, expert_id), intro.id,
                                      reveal_email=False, now=now)  # not committed yet

    def decline():
        return introductions.decline_introduction(declining, declining.get(Member, expert_id), intro.id, now=now)

    try:
        assert isinstance(second_waits_for_first(accepting.commit, decline), Conflict)
    finally:
        accepting.close()
        declining.close()
    session.expire_all()
    assert session.get(Introduction, intro.id).status == "accepted"
