# ruff: noqa: S603, S607, S105 - a test that runs the operator's commands with fixed arguments
"""docs/OPERATING.md followed on this machine: `coworknet init` on PostgreSQL, a manager,
`coworknet db upgrade`, gunicorn with several workers behind a (simulated) reverse proxy,
then a backup with pg_dump restored with pg_restore."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import text
from sqlalchemy.engine import make_url

from node.db import make_engine

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("COWORKNET_TEST_DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/postgres"
MANAGER_PASSWORD = "a long manager password"
WORKERS = 3

pytestmark = pytest.mark.slow


def _admin_engine():
    return make_engine(make_url(PG_URL).set(database="postgres").render_as_string(False),
                       isolation_level="AUTOCOMMIT")


def _fresh_database(name: str) -> str:
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any connection problem means "no server here"
        pytest.skip(f"PostgreSQL is not reachable at {PG_URL}: {exc.__class__.__name__}")
    finally:
        engine.dispose()
    return make_url(PG_URL).set(database=name).render_as_string(False)


def _drop_database(name: str) -> None:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _coworknet(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(BIN / "coworknet"), *args], env=env, input=stdin,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory):
    """The environment file of docs/OPERATING.md, on our own database."""
    suffix = os.getpid()
    names = {"main": f"coworknet_deploy_{suffix}", "restore": f"coworknet_deploy_restore_{suffix}"}
    url = _fresh_database(names["main"])
    instance = tmp_path_factory.mktemp("deploy") / "instance"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("COWORKNET_")},
        "COWORKNET_INSTANCE": str(instance),
        "COWORKNET_PROXY_FIX_X_FOR": "1",
        "COWORKNET_MAIL_BACKEND": "file",
        "COWORKNET_WORKERS": str(WORKERS),
        "COWORKNET_THREADS": "2",
        # Keep the argon2 cost low for the test machine; production keeps the defaults.
        "COWORKNET_ARGON2_MEMORY_COST": "8192",
        "COWORKNET_ARGON2_TIME_COST": "1",
    }
    yield {"env": env, "url": url, "instance": instance, "names": names}
    for name in names.values():
        _drop_database(name)


@pytest.fixture(scope="module")
def installed(operator_env):
    env, url = operator_env["env"], operator_env["url"]
    out = _coworknet(env, "init", "--name", "La Coque Bleue", "--city", "Marseille",
                     "--url", "https://coworking.example.org", "--database-url", url)
    assert "Initialised La Coque Bleue" in out
    _coworknet(env, "create-manager", "cm@example.org", "--name", "Inès",
               stdin=f"{MANAGER_PASSWORD}\n{MANAGER_PASSWORD}\n")
    # An upgrade on an up-to-date database is a no-op that reports the heads.
    assert "Database at:" in _coworknet(env, "db", "upgrade")
    current = _coworknet(env, "db", "current").split("\n")
    assert "up to date" in current  # every feature branch at its head
    heads = [line for line in current if line and " " not in line]
    assert "0005_oidc" in heads
    return {**operator_env, "heads": heads}


@pytest.fixture(scope="module")
def server(installed):
    port = _free_port()
    access_log = installed["instance"] / "access.log"
    env = {**installed["env"], "COWORKNET_BIND": f"127.0.0.1:{port}",
           "COWORKNET_ACCESS_LOG": str(access_log)}
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "node.wsgi:app"],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(base + "/api/v1/space", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("gunicorn did not start:\n" + (process.stdout.read() if process.stdout else ""))
        time.sleep(0.2)
    yield {**installed, "base": base, "pid": process.pid, "access_log": access_log}
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()


PROXY = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
         "Host": "coworking.example.org"}


def test_gunicorn_runs_several_workers_on_postgres(server):
    assert len(_children(server["pid"])) == WORKERS
    space = requests.get(server["base"] + "/api/v1/space", timeout=5).json()
    assert space["name"] == "La Coque Bleue"
    for path in ("/", "/login", "/signup", "/api/v1/openapi.json"):
        assert requests.get(server["base"] + path, headers=PROXY, timeout=5).status_code == 200, path


def _login(base: str) -> dict:
    page = requests.get(base + "/login", headers=PROXY, timeout=5)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    cookie = page.cookies  # Secure cookies: requests will not send them over http, we do
    headers = {**PROXY, "Cookie": "; ".join(f"{c.name}={c.value}" for c in cookie),
               "Referer": "https://coworking.example.org/login"}
    response = requests.post(base + "/login", headers=headers, allow_redirects=False, timeout=10,
                             data={"csrf_token": token, "email": "cm@example.org",
                                   "password": MANAGER_PASSWORD})
    assert response.status_code == 302, response.text[:500]
    assert "Secure" in response.headers["Set-Cookie"]  # https seen through the proxy headers
    return {**PROXY, "Cookie": "; ".join(f"{c.name}={c.value}" for c in response.cookies)}


def test_sessions_work_across_workers_behind_the_proxy(server):
    headers = _login(server["base"])
    # Many requests spread over the workers: every one of them knows the signed-in manager.
    for _ in range(12):
        page = requests.get(server["base"] + "/admin/members", headers=headers, timeout=5)
        assert page.status_code == 200 and "cm@example.org" in page.text


def test_proxy_headers_give_the_client_address_and_https(server):
    engine = make_engine(server["url"])
    page = requests.get(server["base"] + "/login", headers=PROXY, timeout=5)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text).group(1)
    headers = {**PROXY, "Cookie": "; ".join(f"{c.name}={c.value}" for c in page.cookies),
               "Referer": "https://coworking.example.org/login"}
    requests.post(server["base"] + "/login", headers=headers, timeout=10,
                  data={"csrf_token": token, "email": "cm@example.org", "password": "wrong"})
    with engine.connect() as conn:
        ips = conn.execute(text("SELECT ip FROM login_failures")).scalars().all()
    engine.dispose()
    assert ips == ["203.0.113.9"]
    requests.post(server["base"] + "/password/forgot", headers=headers, timeout=10,
                  data={"csrf_token": token, "email": "cm@example.org"})
    mails = "".join(p.read_text() for p in (server["instance"] / "outbox").rglob("*") if p.is_file())
    assert "https://coworking.example.org/password/reset/" in mails


def test_access_log_holds_no_personal_data(server):
    requests.get(server["base"] + "/directory?q=comptable-secret", headers=PROXY, timeout=5)
    time.sleep(0.5)
    log = server["access_log"].read_text()
    assert "GET /directory" in log
    assert "comptable-secret" not in log
    assert "203.0.113.9" not in log and "127.0.0.1" not in log


@pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed")
def test_backup_and_restore_with_pg_dump(server, tmp_path):
    dump = tmp_path / "coworknet.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--file={dump}", server["url"]],
                   check=True, timeout=60)
    restored = _fresh_database(server["names"]["restore"])
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
                   check=True, timeout=60)
    env = {**server["env"], "COWORKNET_DATABASE_URL": restored}
    restored_current = _coworknet(env, "db", "current").split("\n")
    assert [line for line in restored_current if line and " " not in line] == server["heads"]
    assert "up to date" in restored_current
    engine = make_engine(restored)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM members")).scalars().all() == ["cm@example.org"]
    engine.dispose()
