"""Networks: the manager's page (found a network, ask to join one, decide on join requests,
the roster) and each network's page for members (its spaces, totals and Coworking Weeks; for
the manager, what our directory shares with it). Refusing a join request and removing a
space from the roster ask for a confirmation first (node/http/confirm.py)."""

from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
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
from sqlalchemy import select

from federation.errors import FederationError
from schemas.rosters import (
    DirectoryShareFormSchema,
    JoinDecisionFormSchema,
    NetworkCreateFormSchema,
    NetworkJoinFormSchema,
    RosterMemberFormSchema,
)

from ..db import db
from ..errors import N_, DomainError, NotFound
from ..federation import peers
from ..federation.keyring import RUNTIME_INFO_KEY, FederationRuntime
from ..http.confirm import ask_confirmation, confirmed
from ..http.context import now
from ..http.forms import form_values, page_again, parse
from ..http.messages import error_message
from ..http.security import manager_required, member_required
from ..rosters import queries, rosters
from ..rosters.models import Application, JoinRequest, Network
from .nav import add_nav_item

bp = Blueprint("rosters", __name__)


def _runtime() -> FederationRuntime:
    return current_app.extensions[RUNTIME_INFO_KEY]


def _network(network_pk: int) -> Network:
    network = db.session.get(Network, network_pk)
    if network is None:
        raise NotFound(N_("No such network."))
    return network


@bp.route("/admin/networks")
@manager_required
def admin():
    session, runtime = db.session, _runtime()
    networks = rosters.list_networks(session)
    return render_template(
        "rosters/admin.html", networks=networks, node_id=runtime.node_id,
        coordinated={n.id for n in networks if rosters.can_coordinate(runtime, n)},
        pending={n.id: rosters.pending_requests(session, n) for n in networks},
        members={n.id: rosters.members_of(n) for n in networks},
        coordinators={n.id: rosters.coordinators_of(n) for n in networks},
        applications=session.scalars(select(Application).order_by(Application.id)).all(),
        sources=rosters.sources_of(session), names={n.network_id: n.name for n in networks})


def _done(message: str, category: str = "success"):
    flash(message, category)
    return redirect(url_for("rosters.admin"))


def _refused(exc: DomainError):
    """A refused form: its page again as typed, the field marked (``page_again``); without
    that page, the networks page with the message."""
    shown = page_again(exc)
    if shown is not None:
        return shown
    db.session.rollback()
    return _done(error_message(exc), "error")


@bp.route("/admin/networks", methods=["POST"])
@manager_required
def create():
    data = parse(NetworkCreateFormSchema(), form_values(request.form))
    try:
        network = rosters.create_network(db.session, _runtime(), **data)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    return _done(_("Network %(name)s founded.", name=network.name))


@bp.route("/admin/networks/join", methods=["POST"])
@manager_required
def join():
    data = parse(NetworkJoinFormSchema(), form_values(request.form))
    session, runtime = db.session, _runtime()
    try:
        application = rosters.ask_to_join(session, runtime, data["network"].strip(),
                                          data["coordinator"])
        session.commit()
    except DomainError as exc:
        return _refused(exc)
    except FederationError as exc:
        session.rollback()
        return _done(_("The coordinator could not be reached (%(code)s).", code=exc.code),
                     "error")
    sent = rosters.send_application(session, runtime, application)
    session.commit()
    if not sent:
        return _done(_("The coordinator could not be reached (%(code)s).",
                       code=application.last_error or ""), "error")
    return _done(_("Join request sent: the coordinator's manager decides."))


