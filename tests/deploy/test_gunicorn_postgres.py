# ruff: noqa: S603, S607, S105 - a test that runs the operator's commands with fixed arguments
"""docs/OPERATING.md followed on this machine: `coworknet init` on PostgreSQL, a manager,
`coworknet db upgrade`, gunicorn with several workers behind a (simulated) reverse proxy,
then a backup with pg_dump restored with pg_restore."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time

import pytest
import requests
from sqlalchemy import text

from node.db import make_engine

from .gunicorn_node import (
    Gunicorn,
    coworknet,
    drop_database,
    free_port,
    fresh_database,
    worker_pids,
)
from .gunicorn_node import operator_env as environment_file

MANAGER_PASSWORD = "a long manager password"
WORKERS = 3

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def operator_env(tmp_path_factory):
    """The environment file of docs/OPERATING.md, on our own database."""
    suffix = os.getpid()
    names = {"main": f"coworknet_deploy_{suffix}", "restore": f"coworknet_deploy_restore_{suffix}"}
    url = fresh_database(names["main"])
    instance = tmp_path_factory.mktemp("deploy") / "instance"
    env = environment_file(instance, WORKERS)
    yield {"env": env, "url": url, "instance": instance, "names": names}
    for name in names.values():
        drop_database(name)


@pytest.fixture(scope="module")
def installed(operator_env):
    env, url = operator_env["env"], operator_env["url"]
    out = coworknet(env, "init", "--name", "La Coque Bleue", "--city", "Marseille",
                     "--url", "https://coworking.example.org", "--database-url", url)
    assert "Initialised La Coque Bleue" in out
    coworknet(env, "create-manager", "cm@example.org", "--name", "Inès",
               stdin=f"{MANAGER_PASSWORD}\n{MANAGER_PASSWORD}\n")
    # An upgrade on an up-to-date database is a no-op that reports the heads.
    assert "Database at:" in coworknet(env, "db", "upgrade")
    current = coworknet(env, "db", "current").split("\n")
    assert "up to date" in current  # every feature branch at its head
    heads = [line for line in current if line and " " not in line]
    assert "0005_oidc" in heads
    return {**operator_env, "heads": heads}


@pytest.fixture(scope="module")
def server(installed):
    access_log = installed["instance"] / "access.log"
    gunicorn = Gunicorn({**installed["env"], "COWORKNET_ACCESS_LOG": str(access_log)}, free_port())
    yield {**installed, "base": gunicorn.base, "pid": gunicorn.pid, "access_log": access_log}
    gunicorn.stop()


PROXY = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
         "Host": "coworking.example.org"}


def test_gunicorn_runs_several_workers_on_postgres(server):
    # The first answer can come from the first worker while the others are still forking.
    deadline = time.monotonic() + 30
    while len(worker_pids(server["pid"])) < WORKERS and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(worker_pids(server["pid"])) == WORKERS
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
    restored = fresh_database(server["names"]["restore"])
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump)],
                   check=True, timeout=60)
    env = {**server["env"], "COWORKNET_DATABASE_URL": restored}
    restored_current = coworknet(env, "db", "current").split("\n")
    assert [line for line in restored_current if line and " " not in line] == server["heads"]
    assert "up to date" in restored_current
    engine = make_engine(restored)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM members")).scalars().all() == ["cm@example.org"]
    engine.dispose()
