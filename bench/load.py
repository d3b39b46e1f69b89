"""``python -m bench load [--duration 60] [--levels 1,8,32] [--quick] [--database-url URL]``:
pages and API under load, on a node served as deployed.

The node is set up as docs/OPERATING.md says (an instance folder with ``coworknet.toml``, the
database at head, a node key) on its own PostgreSQL database (``cw_load_bench`` on
127.0.0.1:5432, created afresh; ``--database-url`` for another), seeded through the product's
own operations (:mod:`bench.load_seed`: 500 members with profiles and skills, 200 events with
weekly series and registrations, waitlists, needs with answers, API tokens), then served by
gunicorn with the shipped ``deploy/gunicorn.conf.py`` (its worker and thread defaults).

The load generator runs in this process: one thread per simulated client, each with its own
keep-alive ``http.client`` connection, no think time (closed loop), so concurrency c means c
requests in flight at every moment. Members browse (visits of a few pages by one signed-in
member: home, the agenda, an event, the directory, a profile, the needs board, a network
search, notifications) and now and then register for an event and cancel (each a form POST
with its CSRF token, followed by the redirect, as a browser does); API clients read with a
personal token (events, an event, members, needs, my registrations). The signed-in sessions
(the login form, once per member) are opened before the clock starts. A level runs for
``--duration`` seconds after a short warm-up; then the same number of clients fetch one static
file (``/static/coworknet.css``) through the same gunicorn for ``--static-duration`` seconds: the
server's own ceiling on this machine at that moment, so the page figures can be read as a
ratio of it while other work shares the cores.

Printed per level: requests/s, p50/p95/p99 latency, errors (a status other than the one each
request expects, or a failed connection), the CPU the gunicorn workers, the load generator and
the whole machine used (from /proc), then per request kind its count and p50/p95. Goals: p95 ≤
50 ms at concurrency 1, ≥ 150 requests/s at saturation, no errors. Exit status 0 (a
measurement) unless ``--check``: then 1 when a goal fails.

``--quick``: a smoke run (SQLite unless ``--database-url``, 60 members, 20 events, levels 1
and 4, 3 s each); the test suite runs it."""

from __future__ import annotations

import argparse
import dataclasses
import http.client
import json
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import load_seed

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/cw_load_bench"
STATIC_PATH = "/static/coworknet.css"
CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')

#: Request kinds and their weight in the mix (each draw is one request, or one register and
#: cancel round, which is four).
MEMBER_MIX = {
    "home": 10, "agenda": 14, "event": 16, "directory": 8, "directory_q": 3, "profile": 10,
    "needs": 6, "network": 5, "notifications": 3, "register_cancel": 3,
}
API_MIX = {"api_events": 8, "api_event": 3, "api_members": 4, "api_needs": 3, "api_mine": 2}
#: Share of the clients that are API clients (the rest are members in a browser).
API_SHARE = 0.25
#: Pages a member sees before the client switches to another member.
VISIT_LENGTH = (4, 10)


# --- the node ---------------------------------------------------------------------------------

def _pg_admin(url: str):
    from sqlalchemy.engine import make_url

    from node.db import make_engine

    return make_engine(make_url(url).set(database="postgres").render_as_string(False),
                       isolation_level="AUTOCOMMIT")


def fresh_database(url: str) -> None:
    """Drop and create the PostgreSQL database of ``url``."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    name = make_url(url).database
    engine = _pg_admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url

    engine = _pg_admin(url)
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    engine.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_env(instance: Path, workers: int | None, threads: int | None = None,
               root: Path = ROOT) -> dict[str, str]:
    """The operator's environment file: the instance folder and the reverse proxy's header;
    gunicorn's workers and threads are the shipped defaults unless ``workers`` is given."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COWORKNET_")}
    env.update({
        "COWORKNET_INSTANCE": str(instance),
        "COWORKNET_PROXY_FIX_X_FOR": "1",
        "COWORKNET_ACCESS_LOG": str(instance / "access.log"),
        "COWORKNET_ERROR_LOG": str(instance / "error.log"),
        "PYTHONPATH": str(root),
    })
    if workers is not None:
        env["COWORKNET_WORKERS"] = str(workers)
    if threads is not None:
        env["COWORKNET_THREADS"] = str(threads)
    return env


