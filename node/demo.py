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
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from sqlalchemy import func, select
from werkzeug.serving import make_server

from .app import create_app
from .cli import initialise_node, write_instance_config
from .db import db
from .demo_connector import play_network_story, seed_connector
from .demo_events import seed_events
from .demo_federation import peer_demo_nodes, start_sync
from .demo_network import export_directories
from .demo_regional import seed_regional
from .models import Member
from .services import accounts, profiles

logger = logging.getLogger(__name__)

SEED_FILE = Path(__file__).resolve().parent.parent / "deploy" / "demo" / "spaces.json"


@dataclass
class DemoNode:
    slug: str
    spec: dict
    app: Flask

    @property
    def url(self) -> str:
        return self.app.config["BASE_URL"]


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


def seed_members(node: DemoNode, data: dict) -> None:
    """Create the manager and members of a demo space once."""
    app = node.app
    passwords = app.extensions["coworknet.passwords"]
    with app.app_context():
        session = db.session
        if session.scalar(select(func.count()).select_from(Member)):
            return
        manager = node.spec["manager"]
        accounts.create_member(session, passwords, email=manager["email"], display_name=manager["display_name"],
                               password=manager["password"], role="manager")
        for person in node.spec["members"]:
            member = accounts.create_member(
                session, passwords, email=person["email"], display_name=person["display_name"],
                password=data["member_password"],
            )
            profiles.update_profile(session, member, {
                "headline": person.get("headline", ""), "bio": person.get("bio", ""),
                "trade_id": person.get("trade"),
                "skills": [{"label": label, "level": level} for label, level in person.get("skills", [])],
                "languages": person.get("languages", []),
                "open_to_help": person.get("open_to_help", False),
                "open_to_paid": person.get("open_to_paid", False),
                "open_to_barter": person.get("open_to_barter", False),
                "visibility": person.get("visibility", "space"),
            })
        session.commit()


#: Seed steps run in order for every demo node; feature areas append theirs
#: (signature: ``step(nodes: list[DemoNode], data: dict) -> None``).
SEED_STEPS: list[Callable[[list[DemoNode], dict], None]] = [
    lambda nodes, data: [seed_members(node, data) for node in nodes],
    peer_demo_nodes,  # the three nodes are approved peers of each other
    seed_events,  # venues, a program of events, registrations and a waitlist per space
    export_directories,  # anonymised skill directories sent to the peers (after peering)
    seed_connector,  # needs, referrals with € deals, barter, check-in history, membership goal
    seed_regional,  # "Semaine du coworking": organised by the first space, sessions at each (after peering)
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
    parser = argparse.ArgumentParser(description=__doc__)
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


if __name__ == "__main__":
    main()
