"""``coworknet digest send|preview`` and ``coworknet connector publish-stats``."""

from __future__ import annotations

import click

from .app import create_app
from .db import db
from .services import accounts, connector_network, digest
from .web import context
from .web.dashboard import digest_links


def _request_context(app):
    """Links in mails are absolute: build them as if served at the node's base URL."""
    return app.test_request_context("/", base_url=app.config["BASE_URL"])


@click.group("digest")
def digest_group() -> None:
    """The weekly digest of personal suggestions."""


@digest_group.command("send")
@click.option("--force", is_flag=True, help="Send even if the last digest is less than six days old.")
def digest_send(force: bool) -> None:
    """Send the weekly digest to members who did not opt out (run it daily from cron)."""
    app = create_app()
    with _request_context(app):
        count = digest.send_weekly(db.session, app.extensions["coworknet.mail"],
                                   space_name=context.space().name, links=digest_links(),
                                   default_locale=app.config["DEFAULT_LOCALE"], force=force)
        db.session.commit()
    click.echo(f"{count} digests sent")


@digest_group.command("preview")
@click.argument("email")
def digest_preview(email: str) -> None:
    """Print the digest EMAIL would receive, without sending it."""
    app = create_app()
    with _request_context(app):
        member = accounts.find_by_email(db.session, email)
        if member is None:
            raise click.ClickException("no such member")
        mail = digest.render_digest(digest.build_digest(db.session, member), space_name=context.space().name,
                                    links=digest_links(), locale=member.locale or app.config["DEFAULT_LOCALE"])
        click.echo(f"Subject: {mail.subject}\n\n{mail.body}")


@click.group("connector")
def connector_group() -> None:
    """The community connector."""


@connector_group.command("publish-stats")
def publish_stats() -> None:
    """Publish this space's signed aggregates (counts and sums only) to approved peers."""
    app = create_app()
    with app.app_context():
        connector_network.publish_stats(db.session)
        db.session.commit()
    click.echo("statistics published")


def register(main: click.Group) -> None:
    main.add_command(digest_group)
    main.add_command(connector_group)
