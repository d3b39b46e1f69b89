"""``python -m bench network [--nodes 10,25,50] [--changes 20] [--quick]``: a network of N real
nodes joined through a signed roster, and what the protocol costs as N grows.

For each N: N nodes on loopback, each one process of its own as deployed (its web server and
its scheduler, ``coworknet sync``'s loop: a round every ``--interval`` seconds, 60 by default,
and the short loop of hints in between), its own SQLite database and keys. Node 0 founds the
network; the N−1 others ask to join it (a ``peering.request`` naming the network) and node 0's
manager accepts them all at once. Printed:

* **join**: from the acceptance's commit to every one of the N·(N−1) peerings approved (no
  manager approved any of them but the coordinator's);
* **propagation** of ``--changes`` directory changes (a member's languages: one pseudonymous
  entry per peer) and Coworking Week session changes (capacity: one item for all peers) made
  on node 0 through its API, to each of the N−1 peers (the peer's cursor on node 0's feed
  passed the item): p50 / p95 / max, and how many arrived within the hint window (a round is
  60 s apart, so these were carried by the ``feed.hint``; the rest by a retried hint or the
  next round);
* **CPU** per node (% of one core, from /proc) over ``--window`` seconds idle and under one
  change a second; **bytes** per node per change (HTTP bodies and headers each node served
  and received, counted by the node process); **memory** per node (RSS).

The machine's load average is printed with each N: on a shared machine the figures are noisy.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

from bench.watch import Watcher, free_port, local, quantile, read_only

#: Every node (the deployed defaults otherwise: hints on, hint poll 2 s, rounds every 60 s).
NODE_SETTINGS: dict[str, Any] = {
    "MAIL_BACKEND": "memory",
    "FEDERATION_ALLOW_LOOPBACK": True,
    "FEDERATION_CLIENT_RETRIES": 0,
    # Every node speaks from 127.0.0.1: node 0 gets N−1 join requests from one address.
    "FEDERATION_PEERING_RATE_PER_ADDRESS": 100_000,
    "FEDERATION_PEERING_RATE_GLOBAL": 100_000,
    "PERIODIC_JOBS": False,
    "ARGON2_TIME_COST": 1,
    "ARGON2_MEMORY_COST": 8,
    "ARGON2_PARALLELISM": 1,
    "LOG_LEVEL": "WARNING",
}
PASSWORD = secrets.token_urlsafe(16)
KINDS = ("directory entry", "session change")
CONTROL = "/_bench/"
#: An arrival within this many seconds was carried by the hint (rounds are 60 s apart).
HINT_WINDOW = 5.0


# --- the node process ---------------------------------------------------------------------------


class Counting:
    """WSGI middleware of the node process: counts the bytes it serves and receives, and
    answers the benchmark's control requests (``/_bench/<op>``, loopback only)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.bytes_in = 0
        self.bytes_out = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL):
            return self._control(path[len(CONTROL):], environ, start_response)
        return self._counted(path, environ, start_response)

    def _counted(self, path: str, environ, start_response):
        size = int(environ.get("CONTENT_LENGTH") or 0) + len(path) + len(
            environ.get("QUERY_STRING", "")) + sum(
            len(k) + len(str(v)) for k, v in environ.items() if k.startswith("HTTP_"))

        def counting_start(status, headers, exc_info=None):
            nonlocal size
            size += sum(len(k) + len(v) + 4 for k, v in headers)
            return start_response(status, headers, exc_info)

        out = 0
        for chunk in self.app(environ, counting_start):
            out += len(chunk)
            yield chunk
        with self.lock:
            self.bytes_in += size
            self.bytes_out += out

    def _control(self, op: str, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        try:
            answer = control(self, op, json.loads(body or b"{}"))
            status = "200 OK"
        except Exception as exc:  # the benchmark prints it and stops
            logging.getLogger(__name__).exception("control %s failed", op)
            answer, status = {"error": repr(exc)}, "500 Internal Server Error"
        data = json.dumps(answer).encode()
        start_response(status, [("Content-Type", "application/json"),
                                ("Content-Length", str(len(data)))])
        return [data]


def control(counting: Counting, op: str, args: dict[str, Any]) -> dict[str, Any]:
    """The benchmark's set-up steps, run in the node's own process on its own database."""
    from sqlalchemy import select

    from node.db import db
    from node.federation import peers
    from node.federation.keyring import RUNTIME_INFO_KEY
    from node.rosters import rosters
    from node.rosters.models import JOIN_PENDING, JoinRequest

    app = counting.app_of_node
    runtime = app.extensions[RUNTIME_INFO_KEY]
    if op == "state":
        with open("/proc/self/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        with open("/proc/self/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))
        with counting.lock:
            return {"cpu_ticks": int(fields[11]) + int(fields[12]), "rss_kb": rss,
                    "bytes_in": counting.bytes_in, "bytes_out": counting.bytes_out}
    with db.new_session(app) as session:
        if op == "create_network":
            network = rosters.create_network(session, runtime, slug="sud", name="Coworking Sud")
            session.commit()
            return {"network": network.network_id}
        if op == "join":
            application = rosters.ask_to_join(session, runtime, args["network"])
            session.commit()
            sent = rosters.send_application(session, runtime, application)
            session.commit()
            return {"sent": sent}
        if op == "accept_all":
            pending = session.scalars(select(JoinRequest).where(
                JoinRequest.status == JOIN_PENDING)).all()
            accepted = rosters.accept_many(session, runtime, list(pending))
            session.commit()
            peers.send_confirmations(runtime, [peer.id for peer in accepted if peer.needs_confirmation])
            return {"accepted": len(accepted)}
        if op == "member":
            return {"token": _member_token(app, session, args["email"], args["role"],
                                           args.get("profile"))}
    raise ValueError(f"unknown control {op}")


