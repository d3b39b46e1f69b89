"""Sign in with an OpenID Connect provider: on when ``OIDC_ISSUER`` is set.

authlib does the protocol: discovery, state, nonce, PKCE (S256), the code exchange and the ID
token's signature and claims; ``node.accounts.oidc`` decides which member it signs in."""

from __future__ import annotations

import logging

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import OAuth
from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for
from flask import session as cookie_session
from flask_babel import gettext as _
from joserfc.errors import JoseError

from ..accounts import oidc
from ..config import ConfigError
from ..db import db
from ..errors import N_, DomainError, Forbidden
from ..http import context
from ..http.messages import error_message
from ..http.security import public, sign_in
from .auth import _safe_next as safe_next

logger = logging.getLogger(__name__)

bp = Blueprint("oidc", __name__)
EXTENSION = "coworknet.oidc"
NEXT_KEY = "oidc_next"
PROTOCOL_ERRORS = (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError)


def init_app(app: Flask) -> None:
    """Register the provider when configured, and tell templates its display name."""
    issuer = app.config["OIDC_ISSUER"]
    name = (app.config["OIDC_DISPLAY_NAME"] or "OpenID Connect") if issuer else None
    app.context_processor(lambda: {"oidc_provider_name": name})
    app.register_blueprint(bp)
    if not issuer:
        return
    if not app.config["OIDC_CLIENT_ID"]:
        raise ConfigError("OIDC_ISSUER is set without OIDC_CLIENT_ID.")
    oauth = OAuth(app)
    app.extensions[EXTENSION] = oauth.register(
        name="coworknet_oidc",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"] or None,
        server_metadata_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={
            "scope": app.config["OIDC_SCOPES"],
            "code_challenge_method": "S256",
            "default_timeout": 10,
        },
    )


def _client():
    client = current_app.extensions.get(EXTENSION)
    if client is None:
        abort(404)
    return client


def _refuse(message: str, status: int = 403):
    db.session.rollback()
    return render_template("auth/login.html", next="", message=message), status


@bp.route("/login/oidc")
@public
def start():
    client = _client()
    cookie_session[NEXT_KEY] = safe_next(request.args.get("next"))
    try:
        return client.authorize_redirect(url_for("oidc.callback", _external=True))
    except PROTOCOL_ERRORS as exc:
        logger.warning("OIDC provider unreachable: %s", exc.__class__.__name__)
        return _refuse(_("The identity provider cannot be reached. Please try again later."), 502)


def _claims(client, token: dict) -> dict:
    """The ID token's validated claims, completed from the userinfo endpoint when needed."""
    claims = dict(token.get("userinfo") or {})
    if not claims:  # no ID token, or no nonce to check it with
        raise Forbidden(N_("The identity provider's answer is not valid."))
    if "email" not in claims or "email_verified" not in claims:
        extra = client.userinfo(token=token)
        if extra.get("sub") == claims["sub"]:
            claims.update({k: extra[k] for k in ("email", "email_verified", "name") if k in extra})
    return claims


@bp.route("/login/oidc/callback")
@public
def callback():
    client = _client()
    next_url = cookie_session.pop(NEXT_KEY, None) or url_for("portal.home")
    try:
        token = client.authorize_access_token()
        claims = _claims(client, token)
        outcome = oidc.resolve_identity(
            db.session, context.passwords(), issuer=current_app.config["OIDC_ISSUER"],
            claims=claims, signup_mode=context.space().signup_mode,
        )
    except PROTOCOL_ERRORS as exc:
        logger.warning("OIDC sign-in refused: %s", exc.__class__.__name__)
        return _refuse(_("Signing in with the identity provider failed. Please try again."), 400)
    except DomainError as exc:
        return _refuse(error_message(exc), exc.status)
    db.session.commit()  # a new account waiting: the managers are notified (signup.waiting)
    try:
        oidc.check_may_sign_in(outcome.member)
    except DomainError as exc:
        return _refuse(error_message(exc), exc.status)
    sign_in(outcome.member)
    return redirect(next_url)

