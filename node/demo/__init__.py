"""``make demo``: three fictional coworking spaces on SQLite, seeded, served on loopback.

Run with ``python -m node.demo [--root demo-instances] [--host 127.0.0.1] [--no-serve]``."""

from __future__ import annotations

import argparse
import json
import logging
import secrets
import threading
import tomllib
from collections.abc import Callable
from pathlib import Path

from werkzeug.serving import make_server

from ..app import create_app
from ..cli import initialise_node, write_instance_config
from .base import DemoNode
from .connector import play_network_story, seed_connector
from .events import seed_events
from .federation import peer_demo_nodes, start_sync
from .members import seed_members
from .network import export_directories
from .passes import seed_passes
from .regional import seed_regional
from .rosters import seed_networks

__all__ = ["SEED_FILE", "SEED_STEPS", "SERVE_STEPS", "DemoNode", "build_nodes", "main"]

logger = logging.getLogger(__name__)

SEED_FILE = Path(__file__).resolve().parents[2] / "deploy" / "demo" / "spaces.json"


def _settings(spec: dict, host: str, existing: Path) -> dict:
    settings = tomllib.loads(existing.read_text(encoding="utf-8")) if existing.exists() else {}
    settings.setdefault("SECRET_KEY", secrets.token_hex(32))
    settings.setdefault("PSEUDONYM_SECRET", secrets.token_hex(32))
    settings.update(
        NODE_NAME=spec["name"], NODE_CITY=spec["city"], NODE_REGION=spec.get("region", ""),
        BASE_URL=f"http://{host}:{spec['port']}",
        # Plain-HTTP demo on loopback: browsers drop Secure cookies there, and several nodes
        # share 127.0.0.1, so each needs its own cookie name.
        SESSION_COOKIE_SECURE=False, SESSION_COOKIE_NAME=f"coworknet_{spec['slug']}",
        MAIL_BACKEND="file", FEDERATION_ALLOW_LOOPBACK=True, SIGNUP_MODE="approval", LOG_LEVEL="WARNING",
    )
    return settings


#: Seed steps run in order for every demo node; feature areas append theirs
#: (signature: ``step(nodes: list[DemoNode], data: dict) -> None``).
SEED_STEPS: list[Callable[[list[DemoNode], dict], None]] = [
    seed_members,  # the manager and members of each space, with their profiles
    peer_demo_nodes,  # the three nodes are approved peers of each other
    seed_events,  # venues, a program of events, registrations and a waitlist per space
    export_directories,  # anonymised skill directories sent to the peers (after peering)
    seed_connector,  # needs, referrals with € deals, barter, check-in history, membership goal
    seed_regional,  # "Semaine du coworking": organised by the first space, sessions at each (after peering)
    seed_passes,  # network pass: the first space agrees on 2 days a month with each other (after peering)
    seed_networks,  # "Réseau Sud": a roster coordinated by the first space, every space on it
]


#: Run once the nodes serve (signature: ``step(nodes: list[DemoNode]) -> None``).
SERVE_STEPS: list[Callable[[list[DemoNode]], object]] = [start_sync, play_network_story]


def build_nodes(root: Path, host: str = "127.0.0.1", seed_file: Path = SEED_FILE) -> tuple[list[DemoNode], dict]:
    """Create (or reuse) the demo instances and seed them."""
    data = json.loads(seed_file.read_text(encoding="utf-8"))
    nodes = []
    for spec in data["spaces"]:
        instance = root / spec["slug"]
        write_instance_config(instance, _settings(spec, host, instance / "coworknet.toml"))
        app = create_app({"INSTANCE_PATH": str(instance)})
        initialise_node(app)
        nodes.append(DemoNode(spec["slug"], spec, app))
    for step in SEED_STEPS:
        step(nodes, data)
    return nodes, data


def serve(nodes: list[DemoNode], host: str) -> None:
    servers = [make_server(host, node.spec["port"], node.app, threaded=True) for node in nodes]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in servers]
    for thread in threads:
        thread.start()
    for step in SERVE_STEPS:
        step(nodes)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        for server in servers:
            server.shutdown()


def print_banner(nodes: list[DemoNode], data: dict) -> None:
    print("\nCoworknet demo: three coworking spaces are running\n")  # noqa: T201
    for node in nodes:
        first = node.spec["members"][0]["email"]
        print(f"  {node.spec['name']} ({node.spec['city']})\n    {node.url}/")  # noqa: T201
        print(f"    manager: {node.spec['manager']['email']} / {node.spec['manager']['password']}")  # noqa: T201
        print(f"    member:  {first} / {data['member_password']}\n")  # noqa: T201
    print("Press Ctrl+C to stop.", flush=True)  # noqa: T201


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m node.demo", description=__doc__)
    parser.add_argument("--root", default="demo-instances", type=Path)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--no-serve", action="store_true", help="only create and seed the instances")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no request log in the banner
    nodes, data = build_nodes(args.root.resolve(), args.host)
    if args.no_serve:
        return
    print_banner(nodes, data)
    serve(nodes, args.host)

