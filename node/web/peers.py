"""The manager's peers page: request peering with a node, decide on incoming requests,
suspend or remove peers, and watch sync and delivery state."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from federation.errors import FederationError
from schemas.peers import PeerDecisionFormSchema, PeerRequestFormSchema

from ..db import db
from ..errors import N_, DomainError, NotFound
from ..models import OutboxMessage, Peer
from ..models.federation import (
    APPROVED,
    DELIVERY_DEAD,
    DELIVERY_PENDING,
    PENDING_APPROVAL,
    REMOVED,
    REQUESTED_BY_US,
    SUSPENDED,
)
from ..services import keyring, peers
from ..services.keyring import RUNTIME_INFO_KEY, FederationRuntime
from .forms import form_values, parse
from .security import manager_required

bp = Blueprint("peers", __name__, url_prefix="/admin/peers")

STATUS_LABELS = {
    REQUESTED_BY_US: lazy_gettext("requested by us, waiting for their approval"),
    PENDING_APPROVAL: lazy_gettext("asks to peer with us"),
    APPROVED: lazy_gettext("approved"),
    SUSPENDED: lazy_gettext("suspended"),
    REMOVED: lazy_gettext("removed"),
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
    return render_template("admin/peers.html", peers=peers.list_peers(session), queue=queue,
                           node_id=_runtime().node_id, fingerprint=keyring.key_fingerprint,
                           labels=STATUS_LABELS)


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
        flash(_("Peering requested from %(node)s.", node=peer.node_id), "success")
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
        flash(_(exc.message), "error")
        return redirect(url_for("peers.index"))
    if data["action"] == "approve" and peer.needs_confirmation:
        peers.send_confirmation(session, runtime, peer)
        session.commit()
    flash(_("%(node)s: %(status)s.", node=peer.node_id, status=STATUS_LABELS[peer.status]),
          "success")
    return redirect(url_for("peers.index"))


def init_app(app: Flask) -> None:
    from . import add_nav_item

    app.register_blueprint(bp)
    add_nav_item(app, "peers.index", lazy_gettext("Peers"), admin=True)
