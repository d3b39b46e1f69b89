"""The deployment files are well-formed and name only commands that exist."""

# ruff: noqa: S603, S607 - fixed commands on our own files
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from node.cli import main

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VENV_BIN = Path(sys.executable).parent


def test_environment_example_is_valid_for_systemd_and_the_shell(tmp_path):
    env_file = DEPLOY / "coworknet.env.example"
    result = subprocess.run(["bash", "-c", f'set -a; . "{env_file}"; set +a; env'],
                            capture_output=True, text=True, check=True, env={"PATH": os.defpath})
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert values["COWORKNET_INSTANCE"] == "/var/lib/coworknet"
    assert values["COWORKNET_PROXY_FIX_X_FOR"] == "1"
    assert values["COWORKNET_MAIL_FROM"] == "La Coque Bleue <no-reply@coworking.example.org>"
    text = env_file.read_text()
    assert not re.search(r"^\s*COWORKNET_(SECRET_KEY|SMTP_PASSWORD|OIDC_CLIENT_SECRET)=", text, re.M)


def test_compose_runs_postgres_three_nodes_their_schedulers_and_a_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    nodes = ["marseille", "aix", "fontainebleau"]
    assert set(services) == {"postgres", "caddy", *nodes, *(f"{n}-sync" for n in nodes)}
    urls = {services[n]["environment"]["COWORKNET_DATABASE_URL"] for n in nodes}
    assert len(urls) == 3
    for name in nodes:
        node, sync = services[name], services[f"{name}-sync"]
        assert node["environment"]["COWORKNET_PROXY_FIX_X_FOR"] == "1"
        assert sync["environment"]["COWORKNET_DATABASE_URL"] == node["environment"]["COWORKNET_DATABASE_URL"]
        assert sync["volumes"] == node["volumes"]
        assert f"reverse_proxy {name}:8000" in (DEPLOY / "caddy" / "Caddyfile").read_text()
    # The commands the containers run exist.
    runner = CliRunner()
    for command in (["init"], ["serve"], services["marseille-sync"]["entrypoint"][1:]):
        assert runner.invoke(main, [*command, "--help"]).exit_code == 0, command
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in dockerfile and "\nUSER coworknet" in dockerfile
    assert "HEALTHCHECK" in dockerfile and 'ENTRYPOINT ["coworknet"]' in dockerfile


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze is not installed")
def test_systemd_units_verify(tmp_path):
    root = str(ROOT)
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        text = unit.read_text().replace("/opt/coworknet/.venv/bin", str(VENV_BIN))
        text = text.replace("/opt/coworknet", root).replace("/etc/coworknet/coworknet.env",
                                                           str(DEPLOY / "coworknet.env.example"))
        (tmp_path / unit.name).write_text(text)
    units = sorted(str(p) for p in tmp_path.iterdir())
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", *units],
                            capture_output=True, text=True, cwd=tmp_path)
    problems = [line for line in result.stderr.splitlines()
                if "coworknet" in line and "User" not in line and "Group" not in line]
    assert not problems, result.stderr


def test_gunicorn_settings_load(tmp_path):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("COWORKNET_")},
           "COWORKNET_WORKERS": "2", "COWORKNET_INSTANCE": str(tmp_path),
           "COWORKNET_SECRET_KEY": secrets.token_hex(32)}
    result = subprocess.run(
        [str(VENV_BIN / "gunicorn"), "-c", str(DEPLOY / "gunicorn.conf.py"), "--print-config",
         "node.wsgi:app"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert result.returncode == 0, result.stderr
    config = dict(re.findall(r"^(\w+)\s*=\s*(.*)$", result.stdout, re.M))
    assert config["workers"] == "2" and config["bind"] == "['127.0.0.1:8000']"
    assert "%(h)s" not in config["access_log_format"] and "%(r)s" not in config["access_log_format"]


def test_every_command_of_the_operator_guide_exists():
    guide = (ROOT / "docs" / "OPERATING.md").read_text()
    commands = re.findall(r"^(?:cw|coworknet) ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", guide, re.M)
    commands += re.findall(r"`(?:cw|coworknet) ([a-z][a-z-]*(?: [a-z][a-z-]*)?)", guide)
    assert len(set(commands)) >= 10
    runner = CliRunner()
    for command in sorted(set(commands)):
        words = command.split()
        result = runner.invoke(main, [*words, "--help"])
        if result.exit_code != 0 and len(words) == 2:  # "cw init --name": second word is an argument
            result = runner.invoke(main, [words[0], "--help"])
        assert result.exit_code == 0, f"`coworknet {command}` in OPERATING.md: {result.output}"
