"""The fault scenarios of issue 19, each a function of its sizes and durations: the tests run
them short (``tests/fault/``), ``python -m bench faults`` long. Each plays its fault on real
nodes, lets their schedulers run, and ends by measuring how long the nodes took to converge
(:func:`tests.fault.harness.converge`): an :class:`Outcome` with the seconds (None when they
did not converge in time), what still differed, and the scenario's own figures."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from node.db import db
from node.events import registrations
from node.federation import peers
from node.federation.models import DELIVERY_DEAD
from node.models import NetworkEntry, OutboxMessage, RegionalEvent, Registration
from tests.fault.harness import (
    Intent,
    Person,
    Proxied,
    act,
    build_week,
    converge,
    host_counts,
    host_session,
    people,
    registration_path,
    schedulers,
)
from tests.livenodes import LiveNetwork, LiveNode
from tests.regional.conftest import call, local


@dataclass
class Outcome:
    name: str
    seconds: float | None  # to converge once the fault was over; None: not within the timeout
    problems: list[str]
    figures: dict[str, Any] = field(default_factory=dict)

    def report(self) -> str:
        state = f"converged in {self.seconds:.1f} s" if self.seconds is not None else \
            f"NOT converged ({len(self.problems)} problems)"
        extra = ", ".join(f"{k} {v}" for k, v in self.figures.items())
        return f"{self.name}: {state}" + (f"; {extra}" if extra else "")

    def check(self) -> None:
        assert self.seconds is not None, self.report() + "\n  " + "\n  ".join(self.problems[:40])


def _in_parallel(jobs: list, workers: int = 8) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: job(), jobs))


# --- a. register/cancel toggled back to back, no fault -------------------------------------------

def toggled_registrations(network: LiveNetwork, now: datetime, *, members: int = 20,
                          timeout: float = 30.0, interval: float = 1.0) -> Outcome:
    """``members`` people of A each register to a session hosted on B and cancel at once
    (API, back to back, all at the same time). Ends: everyone cancelled on both sides."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    object_id = host_session(week, bleau, capacity=members * 2)
    path = registration_path(week, aix, object_id)
    crowd = people(aix, members)
    intent = Intent()
    codes: list[tuple[int, int]] = []

    def toggle(person: Person):
        return lambda: (act(person, path, "register"), act(person, path, "cancel"))

    with schedulers(week.nodes, interval):
        codes = _in_parallel([toggle(person) for person in crowd])
        for person in crowd:
            intent.note(person, object_id, wants=False)
        seconds, problems = converge(week.nodes, timeout, intent=intent)
    return Outcome("a. register/cancel toggled", seconds, problems,
                   {"answers": sorted(set(codes)), "host holds": host_counts(bleau)})


# --- c. host down while members of two nodes register and cancel ---------------------------------

def host_down(network: LiveNetwork, now: datetime, *, down_seconds: float = 4.0, members: int = 4,
              timeout: float = 30.0, interval: float = 1.0) -> Outcome:
    """B hosts a session (capacity 3); members of A and C register before, then B goes down
    for ``down_seconds`` while some cancel, others register, others register and cancel.
    Measures the seconds to converge once B is back."""
    week = build_week(network, now)
    aix, bleau, calanques = week.nodes
    object_id = host_session(week, bleau, capacity=3)
    intent = Intent()
    crowds = {node: people(node, members) for node in (aix, calanques)}
    paths = {node: registration_path(week, node, object_id) for node in crowds}
    with schedulers(week.nodes, interval):
        early = [p for crowd in crowds.values() for p in crowd[: members // 2]]
        _in_parallel([lambda p=p: act(p, paths[p.node], "register") for p in early])
        for p in early:
            intent.note(p, object_id, wants=True)
        settled, problems = converge(week.nodes, timeout, intent=intent)
        if settled is None:
            return Outcome("c. host down", None, ["before the outage: " + x for x in problems])
        bleau.stop()
        down_at = time.monotonic()
        moves: list = []
        for crowd in crowds.values():
            for i, p in enumerate(crowd):
                if i < members // 2 and i % 2 == 0:
                    moves.append((p, ["cancel"], False))
                elif i >= members // 2 and i % 2 == 0:
                    moves.append((p, ["register"], True))
                elif i >= members // 2:
                    moves.append((p, ["register", "cancel"], False))
        for p, actions, wants in moves:
            for action in actions:
                act(p, paths[p.node], action)
            intent.note(p, object_id, wants)
        time.sleep(max(0.0, down_seconds - (time.monotonic() - down_at)))
        bleau.start()
        back = time.monotonic()
        while _undelivered(week.nodes) and time.monotonic() - back < timeout:
            time.sleep(0.2)
        delivered = time.monotonic() - back
        seconds, problems = converge(week.nodes, max(0.0, timeout - delivered), intent=intent)
    return Outcome("c. host down", None if seconds is None else delivered + seconds, problems,
                   {"down s": down_seconds, "moves while down": len(moves),
                    "queued messages delivered after s": round(delivered, 1), "host holds": host_counts(bleau)})


def _undelivered(nodes: list[LiveNode]) -> int:
    """Registration messages still queued on ``nodes``."""
    count = 0
    for node in nodes:
        with node.session() as session:
            count += session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.status == "pending", OutboxMessage.message_type == "registration.request"))
    return count