def _member_token(app: Any, session: Any, email: str, role: str,
                  profile: dict[str, Any] | None) -> str:
    from node.accounts import accounts
    from node.members import profiles
    from node.models import Member

    member = accounts.create_member(session, app.extensions["coworknet.passwords"], email=email,
                                    display_name=email.split("@")[0].title(), password=PASSWORD,
                                    role=role)
    if profile:
        profiles.update_profile(session, member, profile)
    session.commit()
    _row, clear = accounts.create_api_token(session, session.get(Member, member.id), "bench")
    session.commit()
    return clear


def serve(port: int, interval: float) -> None:
    """The node process: initialise the node (its database is a migrated copy), serve it with
    the counting middleware, and run its scheduler on a thread, as ``coworknet sync`` does."""
    from werkzeug.serving import make_server

    from node import create_app
    from node.cli import initialise_node
    from node.db import db
    from node.federation import keyring, scheduler
    from node.federation.keyring import RUNTIME_INFO_KEY

    app = create_app(json.load(sys.stdin))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    initialise_node(app)
    with db.new_session(app) as session:
        keyring.ensure_current_key(session, app.extensions[RUNTIME_INFO_KEY])
        session.commit()
    counting = Counting(app.wsgi_app)
    counting.app_of_node = app  # type: ignore[attr-defined]
    app.wsgi_app = counting
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=scheduler.run_forever, args=(app.extensions[RUNTIME_INFO_KEY], interval),
                     name="scheduler", daemon=True).start()
    print("ready", flush=True)
    server.serve_forever()


# --- the measuring process ----------------------------------------------------------------------


