# ruff: noqa: S603 - the coworknet command of this virtualenv, with fixed arguments
"""The ``coworknet`` command as an operator uses it: ``init`` on a terminal, ``run``, ``db upgrade``
from an older schema."""

from __future__ import annotations

import html
import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import inspect

from node.cli import main
from node.db import make_engine
from node.migrate import current_revisions, downgrade, upgrade
from tests.conftest import database_url_for

COWORKNET = str(Path(sys.executable).parent / "coworknet")
#: Tables each feature branch's first migration creates (0001 is the foundation).
BRANCH_TABLES = {"peers", "feed_items", "events", "network_entries", "connector_needs", "regional_events"}


def _env(instance: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("COWORKNET_")}
    env.update(COWORKNET_INSTANCE=str(instance), COWORKNET_ARGON2_TIME_COST="1",
               COWORKNET_ARGON2_MEMORY_COST="16", LC_ALL="C.UTF-8", PYTHONUNBUFFERED="1")
    return env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


class Terminal:
    """A child process whose standard streams are a pseudo-terminal, as in an operator's shell."""

    def __init__(self, argv: list[str], env: dict):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env)
        os.close(slave)
        self.seen = b""

    def expect(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.seen:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"{text!r} never shown; terminal showed {self.seen!r}")
            if select.select([self.master], [], [], remaining)[0]:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:  # the child closed the terminal
                    raise AssertionError(f"{text!r} never shown; terminal showed {self.seen!r}") from None

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\r")

    def close(self) -> int:
        try:
            return self.process.wait(timeout=60)
        finally:
            os.close(self.master)


def test_init_asks_for_name_city_and_url_on_a_terminal(tmp_path):
    instance = tmp_path / "instance"
    url = database_url_for("cli_init", tmp_path)
    terminal = Terminal([COWORKNET, "init", "--database-url", url], _env(instance))
    try:
        terminal.expect("Name")
        terminal.type("La Cantine Numérique")
        terminal.expect("City")
        terminal.type("Saint-Étienne")
        terminal.expect("URL")
        terminal.type("https://cantine.example/")
        terminal.expect("Initialised")
    finally:
        assert terminal.close() == 0, terminal.seen
    settings = tomllib.loads((instance / "coworknet.toml").read_text(encoding="utf-8"))
    assert settings["NODE_NAME"] == "La Cantine Numérique"
    assert settings["NODE_CITY"] == "Saint-Étienne"
    assert settings["BASE_URL"] == "https://cantine.example"
    assert len(settings["SECRET_KEY"]) >= 32
    # The space exists with those answers.
    result = subprocess.run([sys.executable, "-c", "from node import create_app; "
                             "print(create_app().test_client().get('/api/v1/space').get_data(as_text=True))"],
                            env=_env(instance), capture_output=True, text=True, timeout=60, check=True)
    space = json.loads(result.stdout.strip().splitlines()[-1])
    assert (space["name"], space["city"]) == ("La Cantine Numérique", "Saint-Étienne")


def test_run_serves_the_node_on_the_given_port(tmp_path):
    instance = tmp_path / "instance"
    url = database_url_for("cli_run", tmp_path)
    env = _env(instance)
    subprocess.run([COWORKNET, "init", "--name", "L'Atelier Partagé", "--city", "Aix-en-Provence",
                    "--url", "http://127.0.0.1:5002", "--database-url", url],
                   env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    server = subprocess.Popen([COWORKNET, "run", "--port", str(port)], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.stdout.read().decode(errors="replace")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/space", timeout=5) as response:
                    body = json.load(response)
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
        assert body["name"] == "L'Atelier Partagé"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
            assert response.status == 200 and "L'Atelier Partagé" in html.unescape(response.read().decode())
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


def test_db_upgrade_brings_an_older_database_to_the_heads(tmp_path, monkeypatch):
    url = database_url_for("cli_upgrade", tmp_path)
    upgrade(url, "0001_foundation")
    assert current_revisions(url) == ["0001_foundation"]
    assert "members" in _table_names(url) and not BRANCH_TABLES & _table_names(url)

    monkeypatch.setenv("COWORKNET_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("COWORKNET_DATABASE_URL", url)
    monkeypatch.setenv("COWORKNET_SECRET_KEY", "x" * 64)
    runner = CliRunner()
    result = runner.invoke(main, ["db", "current"])
    assert result.exit_code == 0, result.output
    assert "pending" in result.output
    result = runner.invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    heads = current_revisions(url)
    assert len(heads) > 1 and "0001_foundation" not in heads
    assert all(revision in result.output for revision in heads)
    assert BRANCH_TABLES <= _table_names(url)
    assert "up to date" in runner.invoke(main, ["db", "current"]).output

    # Down to the foundation and up again: the migrations are reversible.
    downgrade(url, "0001_foundation")
    assert current_revisions(url) == ["0001_foundation"] and not BRANCH_TABLES & _table_names(url)
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert current_revisions(url) == heads and BRANCH_TABLES <= _table_names(url)

