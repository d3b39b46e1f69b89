"""The community manager's pages: members, approvals, roles, invitations, sign-up setting."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_pgettext

from schemas.accounts import InvitationCreateSchema, SpaceSettingsSchema
from schemas.common import NoBodySchema
from schemas.members import MemberListQuerySchema, RoleChangeSchema, StatusChangeSchema

from ..accounts import accounts, spaces
from ..db import db
from ..erasure import erase_account
from ..errors import N_, DomainError
from ..http import context
from ..http.confirm import ask_confirmation, confirmed
from ..http.forms import form_values, keep_as_typed, parse, query, show_again
from ..http.security import manager_required
from ..members.models import MemberStatus
from ..notices import account_mail
from ..notices.requests import notify_offers

bp = Blueprint("admin", __name__, url_prefix="/admin")

#: An account's status as the members list shows it (about the account: no gendered adjective).
ACCOUNT_STATUS_LABELS = {
    MemberStatus.PENDING: lazy_pgettext("accounts", "waiting for approval"),
    MemberStatus.ACTIVE: lazy_pgettext("account", "active"),
    MemberStatus.SUSPENDED: lazy_pgettext("account", "suspended"),
}
#: What the manager reads after changing an account's status.
STATUS_CHANGED = {
    MemberStatus.ACTIVE: N_("The account of %(name)s is active."),
    MemberStatus.SUSPENDED: N_("The account of %(name)s is suspended."),
}


@bp.route("/members")
@manager_required
@query(MemberListQuerySchema)
def members(query: dict):
    status = query["status"]
    return render_template("admin/members.html", members=accounts.list_members(db.session, status),
                           status=status, space=context.space(), account_status_labels=ACCOUNT_STATUS_LABELS)


@bp.route("/members/<int:member_id>/status", methods=["POST"])
@manager_required
def change_status(member_id: int):
    data = parse(StatusChangeSchema(), form_values(request.form))
    member = accounts.get_member(db.session, member_id)
    if data["status"] == MemberStatus.SUSPENDED and member.status != data["status"] and not confirmed():
        return ask_confirmation(
            action=_("Suspend"), title=_("Suspend %(name)s", name=member.display_name),
            question=_("Suspend %(name)s? Their sessions end now and they cannot sign in until "
                       "you reactivate the account.", name=member.display_name),
            back=url_for("admin.members"))
    accounts.set_status(db.session, g.member, member, data["status"])
    db.session.commit()
    flash(_(STATUS_CHANGED.get(data["status"], N_("The account of %(name)s is changed.")),
            name=member.display_name), "success")
    return redirect(request.referrer or url_for("admin.members"))


@bp.route("/members/<int:member_id>/refuse", methods=["POST"])
@manager_required
def refuse_signup(member_id: int):
    parse(NoBodySchema(), form_values(request.form))
    member = accounts.get_member(db.session, member_id)
    if not confirmed():
        return ask_confirmation(
            action=_("Refuse the sign-up"), title=_("Refuse the sign-up of %(name)s", name=member.display_name),
            question=_("Refuse the sign-up of %(name)s (%(email)s)? The request is deleted and the "
                       "person is told by mail, politely.", name=member.display_name, email=member.email),
            back=url_for("admin.members", status="pending"))
    refused = accounts.refuse_signup(db.session, g.member, member)
    db.session.commit()
    account_mail.send_signup_refused(
        context.mail_sender(), to=refused.email, name=refused.display_name, space_name=context.space().name,
        locale=refused.locale or current_app.config["DEFAULT_LOCALE"])
    flash(_("The sign-up of %(name)s is refused; they are told by mail.", name=refused.display_name), "success")
    return redirect(url_for("admin.members", status="pending"))


@bp.route("/members/<int:member_id>/erase", methods=["POST"])
@manager_required
def erase_member(member_id: int):
    """A manager deletes an account (a member who left without doing it): as when the member
    does it, their registrations are cancelled and the peers told; they are told by mail."""
    parse(NoBodySchema(), form_values(request.form))
    member = accounts.get_member(db.session, member_id)
    if not confirmed():
        return ask_confirmation(
            action=_("Delete the account"), title=_("Delete the account of %(name)s", name=member.display_name),
            question=_("Delete the account of %(name)s (%(email)s)? Their profile, skills and "
                       "registrations are deleted, their seats go to the next in line and the other "
                       "spaces are told to forget their entries. They are told by mail. This cannot "
                       "be undone.", name=member.display_name, email=member.email),
            back=url_for("admin.members"))
    name, email, locale = member.display_name, member.email, member.locale
    offers = erase_account(db.session, g.member, member, context.now(), context.offer_ttl())
    db.session.commit()
    notify_offers(offers)
    account_mail.send_account_erased(context.mail_sender(), to=email, name=name,
                                     space_name=context.space().name, by_manager=True,
                                     locale=locale or current_app.config["DEFAULT_LOCALE"])
    flash(_("The account of %(name)s is deleted; they are told by mail.", name=name), "success")
    return redirect(url_for("admin.members"))


@bp.route("/members/<int:member_id>/role", methods=["POST"])
@manager_required
def change_role(member_id: int):
    data = parse(RoleChangeSchema(), form_values(request.form))
    member = accounts.get_member(db.session, member_id)
    if data["role"] != member.role and not confirmed():
        question = (_("Make %(name)s a community manager? They can then approve and suspend members, "
                      "run every event and speak for the space to its peers.", name=member.display_name)
                    if data["role"] == "manager" else
                    _("Make %(name)s a member again? They lose access to the administration.",
                      name=member.display_name))
        return ask_confirmation(action=_("Make manager") if data["role"] == "manager" else _("Make member"),
                                question=question, back=url_for("admin.members"))
    accounts.set_role(db.session, g.member, member, data["role"])
    db.session.commit()
    flash(_("The role of %(name)s is changed.", name=member.display_name), "success")
    return redirect(url_for("admin.members"))


@bp.route("/invitations", methods=["GET", "POST"])
@manager_required
def invitations():
    new_link = None
    status = 200
    if request.method == "POST":
        try:
            form = form_values(request.form)
            form["email"] = form.get("email") or None
            data = parse(InvitationCreateSchema(), form)
            _invitation, token = accounts.create_invitation(
                db.session, created_by=g.member, email=data["email"], role=data["role"],
                ttl_hours=int(current_app.config["INVITATION_TTL_HOURS"]),
            )
            new_link = url_for("auth.accept_invitation", token=token, _external=True)
            db.session.commit()  # the mail leaves after the commit, through the outbox
            if data["email"]:
                account_mail.send_invitation(context.mail_sender(), to=data["email"],
                                              space_name=context.space().name, link=new_link, locale="fr")
            status = 201
        except DomainError as exc:
            status = keep_as_typed(exc)
    return render_template("admin/invitations.html", invitations=accounts.list_open_invitations(db.session),
                           new_link=new_link), status


@bp.route("/settings", methods=["GET", "POST"])
@manager_required
def settings():
    space = context.space()
    if request.method == "POST":
        try:
            data = parse(SpaceSettingsSchema(), form_values(request.form, blank_is_none=("contact_email",)))
            spaces.update_settings(db.session, space, data, context.now())
        except DomainError as exc:
            return show_again(exc, render_template, "admin/settings.html", space=space, values=request.form)
        db.session.commit()
        flash(_("Settings saved."), "success")
        return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", space=space, values=None)
