"""Portal pages of regional events ("Coworking Week"): the program (filter by day, space,
type), its iCal feed, registration to any session, my registrations with their status, the
managers' invitations, sessions and the organiser's report."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext, ngettext

from schemas.regional import (
    InvitationAnswerSchema,
    InviteSchema,
    ProgramQuerySchema,
    RegionalCreateSchema,
    RemoteRegistrationSchema,
    SessionCreateSchema,
    SessionUpdateSchema,
)

from ..db import db
from ..events import events
from ..federation import peers
from ..federation.keyring import RUNTIME_INFO_KEY
from ..http.confirm import ask_confirmation, confirmed
from ..http.context import now
from ..http.forms import form_values, parse, query
from ..http.queries import program_filter
from ..http.security import manager_required, member_required, public
from ..notices.requests import notify_change, notify_local_cancelled, notify_local_offers
from ..regional import ical as regional_ical
from ..regional import regional
from ..regional import registration as remote
from ..rosters import rosters
from .events import TYPE_LABELS
from .nav import add_nav_item

bp = Blueprint("regional", __name__, url_prefix="/regional")

KIND_LABELS = {
    "workshop": lazy_gettext("Workshop"), "talk": lazy_gettext("Talk"), "meetup": lazy_gettext("Meetup"),
    "training": lazy_gettext("Training"), "social": lazy_gettext("Social"), "other": lazy_gettext("Other"),
}
STATUS_LABELS = {
    "pending": lazy_gettext("pending (waiting for the host)"), "confirmed": lazy_gettext("confirmed"),
    "cancel_pending": lazy_gettext("cancellation pending (waiting for the host)"),
    "undelivered": lazy_gettext("not registered: the host could not be reached before the session"),
    "cancel_undelivered": lazy_gettext("cancellation not delivered: the host could not be reached "
                                       "before the session and may still hold your seat"),
    "waitlisted": lazy_gettext("on the waitlist"), "offered": lazy_gettext("seat offered"),
    "cancelled": lazy_gettext("cancelled"), "refused": lazy_gettext("refused by the host"),
    "expired": lazy_gettext("offer expired"), "invited": lazy_gettext("invited"),
    "accepted": lazy_gettext("accepted"), "declined": lazy_gettext("declined"),
    "scheduled": lazy_gettext("scheduled"),
}
SESSION_OPTIONAL = ("venue_id", "capacity")
#: How long a registration to a session hosted elsewhere waits for the host's answer.
ANSWER_WAIT_SECONDS = 3.0


def _runtime():
    return current_app.extensions[RUNTIME_INFO_KEY]


def _visible(regional_id: int):
    return regional.get_regional(db.session, regional_id, g.member)


def _back(regional_id: int):
    return redirect(url_for("regional.program_page", regional_id=regional_id))


# --- pages everyone may see (public events) -------------------------------------------------

@bp.route("/")
@public
def index():
    manager = g.member is not None and g.member.is_manager
    return render_template(
        "regional/index.html", rows=regional.list_regional(db.session, g.member),
        invitations=regional.pending_invitations(db.session) if manager else [],
        networks=rosters.our_networks(db.session, _runtime()) if manager else [],
        status_labels=STATUS_LABELS, kind_labels=KIND_LABELS)


@bp.route("/<int:regional_id>")
@public
@query(ProgramQuerySchema)
def program_page(regional_id: int, query: dict):
    row = _visible(regional_id)
    data = query
    shown = regional.program(db.session, row, program_filter(data))
    mine = remote.mine_for_all(db.session, g.member, shown.sessions) if g.member is not None else {}
    manager = g.member is not None and g.member.is_manager
    invitation = regional.participant(db.session, row, regional.our_node(db.session)) if manager else None
    approved = [p for p in peers.approved_peers(db.session)] if manager and row.is_local else []
    venues = events.list_venues(db.session) if manager else []
    networks = rosters.our_networks(db.session, _runtime()) if manager and row.is_local else []
    return render_template(
        "regional/program.html", regional=row, program=shown, filters=data, mine=mine,
        manager=manager, invitation=invitation, approved=approved, networks=networks,
        participants=regional.participants(db.session, row),
        named=regional.named_participants(db.session, row),
        can_add=manager and regional.is_co_organiser(db.session, row),
        venue_options=[(v.id, v.name) for v in venues],
        status_labels=STATUS_LABELS, kind_labels=KIND_LABELS, type_labels=TYPE_LABELS)


@bp.route("/sessions/<int:session_id>")
@public
def session_page(session_id: int):
    row = regional.get_session(db.session, session_id)
    event = regional.session_in_program(db.session, row, g.member)
    mine = remote.mine_for(db.session, g.member, row) if g.member is not None else None
    return render_template("regional/session.html", row=row, regional=event, mine=mine,
                           type=regional.session_types(db.session, [row])[row.id],
                           status_labels=STATUS_LABELS)


@bp.route("/sessions/<int:session_id>.ics")
@public
def session_ics(session_id: int):
    row = regional.get_session(db.session, session_id)
    regional.session_in_program(db.session, row, g.member)
    body = regional_ical.program_ics(row.title, [row], url_for("regional.session_page", session_id=row.id,
                                                               _external=True))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="session-{row.id}.ics"'})


@bp.route("/<int:regional_id>/program.ics")
@public
def program_ics(regional_id: int):
    row = _visible(regional_id)
    body = regional_ical.program_ics(row.title, regional.program(db.session, row).sessions,
                                     url_for("regional.program_page", regional_id=row.id, _external=True))
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="regional-{row.id}.ics"'})


# --- members ----------------------------------------------------------------------------------

@bp.route("/sessions/<int:session_id>/register", methods=["POST"])
@member_required
def register(session_id: int):
    data = parse(RemoteRegistrationSchema(), form_values(request.form, checkboxes=("share_email",)))
    row = regional.get_session(db.session, session_id)
    mine = remote.register_any(db.session, g.member, row, now(), share_email=data["share_email"])
    db.session.commit()
    if mine.status == "pending":
        # The request to the host leaves right after the commit: wait a moment for its answer,
        # so the message below and the program agree on the real state (and seats).
        current_app.extensions[RUNTIME_INFO_KEY].wait_for_background(ANSWER_WAIT_SECONDS)
        db.session.expire_all()
        mine = remote.mine_for(db.session, g.member, row) or mine
    flash(_registration_message(mine, row), "error" if mine.status == "refused" else "success")
    if data["back"] == "session":
        return redirect(url_for("regional.session_page", session_id=row.id))
    return _back(regional.by_object_id(db.session, row.regional_event_object_id).id)


def _registration_message(mine: remote.MyRegistration, row) -> str:
    if mine.status in ("confirmed", "offered"):
        return _("You are registered.")
    if mine.status == "waitlisted":
        return _("The event is full: you are on the waitlist (position %(n)s).", n=mine.position or "?")
    if mine.status == "refused":
        return _("%(space)s could not register you: the session is full or closed.", space=row.host_name)
    return _("Your request is sent to %(space)s; its answer will show here.", space=row.host_name)


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@member_required
def cancel_registration(session_id: int):
    row = regional.get_session(db.session, session_id)
    if not confirmed():
        return ask_confirmation(action=_("Cancel my registration"), back=url_for("regional.mine"),
                                question=_("Cancel your registration to “%(title)s”? Your seat may go "
                                           "to someone else.", title=row.title))
    _mine, offers = remote.cancel_any(db.session, g.member, row, now())
    db.session.commit()
    notify_local_offers(offers)
    flash(_("Your registration is being cancelled."), "success")
    return redirect(url_for("regional.mine"))


@bp.route("/mine")
@member_required
def mine():
    return render_template("regional/mine.html", rows=remote.all_mine(db.session, g.member),
                           status_labels=STATUS_LABELS)


# --- managers ---------------------------------------------------------------------------------

@bp.route("/", methods=["POST"])
@manager_required
def create():
    data = parse(RegionalCreateSchema(), form_values(request.form, integers=("network",)))
    network_pk = data.pop("network", None)
    network = rosters.get_network(db.session, network_pk) if network_pk else None
    row = regional.create_regional(db.session, g.member, data, now())
    if network is None:
        db.session.commit()
        flash(_("The regional event is created. Invite co-organisers now."), "success")
        return _back(row.id)
    invited, not_peered = rosters.invite_network(db.session, _runtime(), row, network, now())
    db.session.commit()
    flash(ngettext("The regional event is created and %(num)s space of %(network)s is invited.",
                   "The regional event is created and %(num)s spaces of %(network)s are invited.",
                   len(invited), network=network.name), "success")
    if not_peered:
        flash(ngettext("%(num)s space of the network is not peered with us yet: invite it later.",
                       "%(num)s spaces of the network are not peered with us yet: invite them later.",
                       len(not_peered)), "info")
    return _back(row.id)


@bp.route("/<int:regional_id>/cancel", methods=["POST"])
@manager_required
def cancel(regional_id: int):
    row = _visible(regional_id)
    if not confirmed():
        return ask_confirmation(action=_("Cancel the regional event"),
                                back=url_for("regional.program_page", regional_id=row.id),
                                question=_("Cancel “%(title)s” for every space taking part? Its sessions "
                                           "are cancelled and their registrants told. This cannot be undone.",
                                           title=row.title))
    regional.cancel_regional(db.session, row)
    db.session.commit()
    flash(_("This regional event is cancelled."), "success")
    return _back(regional_id)


@bp.route("/<int:regional_id>/invitations", methods=["POST"])
@manager_required
def invite(regional_id: int):
    data = parse(InviteSchema(), form_values(request.form, lists=("node_ids",),
                                             integers=("network",)))
    row = _visible(regional_id)
    network = rosters.get_network(db.session, data["network"]) if data["network"] else None
    if data["node_ids"]:
        regional.invite(db.session, row, data["node_ids"], now())
    not_peered = []
    if network is not None:
        _invited, not_peered = rosters.invite_network(db.session, _runtime(), row, network, now())
    db.session.commit()
    flash(_("Invitations sent."), "success")
    if not_peered:
        flash(ngettext("%(num)s space of the network is not peered with us yet: invite it later.",
                       "%(num)s spaces of the network are not peered with us yet: invite them later.",
                       len(not_peered)), "info")
    return _back(regional_id)


@bp.route("/<int:regional_id>/answer", methods=["POST"])
@manager_required
def answer(regional_id: int):
    data = parse(InvitationAnswerSchema(), form_values(request.form))
    regional.answer_invitation(db.session, _visible(regional_id), data["decision"], now())
    db.session.commit()
    flash(_("Your answer was sent to the organiser."), "success")
    return _back(regional_id)


@bp.route("/<int:regional_id>/sessions", methods=["POST"])
@manager_required
def add_session(regional_id: int):
    data = parse(SessionCreateSchema(), form_values(request.form, blank_is_none=SESSION_OPTIONAL))
    regional.create_session(db.session, g.member, _visible(regional_id), data, now())
    db.session.commit()
    flash(_("The session is in the program."), "success")
    return _back(regional_id)


@bp.route("/sessions/<int:session_id>/edit", methods=["POST"])
@manager_required
def edit_session(session_id: int):
    data = parse(SessionUpdateSchema(), form_values(request.form, blank_is_none=SESSION_OPTIONAL))
    row = regional.get_session(db.session, session_id)
    change = regional.update_session(db.session, g.member, row, data, now())
    db.session.commit()
    notify_change(change)
    flash(_("The session is updated everywhere."), "success")
    return _back(regional.by_object_id(db.session, row.regional_event_object_id).id)


@bp.route("/sessions/<int:session_id>/cancel-session", methods=["POST"])
@manager_required
def cancel_session(session_id: int):
    row = regional.get_session(db.session, session_id)
    if not confirmed():
        return ask_confirmation(action=_("Cancel the session"),
                                question=_("Cancel the session “%(title)s”? Its registrants are told. "
                                           "This cannot be undone.", title=row.title))
    told = regional.cancel_session(db.session, g.member, row, now())
    db.session.commit()
    notify_local_cancelled(told)
    flash(_("The session is cancelled; its registrants are told."), "success")
    return _back(regional.by_object_id(db.session, row.regional_event_object_id).id)


@bp.route("/<int:regional_id>/report")
@manager_required
def report(regional_id: int):
    row = _visible(regional_id)
    lines = regional.report(db.session, row)
    return render_template("regional/report.html", regional=row, lines=lines)


@bp.route("/<int:regional_id>/report", methods=["POST"])
@manager_required
def send_report(regional_id: int):
    regional.send_report(db.session, _visible(regional_id))
    db.session.commit()
    flash(_("Our figures were sent to the organiser."), "success")
    return _back(regional_id)


def init_app(app: Flask) -> None:
    """Register the pages, the menu entry and the personal calendar entries."""
    app.register_blueprint(bp)
    add_nav_item(app, "regional.index", lazy_gettext("Coworking Week"))
    app.extensions.setdefault("coworknet.personal_calendar", []).append(regional_ical.remote_components)
