"""Login, logout, sign-up, invitation links and password resets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from schemas.accounts import (
    LoginSchema,
    PasswordResetRequestSchema,
    PasswordResetSchema,
    SignupSchema,
)

from ..accounts import accounts
from ..db import db
from ..errors import DomainError
from ..http import context
from ..http.forms import form_values, parse, show_again
from ..http.messages import error_message
from ..http.security import public, sign_in, sign_out
from ..notices import account_mail

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("portal.home")


SIGNUP_FIELDS = dict(checkboxes=("accept_privacy",), integers=("privacy_version",))


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if request.method == "GET":
        return render_template("auth/login.html", next=request.args.get("next", ""))
    try:
        data = parse(LoginSchema(), form_values(request.form))
        member = accounts.authenticate(
            db.session, context.passwords(), context.login_policy(),
            email=data["email"], password=data["password"], ip=request.remote_addr or "?",
        )
    except DomainError as exc:
        db.session.commit()  # keep the recorded failure for throttling
        # The page says what went wrong at the top of the form (role=alert) and puts the focus
        # on the password field, without JavaScript: the email stays as typed.
        return render_template("auth/login.html", next=request.form.get("next", ""),
                               email=request.form.get("email", ""), error=error_message(exc)), exc.status
    db.session.commit()
    sign_in(member)
    return redirect(_safe_next(data.get("next")))


@bp.route("/logout", methods=["POST"])
@public
def logout():
    sign_out()
    flash(_("You are signed out."), "info")
    return redirect(url_for("portal.home"))


@bp.route("/signup", methods=["GET", "POST"])
@public
def signup():
    space = context.space()
    if request.method == "GET":
        return render_template("auth/signup.html", space=space)
    try:
        data = parse(SignupSchema(), form_values(request.form, **SIGNUP_FIELDS))
        # None for an address that has an account: same page, and its owner gets a mail.
        accounts.sign_up(
            db.session, context.passwords(), signup_mode=space.signup_mode,
            email=data["email"], display_name=data["display_name"], password=data["password"],
            notice_version=data["privacy_version"], now=context.now(),
        )
    except DomainError as exc:
        return show_again(exc, render_template, "auth/signup.html", space=context.space(),
                          values=request.form)
    db.session.commit()
    return render_template("auth/signup_done.html", space=space)


@bp.route("/privacy")
@public
def privacy():
    return render_template("auth/privacy.html", space=context.space())


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    invitation = accounts.get_open_invitation(db.session, token)
    if request.method == "GET":
        return render_template("auth/invitation.html", invitation=invitation, token=token, space=context.space())
    try:
        data = parse(SignupSchema(), form_values(request.form, **SIGNUP_FIELDS))
        member = accounts.accept_invitation(
            db.session, context.passwords(), token, email=data["email"],
            display_name=data["display_name"], password=data["password"],
            notice_version=data["privacy_version"], now=context.now(),
        )
    except DomainError as exc:
        return show_again(exc, render_template, "auth/invitation.html", invitation=invitation, token=token,
                          values=request.form, space=context.space())
    db.session.commit()
    sign_in(member)
    flash(_("Welcome! Tell the community what you do."), "success")
    return redirect(url_for("portal.edit_profile"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
def forgot_password():
    if request.method == "GET":
        return render_template("auth/forgot.html")
    try:
        data = parse(PasswordResetRequestSchema(), form_values(request.form))
    except DomainError as exc:
        return show_again(exc, render_template, "auth/forgot.html")
    found = accounts.request_password_reset(
        db.session, data["email"], int(context.current_app_config("PASSWORD_RESET_TTL_MINUTES"))
    )
    db.session.commit()  # the mail leaves after the commit, through the outbox
    if found:
        member, token = found
        link = url_for("auth.reset_password", token=token, _external=True)
        account_mail.send_password_reset(
            context.mail_sender(), to=member.email, link=link, locale=member.locale or str(get_locale())
        )
    # Same answer whether the account exists or not.
    flash(_("If an account exists for this address, we sent a link to reset the password."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    if request.method == "GET":
        return render_template("auth/reset.html", token=token)
    try:
        data = parse(PasswordResetSchema(), form_values(request.form))
        accounts.reset_password(db.session, context.passwords(), token, data["password"])
    except DomainError as exc:
        return show_again(exc, render_template, "auth/reset.html", token=token)
    db.session.commit()
    if g.member is not None:
        sign_out()
    flash(_("Your password is changed. You can sign in now."), "success")
    return redirect(url_for("auth.login"))
