"""A web worker killed in the middle of requests (SIGKILL, as the OOM killer or an operator's
``kill -9`` does) under gunicorn on PostgreSQL: members register and cancel back to back while
workers are killed; every registration is whole (one row per member, never more confirmed than
the seats), and every answer a member got agrees with the database (a request whose worker was
killed got no answer at all: its change is committed entirely or not at all)."""

# ruff: noqa: S603 - the operator's commands with fixed arguments
from __future__ import annotations

import os
import random
import signal
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import func, select

from node import create_app
from node.accounts import accounts
from node.db import db
from node.events import events
from node.models import Member, Registration

from .gunicorn_node import (
    Gunicorn,
    coworknet,
    drop_database,
    free_port,
    fresh_database,
    operator_env,
    worker_pids,
)

WORKERS = 3
MEMBERS = 16
ROUNDS = 4
CAPACITY = 5
KILLS = 8

pytestmark = [pytest.mark.slow, pytest.mark.real_timers]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    name = f"coworknet_deploy_kill_{os.getpid()}"
    url = fresh_database(name)
    root = tmp_path_factory.mktemp("deploy-kill")
    port = free_port()
    env = operator_env(root / "instance", WORKERS, COWORKNET_PROXY_FIX_X_FOR="0")
    server = None
    app = None
    try:
        coworknet(env, "init", "--name", "La Coque Bleue", "--city", "Marseille",
                  "--url", f"http://127.0.0.1:{port}", "--database-url", url)
        app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(root / "instance"),
                          "SECRET_KEY": "k" * 40, "BASE_URL": f"http://127.0.0.1:{port}",
                          "ARGON2_MEMORY_COST": 8192, "ARGON2_TIME_COST": 1})
        server = Gunicorn(env, port)
        yield server, app
    finally:
        if server is not None:
            server.stop()
        if app is not None:
            db.engine(app).dispose()
        drop_database(name)


def seed(app) -> tuple[int, list[tuple[int, dict]]]:
    """An event of ``CAPACITY`` seats a week ahead and ``MEMBERS`` members with API tokens."""
    passwords = app.extensions["coworknet.passwords"]
    with db.new_session(app) as session:
        manager = accounts.create_member(session, passwords, email="cm@example.org",
                                         display_name="Inès", password="x" * 16, role="manager")
        start = datetime.now(UTC) + timedelta(days=7)
        event = events.create_event(session, manager, {
            "title": "Atelier", "type": "atelier", "start_at": start,
            "end_at": start + timedelta(hours=2), "status": "published", "audience": "space",
            "capacity": CAPACITY}, datetime.now(UTC))
        session.commit()
        occurrence_id = event.occurrences[0].id
        people = []
        for i in range(MEMBERS):
            member = accounts.create_member(session, passwords, email=f"m{i}@example.org",
                                            display_name=f"Membre {i}", password="x" * 16)
            session.commit()
            _row, clear = accounts.create_api_token(session, session.get(Member, member.id), "t")
            session.commit()
            people.append((member.id, {"Authorization": f"Bearer {clear}", "Connection": "close"}))
    return occurrence_id, people


def test_killed_workers_leave_whole_registrations_and_true_answers(served):
    server, app = served
    occurrence_id, people = seed(app)
    path = f"{server.base}/api/v1/events/occurrences/{occurrence_id}/registration"
    last_answer: dict[int, str | None] = {}  # member -> status of their last answered request
    unanswered = [0]
    answered = [0]
    lock = threading.Lock()

    def member_loop(member_id: int, headers: dict) -> None:
        rng = random.Random(member_id)
        for step in range(ROUNDS):
            method = "POST" if step % 2 == 0 else "DELETE"
            try:
                response = requests.request(method, path, headers=headers, timeout=30)
                status = response.json()["status"] if response.status_code in (200, 201) else None
            except (requests.RequestException, ValueError):
                # Its worker was killed before, while or after answering (refused, reset,
                # cut body): the member has no answer, so either outcome is true.
                with lock:
                    unanswered[0] += 1
                    last_answer[member_id] = None
                continue
            with lock:
                if response.status_code in (200, 201):
                    answered[0] += 1
                    last_answer[member_id] = status
                elif response.status_code >= 500:
                    unanswered[0] += 1
                    last_answer[member_id] = None
                # A 4xx (e.g. nothing to cancel after a lost register) changes nothing.
            time.sleep(rng.uniform(0, 0.05))

    def killer() -> None:
        rng = random.Random(0)
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.1, 0.3))
            pids = worker_pids(server.pid)
            if pids:
                os.kill(rng.choice(pids), signal.SIGKILL)

    threads = [threading.Thread(target=member_loop, args=person) for person in people]
    threads.append(threading.Thread(target=killer))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert answered[0] > 0
    # gunicorn replaced the killed workers.
    deadline = time.monotonic() + 30
    while len(worker_pids(server.pid)) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(worker_pids(server.pid)) == WORKERS

    with db.new_session(app) as session:
        rows = session.scalars(select(Registration).where(
            Registration.occurrence_id == occurrence_id)).all()
        per_member = session.execute(select(Registration.member_id, func.count()).where(
            Registration.occurrence_id == occurrence_id).group_by(Registration.member_id)).all()
    assert all(count == 1 for _member, count in per_member), per_member  # no duplicate
    held = [r for r in rows if r.status in ("confirmed", "offered")]
    assert len(held) <= CAPACITY
    stored = {r.member_id: r.status for r in rows}
    for member_id, status in last_answer.items():
        if status is None:
            continue  # no answer: either outcome is whole, and checked above
        now = stored.get(member_id)
        if status == "waitlisted":  # a seat freed since may have been offered to them
            assert now in ("waitlisted", "offered", "confirmed"), (member_id, status, now)
        else:
            assert now == status, (member_id, status, now)
    print(f"{answered[0]} answers, {unanswered[0]} requests cut by {KILLS} worker kills")
