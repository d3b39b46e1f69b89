"""Real nodes on loopback for multi-node tests: each its own app, its own database (a SQLite
file, or its own PostgreSQL database with ``COWORKNET_TEST_DATABASE_URL``), served by werkzeug
on ``127.0.0.1`` with a free port, talking the real federation protocol over HTTP.

Use the ``live_nodes`` fixture (registered by ``tests/federation/conftest.py``; add
``from tests.livenodes import live_nodes  # noqa: F401`` to your own conftest)::

    def test_something(live_nodes):
        a, b, c = live_nodes(3)                 # three running nodes, not peered
        live_nodes.peer_all()                   # every pair requested and approved
        a.publish("peer.stats", "stats/1", {...})
        b.sync()                                # one pull round of b (backoff ignored)
        with b.session() as s: ...              # look into b's database
        b.stop(); b.start()                     # take b offline and back, same port

Options: ``live_nodes(3, names=["aix", ...], config={"FEDERATION_PAGE_LIMIT": 5})``.
Each node has ``app``, ``url`` (its node id), ``runtime`` (the federation runtime),
``client()`` (a Flask test client) and ``post_raw(path, body, headers)`` for hostile tests.
Nodes are stopped at the end of the test; their databases are emptied when reused.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from werkzeug.serving import BaseWSGIServer, make_server

from node import create_app
from node.db import db, make_engine
from node.federation import feed, peers, scheduler, sync
from node.federation.keyring import RUNTIME_INFO_KEY, FederationRuntime
from node.migrate import upgrade
from node.models import Base, Peer
from tests.conftest import PG_URL, TEST_SETTINGS, database_url_for

#: Settings of every live node (on top of the suite's fast test settings).
LIVE_SETTINGS: dict[str, Any] = {
    **{k: v for k, v in TEST_SETTINGS.items() if k not in ("SERVER_NAME", "BASE_URL")},
    "FEDERATION_ALLOW_LOOPBACK": True,
    "FEDERATION_CLIENT_RETRIES": 0,
    "FEDERATION_PULL_ON_HINT": False,
    # Feed hints are queued but delivered by rounds only, unless a test opts in.
    "FEDERATION_HINT_AFTER_COMMIT": False,
    "FEDERATION_KEY_REFETCH_SECONDS": 0,
    # Rounds run no periodic jobs (stats, digest, seat offers) unless a test opts in.
    "PERIODIC_JOBS": False,
}


class _Dispatcher:
    """The WSGI app bound to the port before the node exists (its URL needs the port)."""

    def __init__(self) -> None:
        self.app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class LiveNode:
    """One running node: ``stop()``/``start()`` keep its port, database and keys."""

    def __init__(self, name: str, root: Path, database_url: str, config: dict[str, Any]) -> None:
        self.name = name
        self.database_url = database_url
        self._dispatcher = _Dispatcher()
        self._server: BaseWSGIServer | None = make_server(
            "127.0.0.1", 0, self._dispatcher, threaded=True)
        self.port = self._server.server_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app({
            **LIVE_SETTINGS, "DATABASE_URL": database_url, "INSTANCE_PATH": str(root / name),
            "BASE_URL": self.url, "NODE_NAME": f"Coworking {name.title()}",
            "NODE_CITY": name.title(), "NODE_REGION": "Provence",
            "SESSION_COOKIE_NAME": f"coworknet_{name}", **config,
        })
        self._dispatcher.app = self.app
        self._thread: threading.Thread | None = None
        self._serve()

    @property
    def runtime(self) -> FederationRuntime:
        return self.app.extensions[RUNTIME_INFO_KEY]

    def _serve(self) -> None:
        assert self._server is not None
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Take the node offline (connections are refused)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def start(self) -> None:
        """Bring the node back on the same port."""
        if self._server is None:
            self._server = make_server("127.0.0.1", self.port, self._dispatcher, threaded=True)
            self._serve()

    def session(self) -> Session:
        """A session on this node's database (use ``with node.session() as s:``)."""
        return db.new_session(self.app)

    def client(self):
        return self.app.test_client()

    def twin(self):
        """A second app instance of this node on the same database (another worker)."""
        return create_app(dict(self.app.config))

    def publish(self, item_type: str, local_id: str, content: dict | None = None, *,
                deleted: bool = False, recipient: str | None = None) -> dict:
        """Publish and commit one feed item; returns the signed item."""
        with self.session() as session:
            entry = feed.publish(session, item_type=item_type, local_id=local_id,
                                 content=content, deleted=deleted, recipient=recipient)
            session.commit()
            return entry_item(entry)

    def sync(self, *, force: bool = True) -> list[sync.SyncResult]:
        """Pull every approved peer once (ignoring backoff unless ``force`` is False)."""
        return sync.sync_all(self.runtime, force=force)

    def round(self, *, force: bool = True) -> scheduler.RoundReport:
        return scheduler.run_round(self.runtime, force=force)

    def peer_row(self, other: LiveNode) -> Peer | None:
        with self.session() as session:
            return peers.get_peer(session, other.url)

    def post_raw(self, path: str, body: bytes, headers: dict[str, str],
                 method: str = "POST") -> requests.Response:
        """Send exactly these bytes and headers (for hostile and replay tests)."""
        return requests.request(method, self.url + path, data=body, headers=headers, timeout=10)

    def close(self) -> None:
        self.stop()
        self.runtime.wait_for_background()
        db.engine(self.app).dispose()


