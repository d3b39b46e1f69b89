"""The areas' periodic work, registered as jobs of the node (``node.federation.jobs``).

The federation scheduler (``coworknet sync``) runs them when due, each under its own lease;
``coworknet jobs run NAME`` runs one at once; the older commands (``coworknet events tick``,
``digest send``, ``connector publish-stats``) call the same functions.

- ``events.tick`` (every 5 minutes): seat offers past their deadline lapse and pass to the next
  person on the waitlist, who is mailed; recurring series are extended; the names and addresses
  of people registered without an account are erased some days after their date.
- ``digest.send`` (Mondays 08:00, the node's time zone): the weekly digest; ``send_weekly``
  still refuses to send twice within six days, whoever asks.
- ``connector.publish_stats`` (daily): this space's signed aggregates, for the approved peers.
- ``mail.send`` (every minute): the mail outbox, retried with backoff while the relay is down.
- ``events.reminders`` (every 15 minutes): members registered for an event starting within
  24 hours are reminded once.
- ``skills.renormalise`` (daily, and after ``coworknet db upgrade``): members' skills mapped
  again with the current vocabulary (a new release's thesaurus) and the manager's mappings;
  the members whose skills change are re-published to the peers.
- ``regional.digests`` (every minute): to each peer whose people's registrations to our
  Coworking Week sessions changed here, a signed digest of their state (reconciliation after
  any lost message, docs/PROTOCOL.md §7.5).
- ``work.retry`` (every minute): the follow-ups of committed changes (``node.uow``) that failed
  right after their commit (a peer or the mail server down), retried with backoff.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Flask
from flask_babel import gettext, lazy_gettext, ngettext

from .accounts.spaces import current_space
from .clock import clock_of
from .connector import network as connector_network
from .db import db
from .events import events, reminders
from .federation.jobs import Every, Job, Summary, Weekly, add_job
from .members.profiles import renormalise_skills
from .notices import event_mail, mailer
from .notices.digest import digest_links, send_weekly
from .regional import sync as regional_sync
from .uow import unit_of_work

EVENTS_TICK = "events.tick"
DIGEST_SEND = "digest.send"
PUBLISH_STATS = "connector.publish_stats"
WORK_RETRY = "work.retry"
MAIL_SEND = "mail.send"
EVENT_REMINDERS = "events.reminders"
SKILLS_RENORMALISE = "skills.renormalise"
REGISTRATION_DIGESTS = "regional.digests"


def run_tick(app: Flask, now: datetime | None = None) -> int:
    """Lapse overdue seat offers, offer the seats to the next people, mail them; extend series.

    Returns how many new offers were made."""
    now = now or clock_of(app).now()
    ttl = timedelta(hours=float(app.config["EVENT_OFFER_TTL_HOURS"]))
    with app.app_context():
        session = db.session
        offers = events.tick(session, now, ttl,
                             timedelta(days=int(app.config["EVENT_GUEST_RETENTION_DAYS"])))
        session.commit()
        event_mail.notify_offers(session, app.extensions["coworknet.mail"], offers,
                                 base_url=app.config["BASE_URL"], default_locale=app.config["DEFAULT_LOCALE"])
        return len(offers)


def send_digest(app: Flask, *, force: bool = False) -> int:
    """Send the weekly digest (unless one went out less than six days ago, or ``force``);
    returns how many members got one. Links are absolute, built for the node's base URL."""
    with app.test_request_context("/", base_url=app.config["BASE_URL"]):
        count = send_weekly(db.session, app.extensions["coworknet.mail"],
                            space_name=current_space(db.session, app.config).name, links=digest_links(),
                            default_locale=app.config["DEFAULT_LOCALE"], force=force)
        db.session.commit()
    return count


def publish_stats(app: Flask) -> None:
    """Publish (replace) this space's signed aggregates for every approved peer."""
    with app.app_context():
        connector_network.publish_stats(db.session)
        db.session.commit()


# What each job did: in English for the CLI and the logs (stored so), in the reader's language
# with its plurals on the peers page.
TICK_SUMMARY = Summary("{offers} new seat offer(s).", lambda offers: ngettext(
    "%(num)s new seat offer.", "%(num)s new seat offers.", offers))
DIGEST_SUMMARY = Summary("{sent} digests sent", lambda sent: ngettext(
    "%(num)s digest sent", "%(num)s digests sent", sent))
