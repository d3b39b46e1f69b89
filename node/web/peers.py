"""The manager's peers page: request peering with a node, decide on incoming requests,
suspend or remove peers, and watch sync and delivery state."""

from __future__ import annotations

from babel.dates import get_day_names
from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, lazy_gettext, ngettext
from flask_babel import gettext as _
from sqlalchemy import select

from federation.displaytext import confusable_scripts
from federation.errors import FederationError
from federation.keys import now_ms
from schemas.peers import PeerDecisionFormSchema, PeerRequestFormSchema, ResendFormSchema

from ..db import db
from ..errors import N_, DomainError, NotFound
from ..federation import inbox, jobs, keyring, peers, rate_limits
from ..federation.keyring import RUNTIME_INFO_KEY, FederationRuntime
from ..federation.models import (
    APPROVED,
    DELIVERY_DEAD,
    DELIVERY_PENDING,
    PENDING_APPROVAL,
    REMOVED,
    REQUESTED_BY_US,
    SUSPENDED,
    OutboxMessage,
    Peer,
)
from ..http.confirm import ask_confirmation, confirmed
from ..http.forms import form_values, parse
from ..http.messages import error_message
from ..http.security import manager_required
from .nav import add_nav_item

bp = Blueprint("peers", __name__, url_prefix="/admin/peers")

STATUS_LABELS = {
    REQUESTED_BY_US: lazy_gettext("requested by us, waiting for their approval"),
    PENDING_APPROVAL: lazy_gettext("asks to peer with us"),
    APPROVED: lazy_gettext("approved"),
    SUSPENDED: lazy_gettext("suspended"),
    REMOVED: lazy_gettext("removed"),
}

ACTION_LABELS = {"suspend": lazy_gettext("Suspend"), "remove": lazy_gettext("Remove"),
                 "refuse": lazy_gettext("Refuse")}
#: What the confirmation of each action says (translated when shown, with the peer's name).
ACTION_QUESTIONS = {
    "suspend": N_("Suspend the peering with %(node)s? It can no longer pull what we share or "
                  "write to us until you reactivate it."),
    "remove": N_("Remove %(node)s? What it shared with us is deleted here, and peering again "
                 "takes a new request and approval on both sides."),
    "refuse": N_("Refuse the peering request of %(node)s?"),
}


def _runtime() -> FederationRuntime:
    return current_app.extensions[RUNTIME_INFO_KEY]


@bp.route("")
@manager_required
def index():
    session = db.session
    queue = session.scalars(select(OutboxMessage).where(
        OutboxMessage.status.in_((DELIVERY_PENDING, DELIVERY_DEAD)))
        .order_by(OutboxMessage.id.desc()).limit(50)).all()
    rows = peers.list_peers(session)
    throttled = rate_limits.throttles_today(session, [row.node_id for row in rows])
    # A peer's name or city mixing look-alike alphabets may imitate another space.
    lookalikes = {row.id: scripts for row in rows
                  if (scripts := confusable_scripts(f"{row.name} {row.city}"))}
    return render_template("admin/peers.html", peers=rows, queue=queue, lookalikes=lookalikes,
                           throttled=throttled, contact_missing=not _runtime().contact_email,
                           node_id=_runtime().node_id, fingerprint=keyring.key_fingerprint,
                           labels=STATUS_LABELS, jobs=jobs.job_statuses(session, current_app),
                           schedule_label=_schedule_label, skew_label=skew_label)


#: Clock differences under this are not worth a manager's attention (signatures allow ±60 s).
SKEW_SHOWN_MS = 2_000


def skew_label(peer: Peer) -> str | None:
    """How far our clock is from ``peer``'s, as its last refusal for a date measured it, in
    the manager's language: "Your clock is 120 s ahead of this peer's"; None when close."""
    skew = peer.clock_skew_ms
    if skew is None or abs(skew) < SKEW_SHOWN_MS:
        return None
    seconds = round(abs(skew) / 1000)
    if skew < 0:  # their clock is behind ours: ours is ahead
        return ngettext("Your clock is %(num)s second ahead of this peer’s: check the time of "
                        "this server (NTP).", "Your clock is %(num)s seconds ahead of this "
                        "peer’s: check the time of this server (NTP).", seconds)
    return ngettext("Your clock is %(num)s second behind this peer’s: check the time of this "
                    "server (NTP).", "Your clock is %(num)s seconds behind this peer’s: check "
                    "the time of this server (NTP).", seconds)