def entry_item(entry) -> dict:
    from federation.canonical import canonical_loads

    return canonical_loads(entry.item_json.encode("utf-8"))


_TEMPLATE: dict[str, str] = {}
_PG_DATABASES: set[str] = set()
#: Databases held by a live network still open (a module-scoped network outlives the tests
#: that start their own nodes of the same name): never handed out twice at once.
_PG_IN_USE: set[str] = set()


def _empty(url: str) -> None:
    engine = make_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def _template_url() -> str:
    """A database migrated to head once per test process; every node starts as a copy."""
    if "url" not in _TEMPLATE:
        url = database_url_for("live_template", Path(tempfile.mkdtemp(prefix="livenodes-")))
        upgrade(url)
        _TEMPLATE["url"] = url
    return _TEMPLATE["url"]


class LiveNetwork:
    """Factory and registry of the live nodes of one test."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.nodes: list[LiveNode] = []
        self._template: str | None = None
        self._held: list[str] = []

    def __call__(self, count: int, *, names: list[str] | None = None,
                 config: dict[str, Any] | None = None) -> list[LiveNode]:
        names = names or [f"node{len(self.nodes) + i}" for i in range(count)]
        started = [self.add(name, config or {}) for name in names[:count]]
        return started

    def add(self, name: str, config: dict[str, Any] | None = None) -> LiveNode:
        node = LiveNode(name, self.root, self._fresh_database(name), config or {})
        self.nodes.append(node)
        return node

    def _fresh_database(self, name: str) -> str:
        self._template = _template_url()
        if not PG_URL:
            path = self.root / f"live_{name}.sqlite3"
            shutil.copyfile(make_url(self._template).database, path)
            return f"sqlite:///{path}"
        base = make_url(self._template)
        db_name = f"{base.database}_{name}"[:60]
        url = base.set(database=db_name).render_as_string(hide_password=False)
        suffix = 1
        while url in _PG_IN_USE:  # another open network holds that name: take the next one
            suffix += 1
            db_name = f"{base.database}_{name}"[:56] + f"_{suffix}"
            url = base.set(database=db_name).render_as_string(hide_password=False)
        _PG_IN_USE.add(url)
        self._held.append(url)
        if url in _PG_DATABASES:
            _empty(url)  # created earlier in this test run: emptying is much faster
            return url
        _PG_DATABASES.add(url)
        admin = make_engine(base.set(database="postgres").render_as_string(hide_password=False),
                            isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{db_name}" TEMPLATE "{base.database}"'))
        admin.dispose()
        return base.set(database=db_name).render_as_string(hide_password=False)

    def peer(self, a: LiveNode, b: LiveNode) -> None:
        """``a`` requests peering with ``b``; ``b``'s manager approves; both end approved."""
        with a.session() as session:
            peer = peers.request_peering(session, a.runtime, b.url)
            session.commit()
            peers.send_confirmation(session, a.runtime, peer)
            session.commit()
        with b.session() as session:
            peer = peers.find_peer(session, a.url)
            peers.approve(session, b.runtime, peer)
            session.commit()
            peers.send_confirmation(session, b.runtime, peer)
            session.commit()

    def peer_all(self) -> None:
        for i, a in enumerate(self.nodes):
            for b in self.nodes[i + 1:]:
                self.peer(a, b)

    def close(self) -> None:
        """Stop the nodes; PostgreSQL databases stay for the next test (emptied on reuse,
        recreated by the next test run)."""
        for node in self.nodes:
            node.close()
        _PG_IN_USE.difference_update(self._held)
        self._held.clear()


@pytest.fixture
def live_nodes(tmp_path) -> Iterator[LiveNetwork]:
    """Factory of real nodes on loopback; see the module docstring."""
    network = LiveNetwork(tmp_path)
    yield network
    network.close()