def mix_weights() -> dict[str, float]:
    """Each request kind's share of the load's requests (browsers draw the member mix, a
    register-and-cancel round being four requests; API clients the API mix)."""
    browsers = 1 - API_SHARE
    total = sum(MEMBER_MIX.values())
    weights = {kind: browsers * w / total for kind, w in MEMBER_MIX.items() if kind != "register_cancel"}
    rounds = browsers * MEMBER_MIX["register_cancel"] / total
    weights["event"] += 2 * rounds
    weights["register"] = weights["cancel"] = rounds
    weights.update({kind: API_SHARE * w / sum(API_MIX.values()) for kind, w in API_MIX.items()})
    return weights


def pages(instance: Path, plan: load_seed.Plan, root: Path) -> int:
    """``--pages``: each kind's statements and CPU in one process (bench/load_pages.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        plan_file, weights_file = Path(tmp) / "plan.json", Path(tmp) / "weights.json"
        plan_file.write_text(json.dumps(dataclasses.asdict(plan)), encoding="utf-8")
        weights_file.write_text(json.dumps(mix_weights()), encoding="utf-8")
        print(f"each kind served in one process from {root} (statements; CPU, best of "
              f"{5} rounds):", flush=True)
        result = subprocess.run(  # noqa: S603 - fixed arguments
            [sys.executable, str(Path(__file__).with_name("load_pages.py")), str(instance), str(plan_file),
             str(weights_file)], env={**os.environ, "PYTHONPATH": str(root)}, cwd=root, timeout=1800)
    return result.returncode


def upgrade_with(root: Path, url: str) -> None:
    """Bring a kept database to the heads of the code served from ``root``, as an operator
    runs ``coworknet db upgrade`` after deploying (an older checkout that does not know the
    database's newer revisions leaves it as it is, and says so)."""
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", "import sys; from node.migrate import upgrade; upgrade(sys.argv[1])", url],
        env={**os.environ, "PYTHONPATH": str(root)}, cwd=root, capture_output=True, text=True, timeout=300)
    if result.returncode:
        print(f"database left as it is (the code of {root} cannot upgrade it: "
              f"{result.stderr.strip().splitlines()[-1]})", flush=True)


class Gunicorn:
    """``gunicorn -c deploy/gunicorn.conf.py node.wsgi:app`` on a free loopback port."""

    def __init__(self, env: dict[str, str], root: Path = ROOT) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [str(BIN / "gunicorn"), "-c", str(root / "deploy" / "gunicorn.conf.py"), "node.wsgi:app"],
            env={**env, "COWORKNET_BIND": f"127.0.0.1:{self.port}"}, cwd=root,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/api/v1/space")
                if conn.getresponse().status == 200:
                    conn.close()
                    break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                log = Path(env["COWORKNET_ERROR_LOG"])
                raise RuntimeError("gunicorn did not start:\n" + (log.read_text() if log.exists() else ""))
            time.sleep(0.2)
        # Every worker forked and answering before anything is measured.
        time.sleep(1.0)

    def cpu_seconds(self) -> float:
        """CPU used so far by the master and its workers (live ones, and reaped ones through
        the master's children counters)."""
        total = _proc_cpu(self.process.pid, children=True)
        for child in _children(self.process.pid):
            total += _proc_cpu(child)
        return total

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


TICKS = os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int, *, children: bool = False) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # After the ")": state is field 3 of stat(5), so utime (14) is index 11 here.
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / TICKS


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except FileNotFoundError:
        pass
    return found


