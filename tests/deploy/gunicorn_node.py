"""A node installed as docs/OPERATING.md says and served by the real gunicorn (several workers)
on its own PostgreSQL database; shared by the deployment tests."""

# ruff: noqa: S603 - the operator's commands with fixed arguments
from __future__ import annotations

import os
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


def _admin_engine():
    return make_engine(make_url(PG_URL).set(database="postgres").render_as_string(False),
                       isolation_level="AUTOCOMMIT")


def fresh_database(name: str) -> str:
    """An empty PostgreSQL database (skips the test where no server answers)."""
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


def drop_database(name: str) -> None:
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def operator_env(instance: Path, workers: int, **extra: str) -> dict[str, str]:
    """The environment file of the guide (without our own test settings leaking in)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("COWORKNET_")},
        "COWORKNET_INSTANCE": str(instance),
        "COWORKNET_PROXY_FIX_X_FOR": "1",
        "COWORKNET_MAIL_BACKEND": "file",
        "COWORKNET_WORKERS": str(workers),
        "COWORKNET_THREADS": "2",
        # A low argon2 cost for the test machine; production keeps the defaults.
        "COWORKNET_ARGON2_MEMORY_COST": "8192",
        "COWORKNET_ARGON2_TIME_COST": "1",
        **extra,
    }


def coworknet(env: dict, *args: str, stdin: str | None = None) -> str:
    result = subprocess.run([str(BIN / "coworknet"), *args], env=env, input=stdin,
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def worker_pids(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


class Gunicorn:
    """``gunicorn -c deploy/gunicorn.conf.py node.wsgi:app`` in a subprocess (or the same
    through ``coworknet serve``, which replaces itself with that command)."""

    def __init__(self, env: dict[str, str], port: int, *, via_cli: bool = False) -> None:
        self.base = f"http://127.0.0.1:{port}"
        command = ([str(BIN / "coworknet"), "serve"] if via_cli else
                   [str(BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "node.wsgi:app"])
        self.process = subprocess.Popen(
            command,
            env={**env, "COWORKNET_BIND": f"127.0.0.1:{port}"}, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(self.base + "/api/v1/space", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                pytest.fail("gunicorn did not start:\n" + self.process.stdout.read())
            time.sleep(0.2)

    @property
    def pid(self) -> int:
        return self.process.pid

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process.stdout.close()