STATS_SUMMARY = Summary("statistics published", lambda: gettext("statistics published"))
WORK_SUMMARY = Summary("{done} follow-up(s) done, {failed} failed", lambda done, failed: ", ".join((
    ngettext("%(num)s follow-up done", "%(num)s follow-ups done", done),
    ngettext("%(num)s failed", "%(num)s failed", failed))))
MAIL_SUMMARY = Summary("{sent} mail(s) sent, {waiting} waiting", lambda sent, waiting: ", ".join((
    ngettext("%(num)s mail sent", "%(num)s mails sent", sent),
    ngettext("%(num)s waiting", "%(num)s waiting", waiting))))
REMINDERS_SUMMARY = Summary("{told} reminder(s)", lambda told: ngettext(
    "%(num)s reminder", "%(num)s reminders", told))
REGISTRATION_DIGESTS_SUMMARY = Summary("{queued} registration digest(s) queued", lambda queued: ngettext(
    "%(num)s registration digest queued", "%(num)s registration digests queued", queued))
SKILLS_SUMMARY = Summary("{changed} member(s) with skills mapped anew", lambda changed: ngettext(
    "%(num)s member with skills mapped anew", "%(num)s members with skills mapped anew", changed))


def _tick_job(app: Flask) -> str:
    return TICK_SUMMARY(offers=run_tick(app))


def _digest_job(app: Flask) -> str:
    return DIGEST_SUMMARY(sent=send_digest(app))


def _stats_job(app: Flask) -> str:
    publish_stats(app)
    return STATS_SUMMARY()


def _work_job(app: Flask) -> str:
    done, failed = unit_of_work(app).run_due()
    return WORK_SUMMARY(done=done, failed=failed)


def _mail_job(app: Flask) -> str:
    sent, waiting = mailer.send_due(app, clock_of(app).now())
    return MAIL_SUMMARY(sent=sent, waiting=waiting)


def _reminders_job(app: Flask) -> str:
    with app.app_context():
        told = reminders.send_reminders(db.session, clock_of(app).now())
        db.session.commit()
    return REMINDERS_SUMMARY(told=told)


def send_registration_digests(app: Flask) -> int:
    """Queue (and send after the commit) the registration digests due to peers; how many."""
    with app.app_context():
        sent = regional_sync.send_digests(db.session, clock_of(app).now())
        db.session.commit()
    return sent


def _registration_digests_job(app: Flask) -> str:
    return REGISTRATION_DIGESTS_SUMMARY(queued=send_registration_digests(app))


def remap_skills(app: Flask) -> int:
    """Map every member's skills again with the current vocabulary; how many members changed."""
    with app.app_context():
        changed = renormalise_skills(db.session)
        db.session.commit()
    return len(changed)


def _skills_job(app: Flask) -> str:
    return SKILLS_SUMMARY(changed=remap_skills(app))


def init_app(app: Flask) -> None:
    """Register the areas' periodic jobs with ``app``."""
    add_job(app, Job(EVENTS_TICK, Every(timedelta(minutes=5)), _tick_job,
                     label=lazy_gettext("Seat offers and recurring events"), summary=TICK_SUMMARY))
    add_job(app, Job(DIGEST_SEND, Weekly(0, time(8, 0), app.config["DEFAULT_TIMEZONE"]), _digest_job,
                     label=lazy_gettext("Weekly digest"), summary=DIGEST_SUMMARY))
    add_job(app, Job(PUBLISH_STATS, Every(timedelta(days=1)), _stats_job,
                     label=lazy_gettext("Statistics shared with peers"), summary=STATS_SUMMARY))
    add_job(app, Job(WORK_RETRY, Every(timedelta(minutes=1)), _work_job,
                     label=lazy_gettext("Follow-ups of changes (retries)"), summary=WORK_SUMMARY))
    add_job(app, Job(MAIL_SEND, Every(timedelta(minutes=1)), _mail_job,
                     label=lazy_gettext("Mails waiting to be sent"), summary=MAIL_SUMMARY))
    add_job(app, Job(EVENT_REMINDERS, Every(timedelta(minutes=15)), _reminders_job,
                     label=lazy_gettext("Reminders before events"), summary=REMINDERS_SUMMARY))
    add_job(app, Job(REGISTRATION_DIGESTS, Every(timedelta(minutes=1)), _registration_digests_job,
                     label=lazy_gettext("Registration states sent to peers"), summary=REGISTRATION_DIGESTS_SUMMARY))
    add_job(app, Job(SKILLS_RENORMALISE, Every(timedelta(days=1)), _skills_job,
                     label=lazy_gettext("Skills mapped with the current vocabulary"), summary=SKILLS_SUMMARY))