class DatabaseProcesses:
    """The PostgreSQL backends serving the node's database (pg_stat_activity), whose CPU a
    level adds to the workers' (other databases on the server are not counted)."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.engine import make_url

        self.name = make_url(url).database
        self.engine = _pg_admin(url)
        from sqlalchemy import text

        with self.engine.connect() as conn:  # the server's process: our backend's parent
            self.postmaster = _parent(conn.scalar(text("SELECT pg_backend_pid()")))

    def _pids(self) -> list[int]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return list(conn.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :name"),
                                     {"name": self.name}))

    def cpu_seconds(self, since: tuple[dict[int, float], float] | None = None):
        """A reading: CPU seconds per backend alive now, and what the server's ended backends
        used in all (the postmaster's reaped children); with ``since``, the CPU the database
        used after that reading. A backend that ended in between counts too: a recycled
        gunicorn worker closes its connections, and its backends' CPU would otherwise be lost
        (only what it used after ``since``: its earlier CPU is taken off)."""
        now = {pid: _proc_cpu(pid) for pid in self._pids()}
        ended = _proc_cpu(self.postmaster, children=True) - _proc_cpu(self.postmaster) if self.postmaster else 0.0
        if since is None:
            return now, ended
        before, ended_before = since
        gone = sum(value for pid, value in before.items() if pid not in now)
        return (sum(value - before.get(pid, 0.0) for pid, value in now.items())
                + max(ended - ended_before - gone, 0.0))

    def close(self) -> None:
        self.engine.dispose()


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / TICKS, total / TICKS


# --- the clients --------------------------------------------------------------------------------

class Connection:
    """One keep-alive HTTP/1.1 connection (reopened when the server closes it)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict[str, str],
                body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest):
                # gunicorn closed an idle keep-alive connection (or recycled its worker):
                # a browser opens a new one and sends again.
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
                continue
            if response.will_close:
                self.conn.close()
                self.conn = None
            return response.status, dict(response.getheaders()), data
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


@dataclass
class Member:
    """One seeded member as a browser holds them: the session cookie and a CSRF token."""

    id: int
    email: str
    cookie: str = ""
    csrf: str = ""
    token: str = ""


@dataclass
class Recorder:
    """Latencies (seconds) and errors per request kind, shared by a level's clients."""

    started: float = 0.0
    measuring: bool = False
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, seconds: float, error: str | None) -> None:
        if not self.measuring:
            return
        # list.append is atomic under the GIL; the lock only guards the error samples.
        self.times[kind].append(seconds)
        if error is not None:
            self.errors[kind] += 1
            with self.lock:
                if len(self.error_samples) < 5:
                    self.error_samples.append(f"{kind}: {error}")


