"""My account: password and personal access tokens."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from schemas.accounts import ApiTokenCreateSchema, PasswordChangeSchema

from ..accounts import accounts
from ..db import db
from ..errors import DomainError
from ..http import context
from ..http.confirm import ask_confirmation, confirmed
from ..http.forms import form_values, parse, show_again
from ..http.security import member_required, sign_in

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