@bp.route("/admin/networks/requests/<int:request_id>", methods=["POST"])
@manager_required
def decide(request_id: int):
    data = parse(JoinDecisionFormSchema(), form_values(request.form))
    session, runtime = db.session, _runtime()
    join_request = session.get(JoinRequest, request_id)
    if join_request is None:
        raise NotFound(N_("No such join request."))
    if data["action"] == "refuse" and not confirmed():
        network = rosters.find_network(session, join_request.network_id)
        return ask_confirmation(
            action=_("Refuse"), back=url_for("rosters.admin"),
            question=_("Refuse the request of %(node)s to join %(network)s? It can ask again.",
                       node=_node_name(join_request.node_id), network=network.name))
    try:
        if data["action"] == "accept":
            peer = rosters.accept(session, runtime, join_request)
        else:
            rosters.refuse(session, join_request)
            peer = None
        session.commit()
    except DomainError as exc:
        return _refused(exc)
    if peer is not None and peer.needs_confirmation:
        peers.send_confirmations(runtime, [peer.id])
    return _done(_("Join request accepted.") if peer is not None else _("Join request refused."))


@bp.route("/admin/networks/<int:network_pk>/requests", methods=["POST"])
@manager_required
def accept_all(network_pk: int):
    """Every pending join request of the network accepted in one decision: one roster version
    for all the newcomers, the peering confirmations sent a few at a time after the commit."""
    session, runtime = db.session, _runtime()
    network = _network(network_pk)
    waiting = rosters.pending_requests(session, network)
    if not waiting:
        return _done(_("No join request is waiting."), "info")
    try:
        accepted = rosters.accept_many(session, runtime, waiting)
        session.commit()
    except DomainError as exc:
        return _refused(exc)
    peers.send_confirmations(runtime, [peer.id for peer in accepted if peer.needs_confirmation])
    return _done(ngettext("%(num)s join request accepted.", "%(num)s join requests accepted.",
                          len(accepted)))


@bp.route("/admin/networks/<int:network_pk>/roster", methods=["POST"])
@manager_required
def roster(network_pk: int):
    data = parse(RosterMemberFormSchema(), form_values(request.form))
    session, runtime = db.session, _runtime()
    network = _network(network_pk)
    if data["action"] == "remove" and not confirmed():
        return ask_confirmation(
            action=_("Remove from the network"), back=url_for("rosters.admin"),
            question=_("Remove %(node)s from %(network)s? Every space of the network unpeers it "
                       "at its next sync, unless they also peered otherwise, and drops what it "
                       "shared.", node=_member_name(network, data["node_id"]),
                       network=network.name))
    try:
        if data["action"] == "remove":
            rosters.remove_member(session, runtime, network, data["node_id"])
        else:
            rosters.set_coordinators(session, runtime, network,
                                     rosters.coordinators_of(network) + [data["node_id"]])
        session.commit()
    except DomainError as exc:
        return _refused(exc)
    return _done(_("Roster updated (version %(version)s).", version=network.version))


@bp.route("/networks/<int:network_pk>")
@member_required
def network_page(network_pk: int):
    session, runtime = db.session, _runtime()
    network = _network(network_pk)
    spaces = queries.network_spaces(session, network)
    return render_template("rosters/network.html", network=network, spaces=spaces,
                           totals=queries.network_totals(spaces),
                           weeks=queries.network_weeks(session, network, now()),
                           on_roster=runtime.node_id in rosters.member_ids(network),
                           manager=g.member.is_manager,
                           share=rosters.directory_share(session, network))


@bp.route("/networks/<int:network_pk>/sharing", methods=["POST"])
@manager_required
def sharing(network_pk: int):
    """Our manager chooses what our directory shares with the network's spaces."""
    data = parse(DirectoryShareFormSchema(), form_values(request.form))
    network = _network(network_pk)
    rosters.set_directory_share(db.session, _runtime(), network, data["share"])
    db.session.commit()
    flash(_("Your choice for %(network)s is saved.", network=network.name), "success")
    return redirect(url_for("rosters.network_page", network_pk=network.id))


def _node_name(node_id: str) -> str:
    peer = peers.get_peer(db.session, node_id)
    return (peer.name if peer is not None and peer.name else None) or node_id


def _member_name(network: Network, node_id: str) -> str:
    names = {m["node_id"]: m.get("name") for m in rosters.members_of(network)}
    return names.get(node_id) or _node_name(node_id)


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_nav_item(app, "rosters.admin", lazy_gettext("Networks"), admin=True)