class Browser:
    """A client that is, in turn, one member then another, browsing the portal."""

    def __init__(self, plan: load_seed.Plan, members: list[Member], port: int, rng: random.Random,
                 recorder: Recorder) -> None:
        self.plan, self.members, self.rng, self.recorder = plan, members, rng, recorder
        self.http = Connection(port)
        self.member = members[0]
        kinds = list(MEMBER_MIX)
        self.kinds, self.weights = kinds, [MEMBER_MIX[k] for k in kinds]

    def _get(self, kind: str, path: str, expect: int = 200) -> bytes:
        return self._call(kind, "GET", path, expect)

    def _call(self, kind: str, method: str, path: str, expect: int, body: bytes | None = None) -> bytes:
        headers = {"Cookie": self.member.cookie, "X-Forwarded-For": "203.0.113.7",
                   "Accept-Language": "fr"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            status, response_headers, data = self.http.request(method, path, headers, body)
        except OSError as exc:
            self.recorder.add(kind, time.perf_counter() - started, f"{exc.__class__.__name__} on {path}")
            return b""
        elapsed = time.perf_counter() - started
        self.recorder.add(kind, elapsed, None if status == expect else f"{status} on {method} {path}")
        cookie = response_headers.get("Set-Cookie")
        if cookie:
            self.member.cookie = cookie.split(";", 1)[0]
        return data

    def step(self) -> None:
        kind = self.rng.choices(self.kinds, self.weights)[0]
        plan, rng = self.plan, self.rng
        if kind == "home":
            self._get(kind, "/")
        elif kind == "agenda":
            self._get(kind, "/events")
        elif kind == "event":
            self._get(kind, f"/events/{rng.choice(plan.event_ids)}")
        elif kind == "directory":
            self._get(kind, "/directory")
        elif kind == "directory_q":
            self._get(kind, "/directory?" + urlencode({"q": rng.choice(plan.skill_words)}))
        elif kind == "profile":
            self._get(kind, f"/members/{rng.choice(plan.member_ids)}")
        elif kind == "needs":
            self._get(kind, "/connector/needs")
        elif kind == "network":
            self._get(kind, "/network?" + urlencode({"q": rng.choice(plan.skill_words)}))
        elif kind == "notifications":
            self._get(kind, "/notifications")
        else:
            self.register_and_cancel()

    def register_and_cancel(self) -> None:
        """Register for an upcoming event, see its page, cancel, see it again (four requests)."""
        occurrence, event_id = self.rng.choice(self.plan.open_occurrences)
        form = urlencode({"csrf_token": self.member.csrf}).encode()
        # The event page's cancel button sits in a form that says its sender confirmed.
        confirmed = urlencode({"csrf_token": self.member.csrf, "confirm": "1"}).encode()
        page = f"/events/{event_id}"
        self._call("register", "POST", f"/events/occurrences/{occurrence}/register", 302, form)
        self._get("event", page)
        self._call("cancel", "POST", f"/events/occurrences/{occurrence}/cancel", 302, confirmed)
        self._get("event", page)

    def visit(self, stop: threading.Event) -> None:
        self.member = self.rng.choice(self.members)
        for _ in range(self.rng.randint(*VISIT_LENGTH)):
            if stop.is_set():
                return
            self.step()


class ApiClient:
    """A script or an app reading the API with a member's personal token."""

    def __init__(self, plan: load_seed.Plan, members: list[Member], port: int, rng: random.Random,
                 recorder: Recorder) -> None:
        self.plan, self.members, self.rng, self.recorder = plan, members, rng, recorder
        self.http = Connection(port)
        kinds = list(API_MIX)
        self.kinds, self.weights = kinds, [API_MIX[k] for k in kinds]

    def visit(self, stop: threading.Event) -> None:
        member = self.rng.choice(self.members)
        headers = {"Authorization": f"Bearer {member.token}", "Accept": "application/json"}
        for _ in range(self.rng.randint(*VISIT_LENGTH)):
            if stop.is_set():
                return
            kind = self.rng.choices(self.kinds, self.weights)[0]
            path = {"api_events": "/api/v1/events", "api_members": "/api/v1/members",
                    "api_needs": "/api/v1/needs", "api_mine": "/api/v1/me/registrations",
                    "api_event": f"/api/v1/events/{self.rng.choice(self.plan.event_ids)}"}[kind]
            started = time.perf_counter()
            try:
                status, _headers, _data = self.http.request("GET", path, headers)
                error = None if status == 200 else f"{status} on GET {path}"
            except OSError as exc:
                error = f"{exc.__class__.__name__} on {path}"
            self.recorder.add(kind, time.perf_counter() - started, error)


class StaticClient:
    """The ceiling: the same clients fetching one static file."""

    def __init__(self, port: int, recorder: Recorder) -> None:
        self.http, self.recorder = Connection(port), recorder

    def visit(self, stop: threading.Event) -> None:
        started = time.perf_counter()
        try:
            status, _headers, _data = self.http.request("GET", STATIC_PATH, {})
            error = None if status == 200 else f"{status} on GET {STATIC_PATH}"
        except OSError as exc:
            error = exc.__class__.__name__
        self.recorder.add("static", time.perf_counter() - started, error)


def sign_in(port: int, member: Member, password: str) -> None:
    """The login form, then one page for the signed-in session's CSRF token."""
    http = Connection(port)
    status, headers, page = http.request("GET", "/login", {})
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    token = CSRF.search(page).group(1).decode()
    body = urlencode({"csrf_token": token, "email": member.email, "password": password}).encode()
    status, headers, _ = http.request("POST", "/login", {
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}, body)
    if status != 302:
        raise RuntimeError(f"login of {member.email} answered {status}")
    member.cookie = headers["Set-Cookie"].split(";", 1)[0]
    status, headers, page = http.request("GET", "/events/mine", {"Cookie": member.cookie})
    if "Set-Cookie" in headers:
        member.cookie = headers["Set-Cookie"].split(";", 1)[0]
    member.csrf = CSRF.search(page).group(1).decode()
    http.close()


# --- a level --------------------------------------------------------------------------------------

@dataclass
class LevelResult:
    name: str
    concurrency: int
    seconds: float
    recorder: Recorder
    server_cpu: float
    client_cpu: float
    machine_cpu: float
    database_cpu: float | None = None

    def per_request(self, cores: float | None) -> float:
        """CPU milliseconds per request, from cores used over the level."""
        return float("nan") if cores is None or not self.count else cores * self.seconds / self.count * 1000

    @property
    def cpu_per_request(self) -> float:
        """Workers, database and load generator: what one request costs the machine."""
        return sum(self.per_request(c) for c in (self.server_cpu, self.database_cpu or 0.0, self.client_cpu))

    @property
    def all_times(self) -> list[float]:
        return sorted(t for times in self.recorder.times.values() for t in times)

    @property
    def count(self) -> int:
        return sum(len(t) for t in self.recorder.times.values())

    @property
    def errors(self) -> int:
        return sum(self.recorder.errors.values())

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float, times: list[float] | None = None) -> float:
        times = self.all_times if times is None else sorted(times)
        if not times:
            return float("nan")
        return times[min(len(times) - 1, int(p / 100 * len(times)))] * 1000