# --- d. a lossy link between A and B -------------------------------------------------------------

def lossy_link(network: LiveNetwork, now: datetime, *, lossy_seconds: float = 10.0, members: int = 6,
               drop: float = 0.2, cut: float = 0.2, delay: float = 0.5, timeout: float = 40.0,
               interval: float = 1.0, seed: int = 19) -> Outcome:
    """A and B behind lossy proxies (drops, answers cut, delays) for ``lossy_seconds`` while
    members of A register and cancel to a session of B, members of B to a session of A, and
    members of both change what they share in the directory. Then a clean link: converge."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    sessions = {bleau: host_session(week, bleau, capacity=members, name="b"),
                aix: host_session(week, aix, capacity=members, name="a", day=2)}
    crowds = {aix: people(aix, members), bleau: people(bleau, members)}
    paths = {aix: registration_path(week, aix, sessions[bleau]),
             bleau: registration_path(week, bleau, sessions[aix])}
    target = {aix: sessions[bleau], bleau: sessions[aix]}
    rng = random.Random(seed)
    intent = Intent()
    holding: dict[tuple[str, int], bool] = {}
    proxies = [Proxied(aix, seed), Proxied(bleau, seed + 1)]
    actions = 0
    errors: list[str] = []
    with schedulers(week.nodes, interval):
        try:
            for proxied in proxies:
                proxied.proxy.set(drop=drop, cut=cut, delay=delay)
            ends = time.monotonic() + lossy_seconds
            while time.monotonic() < ends:
                node = rng.choice([aix, bleau])
                person = rng.choice(crowds[node])
                if rng.random() < 0.3:
                    code = _share(person, rng.random() < 0.6)
                    if code != 200:  # the change is committed whatever the answer says
                        errors.append(f"{node.name}: PATCH /api/v1/me answered {code}")
                else:
                    has = holding.get((node.url, person.member_id), False)
                    code = act(person, paths[node], "cancel" if has else "register")
                    if code in (200, 201):
                        holding[(node.url, person.member_id)] = not has
                        intent.note(person, target[node], not has)
                    else:
                        errors.append(f"{node.name}: {'cancel' if has else 'register'} answered {code}")
                actions += 1
                time.sleep(rng.uniform(0.02, 0.15))
            stats = [vars(p.proxy.stats).copy() for p in proxies]
        finally:
            for proxied in proxies:
                proxied.close()
        seconds, problems = converge(week.nodes, timeout, intent=intent, directory=True)
    if errors:
        seconds, problems = None, errors + problems
    return Outcome("d. lossy link", seconds, problems,
                   {"lossy s": lossy_seconds, "actions": actions,
                    "proxy": {k: sum(s[k] for s in stats) for k in stats[0]}})


def _share(person: Person, shared: bool) -> int:
    """The member shares (anonymously) two skills with the network, or stops sharing; the
    status code of the answer."""
    body = ({"skills": [{"label": "expert-comptable", "level": "expert"},
                        {"label": "traduction", "level": "confirme"}],
             "visibility": "network_anonymous"} if shared else {"visibility": "space"})
    return person.node.client().patch("/api/v1/me", headers=person.headers, json=body).status_code


# --- g. many concurrent deliveries: invitations racing the feed item ------------------------------

def invitations_race(network: LiveNetwork, now: datetime, *, events: int = 30, timeout: float = 40.0,
                     interval: float = 0.5) -> Outcome:
    """A creates ``events`` regional events in a burst, each inviting B at once, while B's
    scheduler pulls A's feed on every hint (the feed item and the invitation both bring the
    event to B). Ends: every invitation arrived, none dead."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    manager_a, manager_b = week.managers
    start = week.start + timedelta(days=10)

    def create(i: int):
        def run():
            created = call(aix, "POST", "/regional", manager_a, {
                "title": f"Semaine {i}", "region": "Provence", "visibility": "public",
                "description": "Une semaine.", "starts_at": local(start + timedelta(days=i)),
                "ends_at": local(start + timedelta(days=i, hours=8))}, expect=201).json
            call(aix, "POST", f"/regional/{created['id']}/invitations", manager_a, {"node_ids": [bleau.url]})
            return created["object_id"]
        return run

    with schedulers(week.nodes, interval):
        object_ids = set(_in_parallel([create(i) for i in range(events)], workers=4))

        def missing() -> list[str]:
            listed = call(bleau, "GET", "/regional", manager_b).json
            invited = {r["object_id"] for r in listed
                       if any(p["status"] == "invited" for p in r["participants"])}
            return [f"{bleau.name}: no invitation for {oid}" for oid in sorted(object_ids - invited)]

        seconds, problems = converge(week.nodes, timeout)
        problems = problems + missing()
        if seconds is not None and problems:
            seconds = None
    with aix.session() as session:
        dead = len(session.scalars(select(OutboxMessage).where(OutboxMessage.status == DELIVERY_DEAD)).all())
    with bleau.session() as session:
        known = len(session.scalars(select(RegionalEvent)).all())
    return Outcome("g. invitations racing the feed", seconds, problems,
                   {"invitations": events, "dead": dead, "events known to B": known - 1})