@dataclass
class Node:
    index: int
    folder: Path
    port: int
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / "coworknet.sqlite3"

    def start(self, interval: float) -> None:
        settings = {
            **NODE_SETTINGS,
            "SECRET_KEY": secrets.token_hex(32), "PSEUDONYM_SECRET": secrets.token_hex(32),
            "DATABASE_URL": f"sqlite:///{self.database}", "INSTANCE_PATH": str(self.folder),
            "BASE_URL": self.url, "NODE_NAME": f"Espace {self.index}",
            "NODE_CITY": f"Ville {self.index}", "NODE_REGION": "Provence",
            "SESSION_COOKIE_NAME": f"coworknet_{self.index}",
            "FEDERATION_CONTACT_EMAIL": f"contact@node{self.index}.example",
        }
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.network", "--serve", str(self.port),
             "--interval", str(interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            stderr=(self.folder / "node.log").open("a"))  # its warnings (hints throttled, ...)
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(settings))
        self.process.stdin.close()

    def wait_ready(self) -> bool:
        """Whether the node came up (it prints ``ready``); when not, why is in its log."""
        assert self.process is not None and self.process.stdout is not None
        return self.process.stdout.readline().strip() == "ready"

    def log_tail(self) -> str:
        path = self.folder / "node.log"
        return path.read_text(encoding="utf-8", errors="replace")[-800:] if path.exists() else ""

    def control(self, op: str, **args: Any) -> dict[str, Any]:
        response = requests.post(self.url + CONTROL + op, json=args, timeout=300)
        if response.status_code != 200:
            raise RuntimeError(f"node {self.index} {op}: {response.text[:300]}")
        return response.json()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None


def api(node: Node, method: str, path: str, token: str, body: dict | None = None,
        expect: int = 200) -> dict:
    response = requests.request(method, node.url + "/api/v1" + path, json=body, timeout=60,
                                headers={"Authorization": f"Bearer {token}"})
    if response.status_code != expect:
        raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
    return response.json()


def approved_counts(nodes: list[Node]) -> list[int]:
    counts = []
    for node in nodes:
        with read_only(node.database) as conn:
            counts.append(conn.execute(
                "SELECT COUNT(*) FROM peers WHERE status = 'approved'").fetchone()[0])
    return counts


