"""My account: password, personal access tokens, and deleting the account."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from schemas.accounts import AccountEraseSchema, ApiTokenCreateSchema, PasswordChangeSchema

from ..accounts import accounts
from ..db import db
from ..erasure import erase_account
from ..errors import DomainError
from ..http import context
from ..http.confirm import ask_confirmation, confirmed
from ..http.forms import form_values, parse, show_again
from ..http.security import member_required, sign_in, sign_out
from ..notices import account_mail
from ..notices.requests import notify_offers

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(**extra) -> str:
    tokens = accounts.list_api_tokens(db.session, g.member)
    return render_template("account.html", tokens=tokens, **extra)


@bp.route("/")
@member_required
def index():
    return _page()


@bp.route("/password", methods=["POST"])
@member_required
def change_password():
    try:
        data = parse(PasswordChangeSchema(), form_values(request.form))
        accounts.change_password(db.session, context.passwords(), g.member,
                                 data["current_password"], data["password"])
    except DomainError as exc:
        return show_again(exc, _page)
    db.session.commit()
    sign_in(g.member)  # this session stays valid, the others end
    flash(_("Your password is changed."), "success")
    return redirect(url_for("account.index"))


@bp.route("/tokens", methods=["POST"])
@member_required
def create_token():
    try:
        data = parse(ApiTokenCreateSchema(), form_values(request.form))
        _token, clear = accounts.create_api_token(db.session, g.member, data["name"])
    except DomainError as exc:
        return show_again(exc, _page)
    db.session.commit()
    return _page(new_token=clear), 201


@bp.route("/tokens/<int:token_id>/revoke", methods=["POST"])
@member_required
def revoke_token(token_id: int):
    if not confirmed():
        return ask_confirmation(action=_("Revoke"), back=url_for("account.index"),
                                question=_("Revoke this token? Scripts using it stop working at once."))
    accounts.revoke_api_token(db.session, g.member, token_id)
    db.session.commit()
    flash(_("The token is revoked."), "info")
    return redirect(url_for("account.index"))


@bp.route("/erase", methods=["POST"])
@member_required
def erase():
    """The member deletes their account: their registrations are cancelled (freed seats go to
    the next in line, hosts elsewhere are told), their directory entries withdrawn from the
    peers and their network passes revoked; then they are signed out."""
    data = parse(AccountEraseSchema(), form_values(request.form))
    member = g.member
    question = dict(action=_("Delete my account"), back=url_for("account.index"),
                    password=bool(member.password_hash),
                    question=_("Delete your account? Your profile, skills and registrations are "
                               "deleted and the other spaces are told to forget your entries. "
                               "This cannot be undone."))
    if not confirmed():
        return ask_confirmation(**question)
    if member.password_hash and not context.passwords().verify(member.password_hash,
                                                               data["current_password"]):
        flash(_("The current password is wrong."), "error")
        return ask_confirmation(**question), 403
    try:
        offers = erase_account(db.session, member, member, context.now(), context.offer_ttl())
    except DomainError as exc:
        db.session.rollback()
        return show_again(exc, _page)
    name, email, locale = member.display_name, member.email, member.locale
    db.session.commit()
    notify_offers(offers)
    account_mail.send_account_erased(context.mail_sender(), to=email, name=name,
                                     space_name=context.space().name, by_manager=False,
                                     locale=locale or current_app.config["DEFAULT_LOCALE"])
    sign_out()
    flash(_("Your account is deleted. Thank you for having been part of the community."), "info")
    return redirect(url_for("portal.home"))
