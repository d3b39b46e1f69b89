"""The demo's "Semaine du coworking": one program on the three demo nodes; once they serve, a
member of Aix registers for a Marseille session and sees "confirmed"; the host lists them."""

from __future__ import annotations

import json
import socket
import threading

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from node.accounts import accounts
from node.db import db
from node.demo import SEED_FILE, build_nodes
from node.models import Member, RegionalEvent, Registration
from node.regional import regional
from tests.conftest import PG_URL
from tests.regional.conftest import wait_delivered


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class DemoAsLive:
    """Lets ``wait_delivered`` look into a demo node's database."""

    def __init__(self, node):
        self.node = node

    def session(self):
        return db.new_session(self.node.app)


@pytest.mark.skipif(bool(PG_URL), reason="the demo runs on embedded SQLite only")
def test_demo_week_same_program_everywhere_and_a_cross_node_registration(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    for spec in data["spaces"]:
        spec["port"] = free_port()  # not the fixed demo ports: a running demo may hold them
    seed = tmp_path / "spaces.json"
    seed.write_text(json.dumps(data), encoding="utf-8")
    nodes, data = build_nodes(tmp_path / "demo", seed_file=seed)
    programs = []
    for node in nodes:
        with node.app.app_context():
            week = db.session.scalar(select(RegionalEvent))
            programs.append([(s.object_id, s.title, s.starts_at) for s in regional.program(db.session, week).sessions])
    assert len(programs[0]) == 6 and programs[0] == programs[1] == programs[2]
    assert {object_id.rsplit("/", 2)[0] for object_id, _title, _start in programs[0]} == {n.url for n in nodes}

    servers = [make_server("127.0.0.1", node.spec["port"], node.app, threaded=True) for node in nodes]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        marseille, aix = nodes[0], nodes[1]
        email = aix.spec["members"][0]["email"]
        with aix.app.app_context():
            member = db.session.scalar(select(Member).where(Member.email == email))
            _row, clear = accounts.create_api_token(db.session, member, "demo test")
            week = db.session.scalar(select(RegionalEvent))
            target = next(s for s in regional.program(db.session, week).sessions if s.host == marseille.url)
            target_id, target_title = target.id, target.title
            db.session.commit()
        headers = {"Authorization": f"Bearer {clear}"}
        client = aix.app.test_client()
        assert client.post(f"/api/v1/regional/sessions/{target_id}/registration", headers=headers,
                           json={}).status_code == 201
        wait_delivered(DemoAsLive(aix))
        mine = client.get("/api/v1/me/regional-registrations", headers=headers).json
        assert [(m["title"], m["status"]) for m in mine] == [(target_title, "confirmed")]
        with marseille.app.app_context():
            rows = db.session.scalars(select(Registration).where(Registration.remote_node_id == aix.url)).all()
            assert [(r.display_name, r.status) for r in rows] == [(aix.spec["members"][0]["display_name"], "confirmed")]
    finally:
        for server in servers:
            server.shutdown()