# --- h. waitlist positions under concurrency ------------------------------------------------------

def waitlist_positions(network: LiveNetwork, now: datetime, *, members: int = 6, capacity: int = 2,
                       timeout: float = 30.0, interval: float = 1.0) -> Outcome:
    """``members`` people of B (the host) and as many of A register at once to a session of
    ``capacity`` seats. The positions told (B's answers; A's view once converged) are the
    positions held at B, and no two people hold one."""
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    object_id = host_session(week, bleau, capacity=capacity)
    locals_, remotes = people(bleau, members, "l"), people(aix, members, "r")
    paths = {aix: registration_path(week, aix, object_id), bleau: registration_path(week, bleau, object_id)}
    told: dict[int, Any] = {}

    def register(person: Person):
        def run():
            response = person.node.client().post(paths[person.node], headers=person.headers, json={})
            if person.node is bleau and response.status_code == 201:
                told[person.member_id] = (response.json["status"], response.json["position"])
        return run

    intent = Intent()
    with schedulers(week.nodes, interval):
        jobs = [register(p) for pair in zip(locals_, remotes, strict=True) for p in pair]
        _in_parallel(jobs, workers=len(jobs))
        for person in remotes:
            intent.note(person, object_id, True)
        seconds, problems = converge(week.nodes, timeout, intent=intent)
    with bleau.session() as session:
        rows = session.scalars(select(Registration).where(Registration.status.in_(("confirmed", "waitlisted")))).all()
        held = {row.member_id: (row.status, registrations.waitlist_position(session, row))
                for row in rows if row.registrant_kind == "local"}
        positions = [registrations.waitlist_position(session, row) for row in rows if row.status == "waitlisted"]
    for member_id, answer in sorted(told.items()):
        if held.get(member_id) != answer:
            problems.append(f"{bleau.name} member {member_id}: told {answer}, holds {held.get(member_id)}")
    if len(told) != members:
        problems.append(f"only {len(told)} of {members} local registrations answered 201")
    if sorted(positions) != list(range(1, len(positions) + 1)):
        problems.append(f"waitlist positions held: {sorted(positions)}")
    return Outcome("h. waitlist positions", seconds if not problems else None, problems,
                   {"registrations": 2 * members, "seats": capacity, "waitlisted": len(positions)})


