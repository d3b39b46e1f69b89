"""Two (or more) real nodes for a benchmark: each its own app and SQLite database in a folder
of the caller's, served by werkzeug on ``127.0.0.1`` over HTTP, set up as ``coworknet init``
sets a node up (database at head, node key, the space's identity, a pseudonym secret), and
peered the way two managers peer them (a request, then the other side's approval).

The benchmarks' own small harness: ``bench`` does not import the test suite's."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from node import create_app
from node.cli import initialise_node
from node.db import db
from node.federation import peers, scheduler
from node.federation.keyring import RUNTIME_INFO_KEY, FederationRuntime

#: Settings of a benchmark node: loopback peers allowed, no retries, and nothing that runs
#: on its own (hints, pulls on a hint, periodic jobs): the benchmark drives every round.
NODE_SETTINGS: dict[str, Any] = {
    "MAIL_BACKEND": "memory",
    "FEDERATION_ALLOW_LOOPBACK": True,
    "FEDERATION_CLIENT_RETRIES": 0,
    "FEDERATION_PULL_ON_HINT": False,
    "FEDERATION_HINT_AFTER_COMMIT": False,
    "PERIODIC_JOBS": False,
    # Passwords are hashed with a light Argon2 setting: seeding is not what is measured.
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "LOG_LEVEL": "WARNING",
}


class _Dispatcher:
    """The WSGI app bound to the port before the node exists (its URL needs the port)."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class BenchNode:
    """One running node; ``close()`` stops its server and releases its database."""

    name: str
    app: Any
    url: str
    server: BaseWSGIServer
    thread: threading.Thread = field(repr=False)

    @property
    def runtime(self) -> FederationRuntime:
        return self.app.extensions[RUNTIME_INFO_KEY]

    def session(self) -> Session:
        """A session on the node's database (``with node.session() as s:``)."""
        return db.new_session(self.app)

    def round(self) -> scheduler.RoundReport:
        """One federation round, as the node's scheduler runs it (backoff ignored)."""
        return scheduler.run_round(self.runtime, force=True)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.runtime.wait_for_background()
        db.engine(self.app).dispose()


def start_node(root: Path, name: str, *, space: str, city: str, region: str,
               settings: dict[str, Any] | None = None) -> BenchNode:
    """Create, initialise and serve one node whose files live in ``root / name``."""
    dispatcher = _Dispatcher()
    server = make_server("127.0.0.1", 0, dispatcher, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    app = create_app({
        **NODE_SETTINGS,
        "SECRET_KEY": secrets.token_hex(32), "PSEUDONYM_SECRET": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{folder / 'coworknet.sqlite3'}",
        "INSTANCE_PATH": str(folder), "BASE_URL": url, "NODE_NAME": space,
        "NODE_CITY": city, "NODE_REGION": region, "SESSION_COOKIE_NAME": f"coworknet_{name}",
        "FEDERATION_CONTACT_EMAIL": f"contact@{name}.example",
        **(settings or {}),
    })
    initialise_node(app)
    dispatcher.app = app
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return BenchNode(name, app, url, server, thread)


def peer(a: BenchNode, b: BenchNode) -> None:
    """``a``'s manager asks ``b`` to peer; ``b``'s manager approves; both end approved."""
    with a.session() as session:
        row = peers.request_peering(session, a.runtime, b.url)
        session.commit()
        peers.send_confirmation(session, a.runtime, row)
        session.commit()
    with b.session() as session:
        row = peers.find_peer(session, a.url)
        peers.approve(session, b.runtime, row)
        session.commit()
        peers.send_confirmation(session, b.runtime, row)
        session.commit()