def _schedule_label(schedule: jobs.Schedule) -> str:
    """A job's schedule in the manager's language: "every 5 minutes", "every Monday at 08:00"."""
    if isinstance(schedule, jobs.Weekly):
        weekday = get_day_names("wide", locale=get_locale())[schedule.weekday]
        return _("every %(weekday)s at %(time)s (%(zone)s)", weekday=weekday,
                 time=schedule.at.strftime("%H:%M"), zone=schedule.timezone)
    minutes = int(schedule.interval.total_seconds() // 60)
    if minutes == 1440:
        return _("every day")
    if minutes % 1440 == 0:
        return _("every %(count)s days", count=minutes // 1440)
    if minutes == 60:
        return _("every hour")
    if minutes % 60 == 0:
        return _("every %(count)s hours", count=minutes // 60)
    return ngettext("every minute", "every %(num)s minutes", minutes)


@bp.route("/request", methods=["POST"])
@manager_required
def request_peering():
    data = parse(PeerRequestFormSchema(), form_values(request.form))
    runtime = _runtime()
    try:
        peer = peers.request_peering(db.session, runtime, data["url"], data["message"])
        db.session.commit()
    except FederationError as exc:
        db.session.rollback()
        flash(_("This node could not be reached or did not answer as a Coworknet node (%(code)s).",
                code=exc.code), "error")
        return redirect(url_for("peers.index"))
    if peers.send_confirmation(db.session, runtime, peer):
        flash(_("Peering requested from %(node)s.", node=peer.name or peer.node_id), "success")
    else:
        flash(_("The request will be sent again automatically: %(error)s",
                error=peer.last_error or ""), "error")
    db.session.commit()
    return redirect(url_for("peers.index"))


@bp.route("/<int:peer_id>", methods=["POST"])
@manager_required
def decide(peer_id: int):
    data = parse(PeerDecisionFormSchema(), form_values(request.form))
    session, runtime = db.session, _runtime()
    peer = session.get(Peer, peer_id)
    if peer is None:
        raise NotFound(N_("No such peer."))
    if data["action"] != "approve" and not confirmed():
        name = peer.name or peer.node_id
        return ask_confirmation(action=str(ACTION_LABELS[data["action"]]), back=url_for("peers.index"),
                                question=_(ACTION_QUESTIONS[data["action"]], node=name))
    try:
        if data["action"] == "approve":
            peers.approve(session, runtime, peer)
        elif data["action"] == "suspend":
            peers.suspend(session, peer)
        else:
            peers.remove(session, peer)
        session.commit()
    except DomainError as exc:
        session.rollback()
        flash(error_message(exc), "error")
        return redirect(url_for("peers.index"))
    if data["action"] == "approve" and peer.needs_confirmation:
        peers.send_confirmation(session, runtime, peer)
        session.commit()
    flash(_("%(node)s: %(status)s.", node=peer.name or peer.node_id, status=STATUS_LABELS[peer.status]),
          "success")
    return redirect(url_for("peers.index"))


@bp.route("/messages/<int:message_id>/resend", methods=["POST"])
@manager_required
def resend(message_id: int):
    """Send an undeliverable message again (same id: a peer that handled it answers as
    before), with a fresh deadline; the scheduler delivers it at its next round."""
    parse(ResendFormSchema(), form_values(request.form))
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(N_("No such message."))
    inbox.resend(db.session, row, now_ms())
    db.session.commit()
    flash(_("The message to %(node)s will be sent again.", node=row.destination), "success")
    return redirect(url_for("peers.index"))


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "peers.index", lazy_gettext("Peers"), admin=True)