# --- b. one node's clock ahead, then fixed --------------------------------------------------------

FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")


class ApartNode:
    """A live node moved to a process of its own (``tests.fault.node_process``: its app and
    its scheduler), its clock moved by libfaketime through a file the test rewrites."""

    def __init__(self, node: LiveNode, clock_file: Path, offset_seconds: int, interval: float) -> None:
        self.node, self.clock_file = node, clock_file
        self.set_offset(offset_seconds)
        settings = {}
        for name, value in node.app.config.items():
            try:
                json.dumps(value)
            except TypeError:
                continue  # Flask's own defaults (timedeltas): the new app sets them again
            settings[name] = value
        node.stop()
        env = {**os.environ, "LD_PRELOAD": str(FAKETIME_LIB), "FAKETIME_TIMESTAMP_FILE": str(clock_file),
               "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "tests.fault.node_process", str(node.port), str(interval)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, text=True)
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(settings))
        self.process.stdin.close()
        if self.process.stdout.readline().strip() != "ready":
            self.process.kill()
            raise RuntimeError("the node's process did not start")

    def set_offset(self, seconds: int) -> None:
        """The process's wall clock is ``seconds`` ahead of the real one from now on."""
        self.clock_file.write_text(f"{seconds:+d}s\n")

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def clock_skew(network: LiveNetwork, now: datetime, folder: Path, *, skew: int = 120,
               skewed_seconds: float = 3.0, timeout: float = 20.0, interval: float = 1.0) -> Outcome:
    """A's clock is ``skew`` seconds ahead (its own process, under libfaketime) when its member
    registers to a session of B: B refuses the signed request. The message must stay queued
    (a clock refusal is transient) and say by how much the clocks differ; once A's clock is
    fixed it is delivered and both sides agree."""
    if not FAKETIME_LIB.exists():
        return Outcome("b. clock skew", None, ["libfaketime is not installed"], {"skipped": True})
    week = build_week(network, now, names=("aix", "bleau"))
    aix, bleau = week.nodes
    object_id = host_session(week, bleau, capacity=5)
    (person,) = people(aix, 1)
    path = registration_path(week, aix, object_id)
    intent = Intent()
    problems: list[str] = []
    apart = ApartNode(aix, folder / "aix-clock", skew, interval)
    try:
        with schedulers([bleau], interval):
            answer = requests.post(aix.url + path, headers=person.headers, json={}, timeout=10)
            problems += [] if answer.status_code == 201 else [f"register answered {answer.status_code}"]
            intent.note(person, object_id, True)
            refused = _first_refusal(aix, timeout=10)
            time.sleep(max(0.0, skewed_seconds - 1))
            with aix.session() as session:
                row = session.scalar(select(OutboxMessage).where(
                    OutboxMessage.message_type == "registration.request"))
                state = (row.status, row.attempts, row.last_error) if row is not None else None
            if state is None or refused is None:
                problems.append("the skewed request was never tried")
            else:
                if state[0] == DELIVERY_DEAD:
                    problems.append(f"dead after a clock refusal ({state[1]} attempt(s)): {state[2]}")
                told = _skew_told(aix, bleau)
                if not re.search(r"(?<!\d)1[0-3]\d(?!\d)", refused) and (told is None or abs(told - skew) > 10):
                    problems.append(f"neither the refusal nor the peer's row says by how much the clocks "
                                    f"differ: {refused}; {told}")
            apart.set_offset(0)
            fixed_at = time.monotonic()
            seconds, still = converge(week.nodes, timeout, intent=intent)
    finally:
        apart.close()
    problems += still
    return Outcome("b. clock skew", None if problems else seconds, problems,
                   {"skew s": skew, "first refusal": refused, "waited s": round(time.monotonic() - fixed_at, 1)})


