"""``coworknet digest send|preview`` and ``coworknet connector publish-stats``."""

from __future__ import annotations

import click

from ..accounts import accounts
from ..accounts.spaces import current_space
from ..app import create_app
from ..connector import digest
from ..db import db
from ..notices.digest import digest_links, render_digest
from ..periodic import DIGEST_SEND, PUBLISH_STATS, send_digest
from . import jobs as cli_jobs


def _request_context(app):
    """Links in mails are absolute: build them as if served at the node's base URL."""
    return app.test_request_context("/", base_url=app.config["BASE_URL"])


@click.group("digest")
def digest_group() -> None:
    """The weekly digest of personal suggestions."""


@digest_group.command("send")
@click.option("--force", is_flag=True, help="Send even if the last digest is less than six days old.")
def digest_send(force: bool) -> None:
    """Send the weekly digest to members who did not opt out (``coworknet sync`` does it on
    Monday mornings; at most once every six days unless --force)."""
    app = create_app()
    if force:
        click.echo(f"{send_digest(app, force=True)} digests sent")
    else:
        cli_jobs.run_now(app, DIGEST_SEND, named=False)


@digest_group.command("preview")
@click.argument("email")
def digest_preview(email: str) -> None:
    """Print the digest EMAIL would receive, without sending it."""
    app = create_app()
    with _request_context(app):
        member = accounts.find_by_email(db.session, email)
        if member is None:
            raise click.ClickException("no such member")
        mail = render_digest(digest.build_digest(db.session, member),
                             space_name=current_space(db.session, app.config).name,
                             links=digest_links(), locale=member.locale or app.config["DEFAULT_LOCALE"])
        click.echo(f"Subject: {mail.subject}\n\n{mail.body}")


@click.group("connector")
def connector_group() -> None:
    """The community connector."""


@connector_group.command("publish-stats")
def publish_stats() -> None:
    """Publish this space's signed aggregates (counts and sums only) to approved peers
    (``coworknet sync`` does it daily)."""
    cli_jobs.run_now(create_app(), PUBLISH_STATS, named=False)


def register(main: click.Group) -> None:
    main.add_command(digest_group)
    main.add_command(connector_group)
