"""``coworknet peer ...``, ``coworknet sync`` and ``coworknet keys ...``: federation commands."""

from __future__ import annotations

import logging
import sys
from typing import Any

import click
from flask import Flask

from federation.errors import FederationError

from ..app import create_app
from ..db import db
from ..errors import DomainError
from ..federation import feed, keyring, peers, scheduler
from ..federation.keyring import RUNTIME_INFO_KEY, FederationRuntime


def _runtime(app: Flask) -> FederationRuntime:
    return app.extensions[RUNTIME_INFO_KEY]


def _fail(exc: Exception) -> click.ClickException:
    message = getattr(exc, "message", str(exc))
    code = getattr(exc, "code", "error")
    return click.ClickException(f"{code}: {message}")


@click.group("peer")
def peer_group() -> None:
    """Peering with other nodes: request, list, approve, suspend, remove."""


@peer_group.command("request")
@click.argument("url")
@click.option("--message", default="", help="A word for the other manager.")
def peer_request(url: str, message: str) -> None:
    """Ask the node at URL to peer with this one."""
    app = create_app()
    with app.app_context():
        try:
            peer = peers.request_peering(db.session, _runtime(app), url, message)
        except (DomainError, FederationError) as exc:
            raise _fail(exc) from None
        db.session.commit()
        peers.send_confirmation(db.session, _runtime(app), peer)
        db.session.commit()
        click.echo(f"{peer.node_id}: {peer.status}"
                   + (f" (not delivered yet: {peer.last_error})" if peer.needs_confirmation else ""))


@peer_group.command("list")
def peer_list() -> None:
    """List peers with their status, cursor, backoff and last error."""
    app = create_app()
    with app.app_context():
        rows = peers.list_peers(db.session)
        if not rows:
            click.echo("No peers.")
        for peer in rows:
            click.echo(
                f"{peer.node_id}\t{peer.status}\t{peer.name}\tcursor={peer.last_applied_seq}\t"
                f"failures={peer.backoff_failures}\tlast_success={peer.last_success_at or '-'}\t"
                f"key={keyring.key_fingerprint(peer.pinned_key_id) or '-'}\t"
                f"error={peer.last_error or '-'}")


def _decide(node_id: str, action: str) -> None:
    app = create_app()
    runtime = _runtime(app)
    with app.app_context():
        session = db.session
        try:
            peer = peers.find_peer(session, node_id)
            if action == "approve":
                peers.approve(session, runtime, peer)
            elif action == "suspend":
                peers.suspend(session, peer)
            else:
                peers.remove(session, peer)
            session.commit()
            if action == "approve" and peer.needs_confirmation:
                peers.send_confirmation(session, runtime, peer)
                session.commit()
        except (DomainError, FederationError) as exc:
            raise _fail(exc) from None
        click.echo(f"{peer.node_id}: {peer.status}")


@peer_group.command("approve")
@click.argument("node_id")
def peer_approve(node_id: str) -> None:
    """Approve a pending peering request (or reactivate a suspended peer)."""
    _decide(node_id, "approve")


@peer_group.command("suspend")
@click.argument("node_id")
def peer_suspend(node_id: str) -> None:
    """Suspend a peer: it gets 403 until approved again."""
    _decide(node_id, "suspend")


@peer_group.command("remove")
@click.argument("node_id")
def peer_remove(node_id: str) -> None:
    """Refuse or remove a peer and purge what we hold from it."""
    _decide(node_id, "remove")


@click.command("sync")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--interval", default=60.0, type=float, help="Seconds between rounds.")
@click.option("--force", is_flag=True, help="Ignore the peers' backoff (with --once).")
def sync_command(once: bool, interval: float, force: bool) -> None:
    """Pull approved peers, deliver queued messages, then run the due periodic jobs (one
    process at a time)."""
    logging.basicConfig(level=logging.INFO)
    app = create_app()
    runtime = _runtime(app)
    if not once:
        click.echo(f"Federation rounds and periodic jobs every {interval:.0f} s; Ctrl+C to stop.")
        scheduler.run_forever(runtime, interval)
        return
    bars: dict[str, Any] = {}

    def progress(peer: str, count: int) -> None:
        # One progress bar per peer (the feed's length is not known ahead: the bar pulses and
        # shows the running count of items pulled; on a terminal only, else just its label).
        if peer not in bars:
            for bar in bars.values():
                bar.render_finish()
            bars[peer] = click.progressbar((n for n in ()), label=f"Pulling {peer}", show_pos=True,
                                           show_eta=False, file=sys.stderr)
        bars[peer].update(count)

    report = scheduler.run_round(runtime, force=force, progress=progress)
    for bar in bars.values():
        bar.render_finish()
    if not report.ran:
        click.echo("Another process is running a round.")
        return
    for result in report.results:
        state = f"error {result.error}" if result.error else "ok"
        click.echo(f"{result.peer}: {state}, {result.applied} applied, cursor {result.cursor}")
    click.echo(f"{report.delivered} message(s) delivered, {report.confirmed} peering(s) confirmed.")
    for outcome in report.jobs:
        click.echo(f"job {outcome.name}: " + (outcome.summary if outcome.ok else f"error {outcome.error}"))


@click.group("keys")
def keys_group() -> None:
    """The node's signing keys: show, rotate, revoke."""


@keys_group.command("list")
def keys_list() -> None:
    """List this node's key records."""
    app = create_app()
    with app.app_context():
        keyring.ensure_current_key(db.session, _runtime(app))
        db.session.commit()
        for record in keyring.own_key_records(db.session):
            click.echo(f"{record.key_id}\tfrom={record.valid_from}\tuntil={record.valid_until}\t"
                       f"revoked={record.revoked_at}")


@keys_group.command("rotate")
@click.option("--overlap-days", default=7, type=int, help="How long the old key stays valid.")
def keys_rotate(overlap_days: int) -> None:
    """Make a new signing key endorsed by the current one."""
    app = create_app()
    with app.app_context():
        row = keyring.rotate_key(db.session, _runtime(app), overlap_ms=overlap_days * 86_400_000)
        db.session.commit()
        click.echo(f"New key {row.key_id}")


@keys_group.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke an old key: every signature dated from now on is refused."""
    app = create_app()
    with app.app_context():
        try:
            feed.revoke_key(db.session, _runtime(app), key_id)
        except DomainError as exc:
            raise _fail(exc) from None
        db.session.commit()
        click.echo(f"Revoked {key_id}")


def register(group: click.Group) -> None:
    for command in (peer_group, sync_command, keys_group):
        group.add_command(command)