def _skew_told(node: LiveNode, peer: LiveNode) -> float | None:
    """The clock difference ``node`` recorded for ``peer`` (seconds, ours ahead positive)."""
    with node.session() as session:
        row = peers.get_peer(session, peer.url)
        skew_ms = getattr(row, "clock_skew_ms", None)
    return None if skew_ms is None else -skew_ms / 1000


def _first_refusal(node: LiveNode, timeout: float) -> str | None:
    """The error of the first failed attempt of ``node``'s registration request."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with node.session() as session:
            row = session.scalar(select(OutboxMessage).where(
                OutboxMessage.message_type == "registration.request"))
            if row is not None and row.last_error:
                return row.last_error
            if row is not None and row.status != "pending":
                return f"({row.status} at once)"
        time.sleep(0.1)
    return None


# --- e. kill -9 of the scheduler in the middle of a long pull --------------------------------------

BIN = Path(sys.executable).parent


def _toml_value(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string is a JSON string
    return None


def write_instance_config(node: LiveNode, extra: dict[str, Any]) -> Path:
    """``coworknet.toml`` in ``node``'s instance folder with its settings (as ``coworknet init``
    writes one), so that the ``coworknet`` command runs this node; the folder."""
    folder = Path(node.app.config["INSTANCE_PATH"])
    lines = []
    for name, value in {**node.app.config, **extra}.items():
        text = _toml_value(value)
        if name.isupper() and text is not None and name not in ("INSTANCE_PATH", "ENV", "DEBUG"):
            lines.append(f"{name} = {text}")
    (folder / "coworknet.toml").write_text("\n".join(lines) + "\n")
    return folder


def descendants(pid: int) -> set[int]:
    """Every process started by ``pid``, and by them (from /proc)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            for child in children:
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class SyncProcess:
    """``coworknet sync --interval N`` for a node, as its systemd unit runs it."""

    def __init__(self, instance: Path, interval: float, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("COWORKNET_")}
        self.log = log.open("a")
        self.process = subprocess.Popen(  # noqa: S603 - the operator's command, fixed arguments
            [str(BIN / "coworknet"), "sync", "--interval", str(interval)],
            env={**env, "COWORKNET_INSTANCE": str(instance)}, stdout=self.log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def scheduler_killed(network: LiveNetwork, folder: Path, *, entries: int = 5000, page: int = 100,
                     resume_timeout: float = 20.0, pull_timeout: float = 120.0) -> Outcome:
    """P pulls a feed of ``entries`` signed directory entries from S with its real scheduler
    (``coworknet sync``, signatures checked by its worker process); the scheduler is killed
    with SIGKILL in the middle of the pull and started again. Ends: the new scheduler resumes
    the pull within seconds, nothing is lost, and the killed one left no process behind."""
    from bench.sync import seed

    source, puller = network.add("source"), network.add("puller")
    network.peer(puller, source)
    seed(source, puller.url, entries)
    instance = write_instance_config(puller, {
        "FEDERATION_PAGE_LIMIT": page, "FEDERATION_VERIFY_WORKER": True,
        "FEDERATION_VERIFY_WORKER_AFTER": page * 2, "PERIODIC_JOBS": True, "LOG_LEVEL": "WARNING"})
    problems: list[str] = []
    figures: dict[str, Any] = {"entries": entries}
    started: list[SyncProcess] = []
    left: set[int] = set()

    def cursor() -> int:
        with puller.session() as session:
            peer = peers.get_peer(session, source.url)
            return peer.last_applied_seq if peer is not None else 0

    try:
        first = SyncProcess(instance, 1.0, folder / "sync.log")
        started.append(first)
        deadline = time.monotonic() + pull_timeout
        children: set[int] = set()
        while time.monotonic() < deadline and first.process.poll() is None:
            children = descendants(first.process.pid)
            if children and cursor() >= page * 3:
                break
            time.sleep(0.05)
        at_kill = cursor()
        figures["cursor at kill"] = at_kill
        figures["children at kill"] = len(children)
        if at_kill >= entries:
            problems.append(f"the pull ended before the kill (cursor {at_kill})")
        first.process.kill()
        first.process.wait()
        second = SyncProcess(instance, 1.0, folder / "sync.log")
        started.append(second)
        restarted = time.monotonic()
        while cursor() <= at_kill and time.monotonic() - restarted < resume_timeout:
            time.sleep(0.1)
        resumed = time.monotonic() - restarted
        figures["resumed after s"] = round(resumed, 1)
        if cursor() <= at_kill:
            problems.append(f"the restarted scheduler did not resume the pull within {resume_timeout:.0f} s")
        gone_by = time.monotonic() + 5  # a worker may take a moment to see its parent gone
        while (left := {pid for pid in children if alive(pid)}) and time.monotonic() < gone_by:
            time.sleep(0.1)
        if left:
            problems.append(f"{len(left)} process(es) of the killed scheduler still running: "
                            + ", ".join(_cmdline(pid) for pid in sorted(left)))
        if not problems:
            while cursor() < entries and time.monotonic() - restarted < pull_timeout:
                time.sleep(0.2)
            figures["pull done after restart s"] = round(time.monotonic() - restarted, 1)
            with puller.session() as session:
                held = session.scalar(select(func.count()).select_from(NetworkEntry).where(
                    NetworkEntry.owner == source.url))
            if held != entries:
                problems.append(f"{held} of {entries} entries held after the pull")
    finally:
        for process in started:
            process.stop()
        for pid in left:  # the orphans of the killed scheduler, ours to end
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    return Outcome("e. scheduler killed mid-pull", None if problems else figures.get("resumed after s"),
                   problems, figures)


def _cmdline(pid: int) -> str:
    try:
        text = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return str(pid)
    return f"{pid} ({text.strip()[:60]})"


# --- f. kill -9 of a gunicorn worker in the middle of registration requests ------------------------

def web_worker_killed(folder: Path, now: datetime, *, members: int = 40, kills: int = 4, capacity: int = 10,
                      workers: int = 3) -> Outcome:
    """A node served by the real gunicorn (``workers`` workers); ``members`` members register
    at once for an event of ``capacity`` seats while workers are killed with SIGKILL, one
    every few tenths of a second. Ends: every answer agrees with the database, nothing is
    half-written or duplicated, a request whose answer was lost is answered from what was
    stored when retried, and gunicorn replaced every worker."""
    from node import create_app
    from node.accounts import accounts
    from node.events.models import Registration as Seat
    from tests.conftest import MEMBER_PASSWORD, database_url_for
    from tests.deploy.gunicorn_node import Gunicorn, coworknet, free_port, operator_env, worker_pids

    url = database_url_for("fault_gunicorn", folder)
    port = free_port()
    instance = folder / "instance"
    env = operator_env(instance, workers)
    coworknet(env, "init", "--name", "La Ruche du Panier", "--city", "Marseille",
              "--url", f"http://127.0.0.1:{port}", "--database-url", url,
              "--contact-email", "contact@ruche.example")
    app = create_app({"DATABASE_URL": url, "INSTANCE_PATH": str(instance), "TESTING": True,
                      "MAIL_BACKEND": "memory", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 8,
                      "ARGON2_PARALLELISM": 1, "LOG_LEVEL": "WARNING"})
    hasher = app.extensions["coworknet.passwords"]
    tokens: dict[int, dict[str, str]] = {}
    with db.new_session(app) as session:
        for i in range(members + 1):
            member = accounts.create_member(session, hasher, email=f"w{i}@ruche.example", display_name=f"W {i}",
                                            password=MEMBER_PASSWORD, role="manager" if i == 0 else "member")
            session.flush()
            _row, clear = accounts.create_api_token(session, member, "fault")
            tokens[member.id] = {"Authorization": f"Bearer {clear}", "Connection": "close"}
        session.commit()
    manager = tokens.pop(min(tokens))
    server = Gunicorn(env, port)
    problems: list[str] = []
    figures: dict[str, Any] = {"requests": members, "workers": workers}
    try:
        start = (now + timedelta(days=10)).replace(microsecond=0)
        event = requests.post(server.base + "/api/v1/admin/events", headers=manager, timeout=20, json={
            "title": "Atelier", "type": "atelier", "start_at": start.isoformat(),
            "end_at": (start + timedelta(hours=2)).isoformat(), "capacity": capacity,
            "status": "published", "audience": "space"}).json()
        path = f"{server.base}/api/v1/events/occurrences/{event['occurrences'][0]['id']}/registration"
        answers: dict[int, Any] = {}
        stop = threading.Event()
        killed: list[int] = []

        def killer() -> None:
            rng = random.Random(19)
            while not stop.wait(rng.uniform(0.1, 0.4)) and len(killed) < kills:
                pids = worker_pids(server.pid)
                if pids:
                    pid = rng.choice(pids)
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)

        def register(member_id: int, delay: float):
            def run():
                time.sleep(delay)  # spread over ~2 s so the kills land amid requests, however fast
                try:
                    response = requests.post(path, headers=tokens[member_id], timeout=30)
                    answers[member_id] = (response.status_code, response.json())
                except (requests.RequestException, ValueError) as exc:  # killed mid-answer too
                    answers[member_id] = (None, exc.__class__.__name__)
            return run

        chaos = threading.Thread(target=killer, daemon=True)
        chaos.start()
        _in_parallel([register(member_id, 2.0 * i / len(tokens)) for i, member_id in enumerate(tokens)],
                     workers=8)
        stop.set()
        chaos.join()
        figures["killed workers"] = len(killed)
        figures["answers lost"] = sum(1 for code, _ in answers.values() if code is None)
        figures["5xx"] = sum(1 for code, _ in answers.values() if code is not None and code >= 500)
        with db.new_session(app) as session:
            rows = session.scalars(select(Seat)).all()
        by_member: dict[int, list] = {}
        for row in rows:
            by_member.setdefault(row.member_id, []).append(row)
        for member_id, (code, body) in sorted(answers.items()):
            held = by_member.get(member_id, [])
            if len(held) > 1:
                problems.append(f"member {member_id}: {len(held)} registrations")
            for row in held:
                if row.status not in ("confirmed", "waitlisted") or row.queued_at is None \
                        or (row.status == "confirmed") != (row.confirmed_at is not None):
                    problems.append(f"member {member_id}: half-written registration {row.status}")
            if code == 201:
                if not held or (held[0].id, held[0].status) != (body["id"], body["status"]):
                    problems.append(f"member {member_id}: answered {body['status']} #{body['id']}, "
                                    f"holds {[(r.id, r.status) for r in held]}")
            elif code is None or code >= 500:
                again = requests.post(path, headers=tokens[member_id], timeout=30)
                if held and again.status_code != 409:
                    problems.append(f"member {member_id}: retried after a lost answer, got {again.status_code} "
                                    f"though registered")
                if not held and again.status_code != 201:
                    problems.append(f"member {member_id}: retried after a lost answer, got {again.status_code}")
            else:
                problems.append(f"member {member_id}: answered {code} {body}")
        with db.new_session(app) as session:
            final = session.scalars(select(Seat)).all()
            confirmed = sum(1 for row in final if row.status == "confirmed")
            positions = sorted(registrations.waitlist_position(session, row) for row in final
                               if row.status == "waitlisted")
        if confirmed > capacity:
            problems.append(f"{confirmed} confirmed for {capacity} seats")
        if positions != list(range(1, len(positions) + 1)):
            problems.append(f"waitlist positions {positions}")
        deadline = time.monotonic() + 20
        while len(worker_pids(server.pid)) != workers and time.monotonic() < deadline:
            time.sleep(0.2)
        if len(worker_pids(server.pid)) != workers:
            problems.append(f"gunicorn runs {len(worker_pids(server.pid))} of {workers} workers")
    finally:
        server.stop()
        db.engine(app).dispose()
    return Outcome("f. web worker killed mid-request", 0.0 if not problems else None, problems, figures)