def run_level(name: str, clients: list, concurrency: int, seconds: float, warmup: float,
              server: Gunicorn, database: DatabaseProcesses | None = None) -> LevelResult:
    """``clients`` (one per thread) loop on ``visit`` for ``warmup`` then ``seconds``."""
    recorder = Recorder()
    for client in clients:
        client.recorder = recorder
    stop = threading.Event()

    def loop(client) -> None:
        while not stop.is_set():
            client.visit(stop)

    threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    cpu0, server0, (busy0, total0) = time.process_time(), server.cpu_seconds(), machine_busy()
    db0 = database.cpu_seconds() if database else None
    started = time.perf_counter()
    recorder.measuring = True
    time.sleep(seconds)
    recorder.measuring = False
    elapsed = time.perf_counter() - started
    cpu1, server1, (busy1, total1) = time.process_time(), server.cpu_seconds(), machine_busy()
    db1 = database.cpu_seconds(db0) if database else None
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    for client in clients:
        client.http.close()
    return LevelResult(name, concurrency, elapsed, recorder, (server1 - server0) / elapsed,
                       (cpu1 - cpu0) / elapsed, (busy1 - busy0) / max(total1 - total0, 1e-9) * (os.cpu_count() or 1),
                       None if database is None else db1 / elapsed)


def mixed_clients(plan: load_seed.Plan, members: list[Member], concurrency: int, port: int,
                  seed: int) -> list:
    api = max(1, round(concurrency * API_SHARE)) if concurrency > 1 else 0
    clients: list = []
    for n in range(concurrency):
        rng = random.Random(seed * 1000 + n)
        # Each browser owns a disjoint slice of the members, so no two clients act as the same
        # member at once (a member registers and cancels in turn, never twice).
        if n < concurrency - api:
            share = members[n::concurrency - api]
            clients.append(Browser(plan, share, port, rng, Recorder()))
        else:
            clients.append(ApiClient(plan, members, port, rng, Recorder()))
    if concurrency == 1:
        # One client: its visits alternate between a member's browser and an API script.
        clients = [Alternating(Browser(plan, members, port, random.Random(seed), Recorder()),
                               ApiClient(plan, members, port, random.Random(seed + 1), Recorder()))]
    return clients


class Alternating:
    """One client that is a browser three visits in four, an API script the fourth."""

    def __init__(self, browser: Browser, api: ApiClient) -> None:
        self.browser, self.api, self.turn = browser, api, 0
        self.http = browser.http
        self.api.http = browser.http

    @property
    def recorder(self) -> Recorder:
        return self.browser.recorder

    @recorder.setter
    def recorder(self, value: Recorder) -> None:
        self.browser.recorder = self.api.recorder = value

    def visit(self, stop: threading.Event) -> None:
        self.turn += 1
        (self.api if self.turn % 4 == 0 else self.browser).visit(stop)