def make_change(origin: Node, tokens: dict[str, str], session_id: int, step: int) -> str:
    kind = KINDS[step % 2]
    if kind == "directory entry":
        api(origin, "PATCH", "/me", tokens["member"],
            {"languages": (["fr", "en", "es"], ["fr", "en"])[step // 2 % 2]})
    else:
        api(origin, "PATCH", f"/regional/sessions/{session_id}", tokens["manager"],
            {"capacity": 20 + step})
    return kind


def states(nodes: list[Node]) -> list[dict[str, Any]]:
    return [node.control("state") for node in nodes]


def cpu_percent(before: list[dict], after: list[dict], seconds: float) -> list[float]:
    tick = os.sysconf("SC_CLK_TCK")
    return [100.0 * (b["cpu_ticks"] - a["cpu_ticks"]) / tick / seconds
            for a, b in zip(before, after, strict=True)]


def describe(values: list[float], unit: str, fmt: str = "{:.1f}") -> str:
    return (f"mean {fmt.format(statistics.mean(values))} {unit}, "
            f"max {fmt.format(max(values))} {unit}")


def join_and_wait(origin: Node, nodes: list[Node], timeout: float) -> tuple[float, float]:
    """Node 0's manager accepts every pending join request; the seconds until every one of
    ``nodes`` is peered with all the others, and those the acceptance itself took."""
    t0 = time.monotonic()
    origin.control("accept_all")
    accepted = time.monotonic() - t0
    want = len(nodes) - 1
    while True:
        counts = approved_counts(nodes)
        if all(c >= want for c in counts):
            return time.monotonic() - t0, accepted
        if time.monotonic() - t0 > timeout:
            raise RuntimeError(f"not all peered after {timeout:.0f} s: {sum(counts)} of "
                               f"{len(nodes) * want} peerings")
        time.sleep(0.2)


def run_size(count: int, args: argparse.Namespace, root: Path, template: Path) -> dict:
    load = os.getloadavg()
    hints = NODE_SETTINGS.get("FEDERATION_HINTS_PER_MINUTE", "default")
    print(f"-- {count} nodes (one process each: web server + scheduler, rounds every "
          f"{args.interval:.0f} s, SQLite; hints accepted per peer a minute: {hints}); "
          f"load average {load[0]:.1f} {load[1]:.1f}", flush=True)
    nodes = []
    for index in range(count):
        folder = root / f"n{count}-{index}"
        folder.mkdir(parents=True)
        shutil.copyfile(template, folder / "coworknet.sqlite3")
        nodes.append(Node(index, folder, free_port()))
    origin, targets = nodes[0], nodes[1:]
    result: dict[str, Any] = {"nodes": count, "load_before": load[0]}
    try:
        started = time.monotonic()
        for node in nodes:
            node.start(args.interval)
        for node in nodes:
            if node.wait_ready():
                continue
            # Ports are picked free and bound by the node a moment later: with tens of
            # processes starting, another may take one in between. Once more, on a new port.
            print(f"  node {node.index} did not start ({node.log_tail().strip()[-200:]!r}); "
                  "again on another port", flush=True)
            node.stop()
            node.port = free_port()
            node.start(args.interval)
            if not node.wait_ready():
                raise RuntimeError(f"node {node.index} did not start: {node.log_tail()}")
        print(f"  started in {time.monotonic() - started:.0f} s", flush=True)
        network = origin.control("create_network")["network"]
        # All but the last node join at once (one decision of the coordinator's manager);
        # then the last one joins alone: the time a newcomer takes to be peered with all.
        first, last = targets[:-1], targets[-1]
        for node in first:
            if not node.control("join", network=network)["sent"]:
                raise RuntimeError(f"node {node.index}'s join request was not sent")
        batch_s, accept_s = join_and_wait(origin, nodes[:-1], args.join_timeout)
        print(f"  join: {len(first)} nodes accepted in one decision ({accept_s:.1f} s to accept "
              f"and confirm); all {len(first) * (len(first) + 1)} peerings approved "
              f"{batch_s:.1f} s after the decision", flush=True)
        if not last.control("join", network=network)["sent"]:
            raise RuntimeError("the last node's join request was not sent")
        single_s, accept_s = join_and_wait(origin, nodes, args.join_timeout)
        result["join_batch_s"], result["join_one_s"] = batch_s, single_s
        print(f"  join of one more node: accepted ({accept_s:.1f} s), peered with all "
              f"{count - 1} others, and they with it, {single_s:.1f} s after the decision",
              flush=True)

        tokens = {
            "manager": origin.control("member", email="manager@node0.example",
                                      role="manager")["token"],
            "member": origin.control("member", email="expert@node0.example", role="member",
                                     profile={"visibility": "network_named",
                                              "skills": [{"label": "comptabilité",
                                                          "level": "expert"}],
                                              "languages": ["fr", "en"]})["token"],
        }
        start = datetime.now(UTC) + timedelta(days=3)
        created = api(origin, "POST", "/regional", tokens["manager"], {
            "title": "Semaine du coworking", "region": "Provence", "visibility": "public",
            "starts_at": local(start), "ends_at": local(start + timedelta(days=5))}, expect=201)
        session_id = api(origin, "POST", f"/regional/{created['id']}/sessions", tokens["manager"], {
            "title": "Atelier compta", "type": "atelier",
            "start_at": local(start + timedelta(hours=2)),
            "end_at": local(start + timedelta(hours=4)), "capacity": 20}, expect=201)["id"]
        warm = Watcher(origin, targets, KINDS, poll=0.05)
        warm.expect(KINDS[0], time.monotonic(), [0] * len(targets))
        if warm.settle(args.interval * 2 + 30):
            raise RuntimeError("some peers never caught up with node 0")
        warm.close()

        watcher = Watcher(origin, targets, KINDS, poll=0.05)
        for step in range(args.changes * 2):
            before = watcher.visible()
            t = time.monotonic()
            kind = make_change(origin, tokens, session_id, step)
            watcher.expect(kind, t, before)
            time.sleep(0.2 + 0.4 * ((step * 7919) % 100) / 100)
        late = watcher.settle(args.interval * 2 + 30)
        watcher.close()
        for kind in KINDS:
            samples = watcher.samples[kind]
            if not samples:
                print(f"  {kind:<16} no sample", flush=True)
                continue
            by_hint = sum(1 for s in samples if s <= HINT_WINDOW)
            result[kind] = {"p50": statistics.median(samples), "p95": quantile(samples, 0.95),
                            "max": max(samples), "n": len(samples), "hint": by_hint}
            print(f"  {kind:<16} {len(samples):>5} arrivals to {count - 1} peers: "
                  f"p50 {statistics.median(samples):5.2f} s  p95 {quantile(samples, 0.95):5.2f} s"
                  f"  max {max(samples):5.2f} s; {by_hint} within {HINT_WINDOW:.0f} s (the hint),"
                  f" {len(samples) - by_hint} later (a retried hint or a round)", flush=True)
        if late:
            print(f"  {late} (change, peer) pairs still missing", flush=True)

        time.sleep(3)
        before, t = states(nodes), time.monotonic()
        time.sleep(args.window)
        after = states(nodes)
        idle = cpu_percent(before, after, time.monotonic() - t)
        result["idle_cpu"] = statistics.mean(idle)
        print(f"  CPU idle: {describe(idle, '% of a core')} per node", flush=True)

        before, t = states(nodes), time.monotonic()
        made = 0
        while time.monotonic() - t < args.window:
            tick = time.monotonic()
            make_change(origin, tokens, session_id, made)
            made += 1
            time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
        after = states(nodes)
        busy = cpu_percent(before, after, time.monotonic() - t)
        moved = [(b["bytes_in"] + b["bytes_out"]) - (a["bytes_in"] + a["bytes_out"])
                 for a, b in zip(before, after, strict=True)]
        per_change = [m / made for m in moved]
        result["busy_cpu"] = statistics.mean(busy)
        result["origin_cpu"] = busy[0]
        result["bytes_per_change"] = statistics.mean(per_change[1:])
        result["origin_bytes_per_change"] = per_change[0]
        rss = [s["rss_kb"] / 1024 for s in after]
        result["rss_mb"] = statistics.mean(rss)
        print(f"  CPU at one change/s ({made} changes): node 0 {busy[0]:.1f} %, the others "
              f"{describe(busy[1:], '% of a core')}", flush=True)
        print(f"  bytes per change (served + received): node 0 {per_change[0] / 1024:.1f} KiB, "
              f"the others {describe([p / 1024 for p in per_change[1:]], 'KiB')}", flush=True)
        print(f"  memory: {describe(rss, 'MiB')} per node (RSS)", flush=True)
        load = os.getloadavg()
        result["load_after"] = load[0]
        print(f"  load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} "
              f"({os.cpu_count()} cores)", flush=True)
    finally:
        for node in nodes:
            node.stop()
    return result


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench network", description=__doc__)
    parser.add_argument("--nodes", default="10,25,50", help="network sizes, comma-separated")
    parser.add_argument("--changes", type=int, default=20, help="changes of each kind")
    parser.add_argument("--interval", type=float, default=60.0, help="seconds between rounds")
    parser.add_argument("--window", type=float, default=30.0,
                        help="seconds of each CPU measurement (idle, one change/s)")
    parser.add_argument("--join-timeout", type=float, default=600.0)
    parser.add_argument("--hints-per-minute", type=int, default=None,
                        help="FEDERATION_HINTS_PER_MINUTE of every node (default: the node's)")
    parser.add_argument("--quick", action="store_true", help="a smoke run (4 nodes) for the tests")
    parser.add_argument("--serve", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve is not None:
        serve(args.serve, args.interval)
        return 0
    if args.quick:
        args.nodes, args.changes, args.window, args.join_timeout = "4", 2, 3.0, 120.0
    from node.migrate import upgrade

    if args.hints_per_minute is not None:
        NODE_SETTINGS["FEDERATION_HINTS_PER_MINUTE"] = args.hints_per_minute
    sizes = [int(n) for n in args.nodes.split(",") if n.strip()]
    with tempfile.TemporaryDirectory(prefix="bench-network-") as folder:
        root = Path(folder)
        template = root / "template.sqlite3"
        upgrade(f"sqlite:///{template}")
        results = [run_size(count, args, root, template) for count in sizes]
    print(json.dumps(results), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
