"""The ``coworknet`` command: init, create-manager, run, demo."""

from __future__ import annotations

import json
import os
import secrets
import sys
import tomllib
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from schemas.federation import PeeringRequestContentSchema

from ..accounts import accounts
from ..accounts.models import Space
from ..app import create_app
from ..config import CONFIG_FILENAME, instance_path_from_env
from ..db import db
from ..federation import identity
from ..migrate import current_revisions, pending_revisions, upgrade
from ..periodic import remap_skills
from ..settings import default_of
from . import connector as cli_connector
from . import events as cli_events
from . import federation as cli_federation
from . import jobs as cli_jobs


def _toml_value(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def write_instance_config(instance: Path, settings: dict) -> Path:
    """Write the instance's settings file (secret included) with owner-only permissions."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / CONFIG_FILENAME
    lines = ["# Coworknet node settings. Keep this file private: it holds the secret key."]
    lines += [f"{key} = {_toml_value(value)}" for key, value in settings.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def initialise_node(app: Flask) -> Space:
    """Bring the database to head and record the space's identity (idempotent)."""
    upgrade(app.config["DATABASE_URL"])
    identity.create_node_key(Path(app.instance_path))
    with app.app_context():
        session = db.session
        space = session.scalar(select(Space).limit(1))
        if space is None:
            space = Space(name=app.config["NODE_NAME"], base_url=app.config["BASE_URL"])
            session.add(space)
        space.name = app.config["NODE_NAME"]
        space.city = app.config["NODE_CITY"]
        space.region = app.config["NODE_REGION"]
        space.base_url = app.config["BASE_URL"]
        space.signup_mode = app.config["SIGNUP_MODE"]
        session.commit()
        return space


def _contact_address(text: str) -> str:
    """The node's role address, checked as the peering schema will check it (empty: none)."""
    text = text.strip()
    if text and PeeringRequestContentSchema().validate(
            {"name": "-", "city": "-", "region": "-", "contact_email": text}):
        raise click.BadParameter(f"not an e-mail address: {text}", param_hint="--contact-email")
    return text


def _ask(value: str | None, label: str, default: str = "") -> str:
    if value is not None:
        return value
    if sys.stdin.isatty():
        return click.prompt(label, default=default or None)
    if default:
        return default
    raise click.UsageError(f"Missing --{label.lower()} (no terminal to ask).")


@click.group()
def main() -> None:
    """Coworknet: the community node of a coworking space."""


cli_federation.register(main)
cli_connector.register(main)
cli_events.register(main)
cli_jobs.register(main)


@main.command()
@click.option("--name", help="Name of the space, e.g. 'La Ruche du Panier'.")
@click.option("--city", help="City of the space.")
@click.option("--region", default=None, help="Region, e.g. Provence-Alpes-Côte d'Azur.")
@click.option("--url", "base_url", help="Public base URL, e.g. https://coworking.example.org")
@click.option("--database-url", default=None, help="SQLAlchemy URL; SQLite in the instance by default.")
@click.option("--contact-email", default=None,
              help="The space's role address sent to peers, e.g. contact@coworking.example.org "
                   "(not a person's login).")
def init(name, city, region, base_url, database_url, contact_email) -> None:
    """Create the instance folder: settings, secret, database at head, node key."""
    instance = instance_path_from_env()
    settings = {}
    existing = instance / CONFIG_FILENAME
    if existing.exists():
        settings = tomllib.loads(existing.read_text(encoding="utf-8"))
    settings.setdefault("SECRET_KEY", secrets.token_hex(32))
    settings.setdefault("PSEUDONYM_SECRET", secrets.token_hex(32))
    settings["NODE_NAME"] = _ask(name, "Name", settings.get("NODE_NAME", ""))
    settings["NODE_CITY"] = _ask(city, "City", settings.get("NODE_CITY", ""))
    settings["NODE_REGION"] = region if region is not None else settings.get("NODE_REGION", "")
    settings["BASE_URL"] = _ask(base_url, "URL", settings.get("BASE_URL", default_of("BASE_URL"))).rstrip("/")
    if database_url:
        settings["DATABASE_URL"] = database_url
    if contact_email is not None:
        settings["FEDERATION_CONTACT_EMAIL"] = _contact_address(contact_email)
    write_instance_config(instance, settings)
    app = create_app({"INSTANCE_PATH": str(instance)})
    space = initialise_node(app)
    click.echo(f"Initialised {space.name} in {instance}")
    if not settings.get("FEDERATION_CONTACT_EMAIL"):
        click.echo("Warning: no contact address (--contact-email): peering requests will carry "
                   "none. Give a role address such as contact@your-space.org.", err=True)


@main.command("create-manager")
@click.argument("email")
@click.option("--name", "display_name", default=None, help="Display name.")
@click.password_option(help="Password (asked when missing).")
def create_manager(email, display_name, password) -> None:
    """Create a community manager account."""
    app = create_app()
    with app.app_context():
        member = accounts.create_member(
            db.session, app.extensions["coworknet.passwords"], email=email,
            display_name=display_name or email.split("@")[0], password=password, role="manager",
        )
        db.session.commit()
        click.echo(f"Manager {member.email} created.")


@main.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--debug/--no-debug", default=False)
def run(host, port, debug) -> None:
    """Serve the node with the development server (use gunicorn in production)."""
    app = create_app({"DEBUG": True} if debug else None)
    app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)



@main.command()
@click.option("--config", "config_path", envvar="COWORKNET_GUNICORN_CONFIG",
              default="deploy/gunicorn.conf.py", show_default=True,
              help="gunicorn settings file ($COWORKNET_GUNICORN_CONFIG).")
def serve(config_path) -> None:
    """Serve the node with gunicorn (production); settings from the config file's variables."""
    if not Path(config_path).is_file():
        raise click.UsageError(f"No gunicorn settings at {config_path}: give --config.")
    argv = [sys.executable, "-m", "gunicorn", "-c", config_path, "node.wsgi:app"]
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process with gunicorn


@main.group("db")
def db_group() -> None:
    """The database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True,
              help="Target revision; every feature branch's latest by default.")
def db_upgrade(revision) -> None:
    """Bring the database to the latest migrations (run after installing a new version)."""
    app = create_app()
    upgrade(app.config["DATABASE_URL"], revision)
    click.echo("Database at: " + ", ".join(current_revisions(app.config["DATABASE_URL"])))
    if revision == "heads":  # a new release may bring a larger or corrected vocabulary
        click.echo(f"Skills mapped with the current vocabulary: {remap_skills(app)} member(s) changed")


@db_group.command("current")
def db_current() -> None:
    """Print the revisions the database is at, and whether an upgrade is pending."""
    app = create_app()
    url = app.config["DATABASE_URL"]
    click.echo("\n".join(current_revisions(url)) or "(empty database)")
    pending = pending_revisions(url)
    click.echo(f"{len(pending)} migration(s) pending: run `coworknet db upgrade`" if pending
               else "up to date")
