"""``python -m bench propagation [--peers 10] [--changes 20] [--interval 10] [--quick]``:
how long a change made on one node takes to reach its peers, with feed hints and without.

Eleven real nodes on loopback, as deployed: each one process of its own (its web server and its
scheduler, ``coworknet sync``'s loop: a round every ``--interval`` seconds, the short loop of
hints in between), its own SQLite database, its own keys; node 0 is peered with the ten others
the way managers peer them. On node 0, ``--changes`` changes of each kind are made through its
API, one after the other with a pause of 0.2–0.6 s: a member changes the languages of their
profile (a directory entry for each peer, pseudonymous per peer), the manager changes the
capacity of a Coworking Week session hosted there (one session item for every peer). For each
change and each peer, the time from the request to the moment the peer has applied it (its
cursor on node 0's feed has passed the item that carries the change for that peer: the copy
and the cursor are committed together) is the sample.

The same run is made twice: with hints (node 0 sends each peer a signed ``feed.hint`` after the
commit, coalesced per peer; each peer's short loop pulls node 0 within
``FEDERATION_HINT_POLL_SECONDS``), then, every node restarted with the peers ignoring hints
(``FEDERATION_PULL_ON_HINT = false``) and node 0 sending none (``FEDERATION_HINT_AFTER_COMMIT =
false``), with the rounds alone: within one round interval. Prints p50, p95 and max of each kind
in each mode, and how many hints the peers received.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.watch import Watcher, free_port, local, quantile, read_only
from node import create_app
from node.accounts import accounts
from node.cli import initialise_node
from node.db import db
from node.federation import keyring, peers
from node.federation.keyring import RUNTIME_INFO_KEY
from node.members import profiles
from node.migrate import upgrade
from node.models import Member

#: Every node of the benchmark (the deployed defaults otherwise: hints on, poll 0.25 s).
NODE_SETTINGS: dict[str, Any] = {
    "MAIL_BACKEND": "memory",
    "FEDERATION_ALLOW_LOOPBACK": True,
    "FEDERATION_CLIENT_RETRIES": 0,
    # Every node speaks from 127.0.0.1: node 0 gets ten peerings from one address at once.
    "FEDERATION_PEERING_RATE_PER_ADDRESS": 1000,
    "PERIODIC_JOBS": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "LOG_LEVEL": "WARNING",
}
#: What "without hints" changes.
NO_HINTS = {"FEDERATION_PULL_ON_HINT": False, "FEDERATION_HINT_AFTER_COMMIT": False}
PASSWORD = secrets.token_urlsafe(16)  # nobody logs in: members act with tokens
KINDS = ("directory entry", "session change")


@dataclass
class Node:
    """One node: its settings, its served process, and an app of this process on its database
    (for setting up and looking in, never for the measured changes)."""

    index: int
    folder: Path
    port: int
    settings: dict[str, Any]
    app: Any = None
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / "coworknet.sqlite3"

    def start(self, interval: float, extra: dict[str, Any]) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.node_process", str(self.port), "--scheduler",
             str(interval)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({**self.settings, **extra}))
        self.process.stdin.close()

    def wait_ready(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError(f"node {self.index} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(20)
            self.process.stdout.close()
            self.process = None


def make_node(root: Path, index: int, template: Path | None = None) -> Node:
    """Node ``index``, its database a copy of ``template`` (migrated once) when given."""
    folder = root / f"node{index}"
    folder.mkdir(parents=True)
    if template is not None:
        shutil.copyfile(template, folder / "coworknet.sqlite3")
    node = Node(index, folder, free_port(), {})
    node.settings = {
        **NODE_SETTINGS,
        "SECRET_KEY": secrets.token_hex(32), "PSEUDONYM_SECRET": secrets.token_hex(32),
        "DATABASE_URL": f"sqlite:///{node.database}", "INSTANCE_PATH": str(folder),
        "BASE_URL": node.url, "NODE_NAME": f"Espace {index}", "NODE_CITY": f"Ville {index}",
        "NODE_REGION": "Provence", "SESSION_COOKIE_NAME": f"coworknet_{index}",
        "FEDERATION_CONTACT_EMAIL": f"contact@node{index}.example",
    }
    # This process's app never sends anything itself: the served node does.
    node.app = create_app({**node.settings, "FEDERATION_HINT_AFTER_COMMIT": False})
    initialise_node(node.app)
    with db.new_session(node.app) as session:  # the key's row, written before anyone asks
        keyring.ensure_current_key(session, node.app.extensions[RUNTIME_INFO_KEY])
        session.commit()
    return node


def start_all(nodes: list[Node], interval: float, extra: dict[str, Any]) -> None:
    for node in nodes:
        node.start(interval, extra)
    for node in nodes:
        node.wait_ready()


def peer(a: Node, b: Node) -> None:
    """``a``'s manager asks ``b`` to peer, ``b``'s manager approves: both end approved."""
    runtime_a, runtime_b = a.app.extensions[RUNTIME_INFO_KEY], b.app.extensions[RUNTIME_INFO_KEY]
    with db.new_session(a.app) as session:
        row = peers.request_peering(session, runtime_a, b.url)
        session.commit()
        peers.send_confirmation(session, runtime_a, row)
        session.commit()
    with db.new_session(b.app) as session:
        row = peers.find_peer(session, a.url)
        peers.approve(session, runtime_b, row)
        session.commit()
        peers.send_confirmation(session, runtime_b, row)
        session.commit()


def check_peered(origin: Node, targets: list[Node]) -> None:
    """Every peering approved on both sides (a setup that failed is no measurement)."""
    with read_only(origin.database) as conn:
        approved = {row[0] for row in conn.execute(
            "SELECT node_id FROM peers WHERE status = 'approved'")}
    for node in targets:
        with read_only(node.database) as conn:
            theirs = conn.execute("SELECT status FROM peers WHERE node_id = ?",
                                  (origin.url,)).fetchone()
        if node.url not in approved or theirs is None or theirs[0] != "approved":
            raise RuntimeError(f"node {node.index} is not peered with node 0")


def member_token(node: Node, email: str, role: str = "member", **profile: Any) -> dict[str, str]:
    with db.new_session(node.app) as session:
        member = accounts.create_member(session, node.app.extensions["coworknet.passwords"],
                                        email=email, display_name=email.split("@")[0].title(),
                                        password=PASSWORD, role=role)
        if profile:
            profiles.update_profile(session, member, profile)
        session.commit()
        _row, clear = accounts.create_api_token(session, session.get(Member, member.id), "bench")
        session.commit()
    return {"Authorization": f"Bearer {clear}"}


def api(node: Node, method: str, path: str, headers: dict, body: dict | None = None,
        expect: int = 200) -> dict:
    response = requests.request(method, node.url + "/api/v1" + path, headers=headers, json=body,
                                timeout=30)
    if response.status_code != expect:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json()


def hints_received(targets: list[Node]) -> int:
    total = 0
    for node in targets:
        with read_only(node.database) as conn:
            total += conn.execute("SELECT COUNT(*) FROM inbox_receipts WHERE message_type = "
                                  "'feed.hint'").fetchone()[0]
    return total


#: The member's languages, one after the other (they start with the last).
LANGUAGES = (["fr", "en", "es"], ["fr", "en"])


def run_changes(origin: Node, targets: list[Node], tokens: dict[str, dict], session_id: int,
                changes: int, settle_seconds: float, rng: random.Random) -> Watcher:
    """Make ``changes`` changes of each kind on ``origin`` (interleaved; ``changes`` even, so
    that the member ends with the languages they had) and time their arrival at every target."""
    watcher = Watcher(origin, targets, KINDS)
    for step in range(changes * len(KINDS)):
        kind = KINDS[step % len(KINDS)]
        before = watcher.visible()
        started = time.monotonic()
        if kind == "directory entry":
            api(origin, "PATCH", "/me", tokens["member"], {"languages": LANGUAGES[step // 2 % 2]})
        else:
            api(origin, "PATCH", f"/regional/sessions/{session_id}", tokens["manager"],
                {"capacity": 20 + step})
        watcher.expect(kind, started, before)
        time.sleep(rng.uniform(0.2, 0.6))
    late = watcher.settle(settle_seconds)
    watcher.close()
    if late:
        print(f"  {late} (change, peer) pairs still missing after {settle_seconds:.0f} s")
    return watcher


def report(mode: str, watcher: Watcher, peers_count: int) -> None:
    for kind in KINDS:
        samples = watcher.samples[kind]
        if not samples:
            print(f"  {mode:<14} {kind:<16} no sample")
            continue
        print(f"  {mode:<14} {kind:<16} {len(samples):>4} samples  "
              f"p50 {statistics.median(samples):5.2f} s  p95 {quantile(samples, 0.95):5.2f} s  "
              f"max {max(samples):5.2f} s   (to {peers_count} peers)", flush=True)


def setup_origin(origin: Node, start: datetime) -> tuple[dict[str, dict], int]:
    """Node 0's manager and a member sharing their skills by name; a Coworking Week with a
    session hosted there. Returns the tokens and the session's id."""
    tokens = {
        "manager": member_token(origin, "manager@node0.example", role="manager"),
        "member": member_token(origin, "expert@node0.example", visibility="network_named",
                               skills=[{"label": "comptabilité", "level": "expert"},
                                       {"label": "fiscalité", "level": "confirme"}],
                               languages=["fr", "en"]),
    }
    created = api(origin, "POST", "/regional", tokens["manager"], {
        "title": "Semaine du coworking", "region": "Provence", "visibility": "public",
        "starts_at": local(start), "ends_at": local(start + timedelta(days=5))}, expect=201)
    session = api(origin, "POST", f"/regional/{created['id']}/sessions", tokens["manager"], {
        "title": "Atelier compta", "type": "atelier", "start_at": local(start + timedelta(hours=2)),
        "end_at": local(start + timedelta(hours=4)), "capacity": 20}, expect=201)
    return tokens, session["id"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench propagation", description=__doc__)
    parser.add_argument("--peers", type=int, default=10)
    parser.add_argument("--changes", type=int, default=20, help="changes of each kind")
    parser.add_argument("--interval", type=float, default=10.0,
                        help="seconds between two scheduler rounds of a node")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run (2 peers, 3 changes of each kind) for the test suite")
    args = parser.parse_args(argv)
    if args.quick:
        args.peers, args.changes, args.interval = 2, 4, 3.0
    args.changes += args.changes % 2
    logging.getLogger("node").setLevel(logging.WARNING)
    rng = random.Random(args.seed)
    print(f"{args.peers + 1} nodes (one process each: web server and scheduler, SQLite), node 0 "
          f"peered with {args.peers}; rounds every {args.interval:.0f} s; {args.changes} changes "
          f"of each kind on node 0; load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-propagation-") as folder:
        root = Path(folder)
        template = root / "template.sqlite3"
        upgrade(f"sqlite:///{template}")
        nodes = [make_node(root, i, template) for i in range(args.peers + 1)]
        origin, targets = nodes[0], nodes[1:]
        try:
            start_all(nodes, args.interval, {})
            for other in targets:
                peer(origin, other)
            check_peered(origin, targets)
            tokens, session_id = setup_origin(origin, datetime.now(UTC) + timedelta(days=3))
            for mode, extra in (("with hints", {}), ("without hints", NO_HINTS)):
                if extra:
                    for node in nodes:
                        node.stop()
                    # Node 0 first: a peer that found it down would back off from it.
                    start_all([origin], args.interval, extra)
                    start_all(targets, args.interval, extra)
                # Every peer holds node 0's state before the first change.
                warm = Watcher(origin, targets, KINDS)
                warm.expect("directory entry", time.monotonic(), [0] * len(targets))
                missing = warm.settle(args.interval * 3 + 30)
                warm.close()
                if missing:
                    raise RuntimeError(f"{missing} peers never caught up with node 0")
                received = hints_received(targets)
                watcher = run_changes(origin, targets, tokens, session_id, args.changes,
                                      args.interval * 2 + 10, rng)
                report(mode, watcher, len(targets))
                received = hints_received(targets) - received
                made = args.changes * len(KINDS)
                print(f"  {mode:<14} load average {os.getloadavg()[0]:.1f} at the end", flush=True)
                print(f"  {mode:<14} {received} hints received by the {len(targets)} peers "
                      + ("(ignored) " if extra else "") + f"for {made} changes "
                      f"({made * len(targets)} change-peer pairs)"
                      + (f"; {watcher.unchanged} pairs with no new item" if watcher.unchanged
                         else ""), flush=True)
        finally:
            for node in nodes:
                node.stop()
                db.engine(node.app).dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