# --- reporting ----------------------------------------------------------------------------------

def level_line(result: LevelResult) -> str:
    return (f"{result.name:<7} c={result.concurrency:<3} {result.rate:7.1f} req/s  "
            f"p50 {result.percentile(50):6.1f}  p95 {result.percentile(95):6.1f}  "
            f"p99 {result.percentile(99):6.1f} ms  errors {result.errors} of {result.count}  "
            f"cpu: workers {result.server_cpu:4.2f}, database {_cores(result.database_cpu)}, "
            f"load generator {result.client_cpu:4.2f}, machine {result.machine_cpu:4.2f} cores; "
            f"per request: workers {result.per_request(result.server_cpu):.1f}, database "
            f"{_ms(result.per_request(result.database_cpu))}, load generator "
            f"{result.per_request(result.client_cpu):.2f} ms")


def _ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def _cores(value: float | None) -> str:
    return "-" if value is None else f"{value:4.2f}"


def kinds_table(result: LevelResult) -> list[str]:
    lines = []
    for kind, times in sorted(result.recorder.times.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"    {kind:<14} {len(times):6d}  p50 {result.percentile(50, times):6.1f}  "
                     f"p95 {result.percentile(95, times):6.1f} ms"
                     + (f"  errors {result.recorder.errors[kind]}" if result.recorder.errors.get(kind) else ""))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds measured per level")
    parser.add_argument("--static-duration", type=float, default=None,
                        help="seconds of the static ceiling per level (default: a third of --duration)")
    parser.add_argument("--levels", default="1,8,32", help="concurrency levels, comma-separated")
    parser.add_argument("--database-url", default=None, help=f"PostgreSQL URL (default {DEFAULT_DATABASE})")
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: the shipped config's)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: SQLite, small, levels 1,4, 3 s")
    parser.add_argument("--kinds", action="store_true", help="print each request kind's figures")
    parser.add_argument("--pages", action="store_true",
                        help="no load: each request kind's SQL statements and CPU, in one process")
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    parser.add_argument("--threads", type=int, default=None, help="threads per worker (default: the shipped config's)")
    parser.add_argument("--server-root", metavar="DIR", default=None,
                        help="serve the node from this checkout (another version of the code, to "
                             "compare before and after on the same data)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--reuse", metavar="DIR", default=None,
                        help="keep the instance and its database in DIR; a later run with the same DIR "
                             "skips the seeding (the database is kept)")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration = min(args.duration, 3.0)
        args.levels = "1,4" if args.levels == "1,8,32" else args.levels
        args.members, args.events = min(args.members, 60), min(args.events, 20)
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    static_seconds = args.static_duration or max(1.0, args.duration / 3)
    warmup = 1.0 if args.quick else 3.0

    if args.reuse:
        folder = Path(args.reuse)
        folder.mkdir(parents=True, exist_ok=True)
        if (folder / "plan.json").exists():
            plan = load_seed.Plan(**json.loads((folder / "plan.json").read_text(encoding="utf-8")))
            print(f"node: {plan.backend}, {plan.summary}; reused from {folder}", flush=True)
            return _run(args, folder / "instance", plan, levels, static_seconds, warmup)
        url = args.database_url or DEFAULT_DATABASE
        if url.startswith("postgresql"):
            fresh_database(url)
        plan = _seed(args, folder / "instance", url)
        (folder / "plan.json").write_text(json.dumps(dataclasses.asdict(plan)), encoding="utf-8")
        return _run(args, folder / "instance", plan, levels, static_seconds, warmup)
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        instance = Path(tmp) / "instance"
        url = args.database_url or (None if args.quick else DEFAULT_DATABASE)
        if url is None:
            url = f"sqlite:///{Path(tmp) / 'coworknet.sqlite3'}"
        elif url.startswith("postgresql"):
            fresh_database(url)
        try:
            return _run(args, instance, _seed(args, instance, url), levels, static_seconds, warmup)
        finally:
            if url.startswith("postgresql") and not args.keep:
                drop_database(url)


