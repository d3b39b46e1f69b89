"""CSRF, the signed-in member, security headers and the access markers every route carries."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, g, redirect, request, session, url_for
from flask_wtf.csrf import CSRFProtect

from ..db import db
from ..members.models import Member
from .cookies import PortalSessionInterface

csrf = CSRFProtect()

PUBLIC, MEMBER, MANAGER, KIOSK = "public", "member", "manager", "kiosk"


def _mark(view: Callable, level: str) -> Callable:
    view.access = level  # read by the route audit test and the OpenAPI builder
    return view


def public(view: Callable) -> Callable:
    """Anyone may call this route."""
    return _mark(view, PUBLIC)


def member_required(view: Callable) -> Callable:
    """Only an active, signed-in member."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.member is None:
            return redirect(url_for("auth.login", next=request.full_path))
        return view(*args, **kwargs)

    return _mark(wrapper, MEMBER)


def manager_required(view: Callable) -> Callable:
    """Only an active, signed-in community manager."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.member is None:
            return redirect(url_for("auth.login", next=request.full_path))
        if not g.member.is_manager:
            abort(403)
        return view(*args, **kwargs)

    return _mark(wrapper, MANAGER)


def kiosk_required(view: Callable) -> Callable:
    """Only a kiosk session a manager opened on this device (``g.kiosk``, loaded by the
    network pass's guard); anyone else goes to the login page."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if getattr(g, "kiosk", None) is None:
            return redirect(url_for("auth.login"))
        return view(*args, **kwargs)

    return _mark(wrapper, KIOSK)


def sign_in(member: Member) -> None:
    session.clear()
    session.permanent = True
    session["member_id"] = member.id
    session["sv"] = member.session_version


def sign_out() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _load_member() -> None:
    g.member = None
    if request.endpoint == "static":
        return
    member_id = session.get("member_id")
    if member_id is None:
        return
    member = db.session.get(Member, member_id)
    if member is None or not member.is_active or member.session_version != session.get("sv"):
        sign_out()
        return
    g.member = member


def _security_headers(response):
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_security(app: Flask) -> None:
    app.session_interface = PortalSessionInterface()
    app.before_request(_load_member)
    app.after_request(_security_headers)
