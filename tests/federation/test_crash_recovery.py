"""Crash recovery in seconds: ``kill -9`` of the real ``coworknet sync`` in the middle of a long
pull leaves no process behind (its signature worker and multiprocessing's resource tracker end
with it), and a scheduler started again takes the dead one's lease at once and goes on pulling.
Leases of a dead process of this host are taken over at once; a holder of another host keeps
its lease until its heartbeat runs out."""

# ruff: noqa: S603 - the operator's command with fixed arguments
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.sync import seed
from node.federation import leases, scheduler
from node.models import FederationLock, Peer

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.real_timers


def wait_for(condition, seconds: float = 20.0, step: float = 0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(step)
    return condition()


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (zombies excluded)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2:].split()[0] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def slowed(app, seconds: float):
    """``app`` serving each feed page ``seconds`` late (a far peer): a pull that lasts."""
    def serve(environ, start_response):
        if environ.get("PATH_INFO", "").endswith("/feed"):
            time.sleep(seconds)
        return app(environ, start_response)
    return serve


def scheduler_env(node) -> dict[str, str]:
    """The node's scheduler as an operator starts it: ``coworknet sync`` with its settings."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("COWORKNET_")},
        "PYTHONPATH": str(ROOT),
        "COWORKNET_INSTANCE": node.app.config["INSTANCE_PATH"],
        "COWORKNET_DATABASE_URL": node.database_url,
        "COWORKNET_BASE_URL": node.url,
        "COWORKNET_SECRET_KEY": "k" * 40,
        "COWORKNET_NODE_NAME": node.app.config["NODE_NAME"],
        "COWORKNET_FEDERATION_ALLOW_LOOPBACK": "true",
        "COWORKNET_FEDERATION_CLIENT_RETRIES": "0",
        "COWORKNET_FEDERATION_VERIFY_WORKER": "true",
        "COWORKNET_FEDERATION_VERIFY_WORKER_AFTER": "40",
        "COWORKNET_FEDERATION_PAGE_LIMIT": "20",
        "COWORKNET_PERIODIC_JOBS": "false",
        "COWORKNET_LOG_LEVEL": "WARNING",
        # A lease that would outlive its dead holder by ten minutes: only the liveness check
        # lets the restarted scheduler go on before that, however slow this machine is.
        "COWORKNET_FEDERATION_LEASE_SECONDS": "600",
    }


def start_scheduler(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "coworknet"), "sync", "--interval", "3600"], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def lease_holder(node) -> str:
    with node.session() as session:
        return session.scalar(select(FederationLock.holder).where(
            FederationLock.name == scheduler.ROUND_LOCK)) or ""


def cursor(node, other) -> int:
    with node.session() as session:
        return session.scalar(select(Peer.last_applied_seq).where(Peer.node_id == other.url))


def test_kill_9_mid_pull_leaves_no_orphan_and_a_restart_resumes_at_once(live_nodes):
    a, b = live_nodes(2)
    live_nodes.peer(a, b)
    seed(a, b.url, 2000)
    a._dispatcher.app = slowed(a.app, 0.1)  # 100 pages of 20, each 0.1 s late: 10 s at least
    env = scheduler_env(b)
    first = start_scheduler(env)
    try:
        # Mid-pull, with its signature worker and the resource tracker up.
        helpers = wait_for(lambda: len(children(first.pid)) >= 2 and children(first.pid), 90)
        assert helpers, "the scheduler started no signature worker"
        assert any("multiprocessing" in command_line(pid) for pid in helpers)
        assert wait_for(lambda: cursor(b, a) > 0)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    at_kill = cursor(b, a)
    assert 0 < at_kill < 2000, "the pull had ended before the kill: nothing was measured"
    # No orphan: the worker and the resource tracker end with their parent (a worker still
    # starting, its interpreter importing, ends as soon as its start-up is over).
    assert wait_for(lambda: not any(running(pid) for pid in helpers), seconds=30)
    with b.session() as session:  # the dead process still holds the round's lease
        lease = session.get(FederationLock, scheduler.ROUND_LOCK)
        assert lease.holder.startswith(f"{leases.socket.gethostname()}:{first.pid}:")
        assert lease.expires_ms > leases.now_ms()
    restarted_at = time.monotonic()
    second = start_scheduler(env)
    try:
        assert wait_for(lambda: lease_holder(b).startswith(f"{leases.socket.gethostname()}:"
                                                           f"{second.pid}:"), seconds=90)
        taken = time.monotonic() - restarted_at
        assert wait_for(lambda: cursor(b, a) > at_kill, seconds=30)
        resumed = time.monotonic() - restarted_at
        print(f"restarted scheduler: lease taken {taken:.2f} s, pull resumed {resumed:.2f} s "
              "after its start (the interpreter's start included)")
        # Its start-up time (seconds, longer on a loaded machine), never the lease's ten minutes.
        assert resumed < 120
        assert wait_for(lambda: cursor(b, a) == 2000, seconds=120)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(10)


def test_a_lease_of_a_dead_process_of_this_host_is_taken_at_once(live_nodes):
    (a,) = live_nodes(1)
    code = ("import sys, os; from node.federation.leases import holder_name; "
            "print(holder_name() + ':hint')")
    dead = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.strip()
    assert leases.holder_is_dead(dead)
    assert not leases.holder_is_dead(leases.holder_name())
    assert not leases.holder_is_dead(leases.holder_name() + ":job")
    with a.session() as session:
        assert leases.try_lock(session, scheduler.ROUND_LOCK, dead, ttl_ms=3_600_000)
    assert a.round().ran is True  # at once, an hour before the dead holder's lease ends


def test_a_lease_of_another_host_waits_for_its_heartbeat(live_nodes):
    (a,) = live_nodes(1)
    other = "elsewhere:1234:abcd1234.4026531836.99"
    assert not leases.holder_is_dead(other)
    with a.session() as session:
        assert leases.try_lock(session, scheduler.ROUND_LOCK, other, ttl_ms=300)
    assert a.round().ran is False
    time.sleep(0.4)  # its heartbeat is not renewed: the lease runs out
    assert a.round().ran is True


def test_a_pid_reused_by_another_process_is_a_dead_holder():
    mine = leases.holder_name()
    host, pid, tag = mine.split(":")[:3]
    namespace = tag.rsplit(".", 1)[0]
    # The same PID with another start time: the holder died and the PID was given again.
    assert leases.holder_is_dead(f"{host}:{pid}:{namespace}.1") is False  # ourselves
    assert leases.holder_is_dead(f"{host}:1:{namespace}.999999999") is True
