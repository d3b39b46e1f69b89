"""Slow clients (slowloris) never hold a gunicorn worker: the shipped gunicorn settings use
threaded workers with short timeouts and bounded requests, listen where only the proxy
reaches them, and the shipped Caddy and nginx configurations read each request whole (with
header and body timeouts) and buffer each answer before a worker is involved."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest
import yaml

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def gunicorn_settings(monkeypatch, **env: str) -> dict:
    for name in ("COWORKNET_BIND", "COWORKNET_WORKERS", "COWORKNET_THREADS", "COWORKNET_TIMEOUT",
                 "COWORKNET_WORKER_CONNECTIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))


@pytest.mark.parametrize("env", [{}, {"COWORKNET_THREADS": "1"}, {"COWORKNET_TIMEOUT": "600"}])
def test_gunicorn_always_runs_threaded_workers_with_short_timeouts(monkeypatch, env):
    settings = gunicorn_settings(monkeypatch, **env)
    assert settings["worker_class"] == "gthread" and settings["threads"] >= 2
    assert settings["timeout"] <= 60 and settings["keepalive"] <= 10
    assert settings["limit_request_line"] <= 8190
    assert settings["limit_request_fields"] <= 100
    assert settings["limit_request_field_size"] <= 8190
    # Only the proxy reaches it: loopback unless told otherwise.
    assert settings["bind"].startswith("127.0.0.1:") or env.get("COWORKNET_BIND")


@pytest.mark.parametrize(("cores", "env", "workers", "threads"), [
    (2, {}, 2, 2), (8, {}, 8, 2), (1, {}, 2, 2), (None, {}, 2, 2),
    (2, {"COWORKNET_WORKERS": "0"}, 2, 2), (2, {"COWORKNET_WORKERS": "5", "COWORKNET_THREADS": "3"}, 5, 3),
])
def test_gunicorn_runs_one_worker_per_core_with_two_threads_unless_told(monkeypatch, cores, env, workers,
                                                                       threads):
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    settings = gunicorn_settings(monkeypatch, **env)
    assert (settings["workers"], settings["threads"]) == (workers, threads)
    # A worker holds a bounded number of connections, so a recycled worker's clients spread.
    assert settings["worker_connections"] == 8 * threads


def _blocks(text: str, opener: str) -> list[str]:
    """The bodies of the blocks opened by the pattern ``opener`` and ``{`` in a Caddyfile
    (braces balanced)."""
    bodies = []
    for match in re.finditer(opener + r"\s*\{", text):
        depth, start = 1, match.end()
        index = start
        while depth:
            depth += {"{": 1, "}": -1}.get(text[index], 0)
            index += 1
        bodies.append(text[start:index - 1])
    return bodies


def test_caddy_reads_requests_whole_and_buffers_answers():
    text = (DEPLOY / "caddy" / "Caddyfile").read_text()
    (timeouts,) = _blocks(text, "timeouts")
    for name, most in (("read_header", 10), ("read_body", 30), ("write", 60)):
        found = re.search(rf"^\s*{name}\s+(\d+)s\s*$", timeouts, re.M)
        assert found and int(found.group(1)) <= most, name
    proxies = [m for m in re.finditer(r"reverse_proxy (\S+)", text)]
    assert len(proxies) == 3
    for body in _blocks(text, r"reverse_proxy \S+"):
        assert re.search(r"^\s*request_buffers\s+\d+MB\s*$", body, re.M)
        assert re.search(r"^\s*response_buffers\s+\d+MB\s*$", body, re.M)
    assert len(_blocks(text, r"reverse_proxy \S+")) == 3  # every node's proxy buffers


def test_nginx_reads_requests_whole_and_buffers_answers():
    text = (DEPLOY / "nginx.conf.example").read_text()
    directives = dict(re.findall(r"^[ \t]*([a-z_]+)[ \t]+([^;{}\n]+);", text, re.M))
    assert directives["proxy_request_buffering"] == "on"
    assert directives["proxy_buffering"] == "on"
    for name, most in (("client_header_timeout", 10), ("client_body_timeout", 30),
                       ("send_timeout", 60)):
        assert int(directives[name].rstrip("s")) <= most, name
    assert directives["proxy_pass"].startswith("http://127.0.0.1:")


def test_the_shipped_deployments_put_gunicorn_behind_the_proxy():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    exposed = {name for name, service in services.items() if service.get("ports")}
    assert exposed == {"caddy"}  # the nodes publish no port: only Caddy reaches them
    unit = (DEPLOY / "systemd" / "coworknet-web.service").read_text()
    assert "gunicorn -c /opt/coworknet/deploy/gunicorn.conf.py" in unit
    env = (DEPLOY / "coworknet.env.example").read_text()
    assert re.search(r"^COWORKNET_BIND=127\.0\.0\.1:\d+$", env, re.M)
    threads = re.search(r"^COWORKNET_THREADS=(\d+)$", env, re.M)
    assert threads and int(threads.group(1)) >= 2
