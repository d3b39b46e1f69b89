"""The network pass in the portal: "Mon pass réseau" for members; agreements, balances and
the front desk (and its kiosk mode) for the manager."""

from __future__ import annotations

from datetime import date

import segno
from flask import Blueprint, Flask, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from markupsafe import Markup

from federation.passes import grouped
from schemas.connector import EmptySchema
from schemas.passes import (
    AgreementAnswerSchema,
    AgreementOfferSchema,
    DeskCheckSchema,
    MonthQuerySchema,
    PassChoiceSchema,
    SettleSchema,
)

from ..accounts.accounts import members_by_id
from ..db import db
from ..events import checkins
from ..federation.peers import approved_peers, find_peer
from ..http import context
from ..http.confirm import ask_confirmation, confirmed
from ..http.forms import form_values, parse
from ..http.passes import check_at_desk, kiosk_guard, leave_kiosk, start_kiosk
from ..http.passes import settle as settle_balance
from ..http.security import kiosk_required, manager_required, member_required
from ..passes import agreements, issuing, kiosk, visits
from .nav import add_nav_item

bp = Blueprint("passes", __name__)


def qr_svg(code: str) -> Markup:
    """The pass as an inline SVG QR code (no script, no style attribute: the CSP holds)."""
    svg = segno.make(code, error="m", micro=False).svg_inline(scale=4, dark="#000", light="#fff",
                                                              omitsize=True)
    return Markup(svg)  # noqa: S704 - segno's own markup of our own code


def _month(value: str | None) -> date:
    today = context.now().astimezone(context.space_tz()).date()
    return date.fromisoformat(value + "-01") if value else today.replace(day=1)


# --- member ---------------------------------------------------------------------------------


@bp.route("/pass")
@member_required
def my_pass():
    now = context.now()
    hosts = issuing.hosts_for(db.session, now.date())
    current = None
    if hosts and g.member.is_active:
        current = issuing.my_pass(db.session, g.member, now)
        db.session.commit()
    names = {p.node_id: p.name or p.node_id for p in approved_peers(db.session)}
    return render_template("passes/mine.html", current=current, hosts=hosts, names=names,
                           qr=qr_svg(current.code) if current else None,
                           short=grouped(current.code) if current else "",
                           visits=visits.member_visits(db.session, g.member))


@bp.route("/pass", methods=["POST"])
@member_required
def choose():
    data = parse(PassChoiceSchema(), form_values(request.form, checkboxes=("show_name", "photo"),
                                                  blank_is_none=("host",)))
    issuing.issue(db.session, g.member, context.now(), host=data["host"] or None,
                  show_name=data["show_name"], photo=data["photo"])
    db.session.commit()
    flash(_("Your pass is renewed with your choices."), "success")
    return redirect(url_for("passes.my_pass"))


# --- manager: agreements and balances ---------------------------------------------------------


@bp.route("/admin/passes")
@manager_required
def admin():
    month = _month(parse(MonthQuerySchema(), form_values(request.args, blank_is_none=("month",)))["month"])
    rows = agreements.list_agreements(db.session)
    return render_template(
        "passes/admin.html", agreements=[(a, agreements.terms_of(a)) for a in rows],
        peers=approved_peers(db.session), balances=visits.balances(db.session, month),
        month=month, names={p.node_id: p.name or p.node_id for p in approved_peers(db.session)},
        today=context.now().astimezone(context.space_tz()).date())


@bp.route("/admin/passes/agreements", methods=["POST"])
@manager_required
def offer():
    data = parse(AgreementOfferSchema(), form_values(
        request.form, integers=("offerer_members_days", "answerer_members_days", "pool_days"),
        blank_is_none=("valid_until",)))
    peer = find_peer(db.session, data.pop("peer"))
    agreements.offer(db.session, peer, **data)
    db.session.commit()
    flash(_("The agreement is offered; it applies once the other space accepts it."), "success")
    return redirect(url_for("passes.admin"))


@bp.route("/admin/passes/agreements/<int:agreement_pk>/answer", methods=["POST"])
@manager_required
def answer(agreement_pk: int):
    data = parse(AgreementAnswerSchema(), form_values(request.form))
    agreements.answer(db.session, agreements.get_agreement(db.session, agreement_pk),
                      data["decision"] == "accept")
    db.session.commit()
    flash(_("Your answer is sent."), "success")
    return redirect(url_for("passes.admin"))