def _seed(args, instance: Path, url: str) -> load_seed.Plan:
    clock = time.perf_counter()
    plan = load_seed.seed(instance, url, members=args.members, events=args.events)
    print(f"node: {plan.backend}, {plan.summary}; seeded in {time.perf_counter() - clock:.0f} s", flush=True)
    return plan


def _run(args, instance: Path, plan: load_seed.Plan, levels: list[int], static_seconds: float,
         warmup: float) -> int:
    root = Path(args.server_root).resolve() if args.server_root else ROOT
    if args.reuse:
        upgrade_with(root, plan.database_url)
    if args.pages:
        return pages(instance, plan, root)
    server = Gunicorn(server_env(instance, args.workers, args.threads, root), root)
    if root != ROOT:
        print(f"served from {root}", flush=True)
    database = DatabaseProcesses(plan.database_url) if plan.database_url.startswith("postgresql") else None
    try:
        workers = len(_children(server.process.pid))
        threads = args.threads or "the configured"
        print(f"gunicorn: deploy/gunicorn.conf.py, {workers} workers (gthread, {threads} threads each), "
              f"on a machine of {os.cpu_count()} cores", flush=True)
        members = [Member(id=m, email=e, token=t) for m, e, t in plan.clients]
        clock = time.perf_counter()
        for member in members:
            sign_in(server.port, member, plan.password)
        print(f"{len(members)} members signed in in {time.perf_counter() - clock:.1f} s (not measured)", flush=True)
        results: list[tuple[LevelResult, LevelResult]] = []
        for concurrency in levels:
            mix = run_level("mix", mixed_clients(plan, members, concurrency, server.port, concurrency),
                            concurrency, args.duration, warmup, server, database)
            print(level_line(mix), flush=True)
            if args.kinds or args.quick:
                print("\n".join(kinds_table(mix)), flush=True)
            for sample in mix.recorder.error_samples:
                print(f"    error: {sample}", flush=True)
            static = run_level("static", [StaticClient(server.port, Recorder()) for _ in range(concurrency)],
                               concurrency, static_seconds, min(warmup, 1.0), server, database)
            print(level_line(static), flush=True)
            results.append((mix, static))
    finally:
        server.stop()
        if database is not None:
            database.close()
    return report(results, args.check)


def report(results: list[tuple[LevelResult, LevelResult]], check: bool) -> int:
    print()
    cores = os.cpu_count() or 1
    print("| concurrency | mix req/s | p50 / p95 / p99 ms | errors | static req/s | static p95 ms | mix / static "
          "| CPU ms per request (workers + database + generator) | requests/s the cores allow |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for mix, static in results:
        print(f"| {mix.concurrency} | {mix.rate:.0f} | {mix.percentile(50):.1f} / {mix.percentile(95):.1f} / "
              f"{mix.percentile(99):.1f} | {mix.errors} | {static.rate:.0f} | {static.percentile(95):.1f} | "
              f"{mix.rate / static.rate:.2f} | {mix.per_request(mix.server_cpu):.1f} + "
              f"{_ms(mix.per_request(mix.database_cpu))} + {mix.per_request(mix.client_cpu):.2f} | "
              f"{cores * 1000 / mix.cpu_per_request:.0f} |")
    print(f"(the last column: {cores} cores divided by the CPU one request of the mix costs, the rate "
          "this machine could serve with nothing else running)")
    goals = []
    ones = [mix for mix, _ in results if mix.concurrency == 1]
    if ones:
        goals.append(("p95 at concurrency 1 ≤ 50 ms", ones[0].percentile(95) <= 50))
    if any(mix.concurrency >= 8 for mix, _ in results):
        goals.append(("≥ 150 requests/s at saturation", max(m.rate for m, _ in results) >= 150))
    goals.append(("no errors", all(m.errors == 0 for m, _ in results)))
    for name, ok in goals:
        print(f"goal: {name}: {'PASS' if ok else 'FAIL'}")
    return 1 if check and not all(ok for _, ok in goals) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
