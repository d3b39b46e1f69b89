"""What the portal's front desk and the API's share: check a pass, record the visit, and say
why a pass is refused in the reader's language."""

from __future__ import annotations

from datetime import date

from flask import abort, g, redirect, request, session, url_for
from flask_babel import gettext as _

from federation.passes import PassRefused

from ..connector import barter
from ..db import db
from ..passes import desk, kiosk, visits
from ..passes.models import PassKiosk, PassSettlement
from . import context
from .security import sign_out

#: What a kiosk session may reach: its own page, checking a pass, leaving, the language
#: switch and static files. Anything else sends it back to its page (or is refused).
KIOSK_ENDPOINTS = frozenset({"passes.kiosk_page", "passes.kiosk_check", "passes.kiosk_leave",
                             "portal.set_language", "static"})


def refusal_message(code: str) -> str:
    messages = {
        "malformed": _("This is not a network pass (check the code)."),
        "not_peer": _("This pass comes from a space we have no visiting agreement with."),
        "bad_signature": _("This pass is forged or altered: its signature does not verify."),
        "other_host": _("This pass is made for another space."),
        "not_yet_valid": _("This pass is not valid yet."),
        "expired": _("This pass has expired: the member can open it again to renew it."),
        "revoked": _("This pass was withdrawn by the member’s space."),
        "over_quota": _("The days of this month’s agreement with this space are used up."),
    }
    return messages.get(code, _("This pass is refused."))


def check_at_desk(code: str, manager) -> dict:
    """Verify a pass and record the visit (the caller commits); the outcome to show."""
    try:
        admitted = desk.admit(db.session, code, context.now(), context.space_tz(),
                              recorded_by=manager)
    except PassRefused as refused:
        db.session.rollback()
        return {"accepted": False, "reason": refused.code, "message": refusal_message(refused.code),
                "issuer": None, "shown_name": None, "subject": None, "photo": False,
                "already": False}
    item = admitted.pass_
    message = (_("Already recorded today: welcome back.") if admitted.already
               else _("Welcome! The visit is recorded."))
    return {"accepted": True, "reason": None, "message": message,
            "issuer": admitted.issuer.name or admitted.issuer.node_id,
            "issuer_id": admitted.issuer.node_id,
            "shown_name": item.name, "subject": item.subject, "photo": item.photo,
            "already": admitted.already}


def settle(manager, peer_node_id: str, month: date) -> PassSettlement:
    """A month's pass balance with a peer into one barter ledger entry, in days (the caller
    commits both together)."""
    balance = visits.balance_to_settle(db.session, peer_node_id, month)
    entry = barter.record_entry(
        db.session, manager, member=None, peer=peer_node_id,
        direction="given" if balance.balance > 0 else "received", unit="day",
        quantity=abs(balance.balance), service=f"Network pass {balance.month}",
        occurred_on=visits.last_day(balance))
    return visits.mark_settled(db.session, balance, entry.id)


# --- kiosk sessions -----------------------------------------------------------------------------


def start_kiosk(manager) -> PassKiosk:
    """Turn this browser into a kiosk: the manager's session on it ends (the caller commits)."""
    opened, token = kiosk.open_kiosk(db.session, manager, context.now())
    sign_out()  # a fresh session (and CSRF token): nothing of the manager's carries over
    session.permanent = True
    session["kiosk"] = token
    return opened


def leave_kiosk() -> None:
    """End this browser's kiosk and forget it (the caller commits)."""
    if g.kiosk is not None:
        kiosk.end_kiosk(db.session, g.kiosk.id, context.now())
    sign_out()


def kiosk_guard():
    """Before every request: load this browser's kiosk (``g.kiosk``) and keep it on the
    kiosk's own routes. An ended or expired kiosk is forgotten (the browser is signed out)."""
    g.kiosk = None
    token = session.get("kiosk")
    if token is None or request.endpoint == "static":
        return None
    g.kiosk = kiosk.kiosk_for_token(db.session, token, context.now())
    if g.kiosk is None:
        sign_out()
        return redirect(url_for("auth.login"))
    if request.endpoint in KIOSK_ENDPOINTS:
        return None
    if request.method in ("GET", "HEAD"):
        return redirect(url_for("passes.kiosk_page"))
    abort(403)