@bp.route("/admin/passes/agreements/<int:agreement_pk>/end", methods=["POST"])
@manager_required
def end(agreement_pk: int):
    agreement = agreements.get_agreement(db.session, agreement_pk)
    if not confirmed():
        names = {p.node_id: p.name or p.node_id for p in approved_peers(db.session)}
        return ask_confirmation(
            action=_("End the agreement"),
            question=_("End the visiting agreement with %(space)s? Passes stop being accepted "
                       "under it at once, on both sides.",
                       space=names.get(agreement.peer_node_id, agreement.peer_node_id)),
            back=url_for("passes.admin"))
    agreements.end(db.session, agreement)
    db.session.commit()
    flash(_("The agreement is ended."), "success")
    return redirect(url_for("passes.admin"))


@bp.route("/admin/passes/settle", methods=["POST"])
@manager_required
def settle():
    data = parse(SettleSchema(), form_values(request.form))
    settle_balance(g.member, data["peer"], _month(data["month"]))
    db.session.commit()
    flash(_("The balance is recorded in the barter ledger."), "success")
    return redirect(url_for("passes.admin", month=data["month"]))


# --- manager: front desk and kiosk ------------------------------------------------------------


def _peer_names() -> dict[str, str]:
    return {p.node_id: p.name or p.node_id for p in approved_peers(db.session)}


def _desk_page(outcome: dict | None):
    """The manager's front desk: the pass check, who is here today (members checked in and
    visitors from other spaces, as each visitor chose to be shown) and the open kiosks."""
    now, tz = context.now(), context.space_tz()
    here = checkins.who_is_here(db.session, now, tz, include_left=True)
    return render_template("passes/desk.html", outcome=outcome, kiosk=False, here=here,
                           people=members_by_id(db.session, {row.member_id for row in here}),
                           visitors=visits.visitors_here(db.session, now, tz),
                           kiosks=kiosk.open_kiosks(db.session, now), names=_peer_names())


@bp.route("/admin/passes/desk")
@manager_required
def desk():
    return _desk_page(None)


@bp.route("/admin/passes/desk", methods=["POST"])
@manager_required
def check():
    data = parse(DeskCheckSchema(), form_values(request.form))
    outcome = check_at_desk(data["code"], g.member)
    db.session.commit()
    return _desk_page(outcome), 200 if outcome["accepted"] else 422


@bp.route("/admin/passes/kiosks", methods=["POST"])
@manager_required
def kiosk_open():
    """This device becomes a kiosk: the manager is signed out of it."""
    parse(EmptySchema(), form_values(request.form))
    start_kiosk(g.member)
    db.session.commit()
    flash(_("Kiosk mode is on: this device can only check network passes."), "success")
    return redirect(url_for("passes.kiosk_page"))


@bp.route("/admin/passes/kiosks/<int:kiosk_id>/end", methods=["POST"])
@manager_required
def kiosk_end(kiosk_id: int):
    parse(EmptySchema(), form_values(request.form))
    kiosk.end_kiosk(db.session, kiosk_id, context.now())
    db.session.commit()
    flash(_("The kiosk is ended: the device shows the sign-in page."), "success")
    return redirect(url_for("passes.desk"))


def _kiosk_page(outcome: dict | None):
    return render_template("passes/kiosk.html", outcome=outcome, kiosk=True,
                           opened=g.kiosk.opened_at, until=g.kiosk.expires_at)


@bp.route("/kiosk")
@kiosk_required
def kiosk_page():
    return _kiosk_page(None)


@bp.route("/kiosk", methods=["POST"])
@kiosk_required
def kiosk_check():
    data = parse(DeskCheckSchema(), form_values(request.form))
    outcome = check_at_desk(data["code"], g.kiosk.opened_by)
    db.session.commit()
    return _kiosk_page(outcome), 200 if outcome["accepted"] else 422


@bp.route("/kiosk/leave", methods=["POST"])
@kiosk_required
def kiosk_leave():
    parse(EmptySchema(), form_values(request.form))
    leave_kiosk()
    db.session.commit()
    flash(_("Kiosk mode is off on this device."), "success")
    return redirect(url_for("auth.login"))


def init_app(app: Flask) -> None:
    app.before_request(kiosk_guard)  # after the member is loaded (init_security)
    app.register_blueprint(bp)
    add_nav_item(app, "passes.my_pass", lazy_gettext("My network pass"))
    add_nav_item(app, "passes.admin", lazy_gettext("Network pass"), admin=True)
    add_nav_item(app, "passes.desk", lazy_gettext("Front desk"), admin=True)
