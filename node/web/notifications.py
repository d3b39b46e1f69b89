"""The notification centre: what happened that concerns me, where to act, how I am told."""

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
from flask_babel import lazy_gettext

from schemas.connector import EmptySchema
from schemas.notifications import MarkReadSchema, PreferenceSchema

from ..db import db
from ..errors import N_, DomainError, ValidationError
from ..http.forms import form_values, parse, show_again
from ..http.security import manager_required, member_required, public
from ..notices import mailer
from ..notifications import operations, queries
from ..notifications.kinds import KINDS
from .nav import add_menu_count, menu_counts

bp = Blueprint("notifications", __name__)

CHANNEL_LABELS = {
    "mail": lazy_gettext("By mail at once"),
    "portal": lazy_gettext("Only here"),
    "digest": lazy_gettext("In the weekly digest"),
}


def _words(notification):
    return mailer.render_notification(notification, default_tz=current_app.config["DEFAULT_TIMEZONE"])


@bp.route("/notifications")
@member_required
def index():
    rows = queries.list_for(db.session, g.member, limit=100)
    return render_template("notifications/index.html", rows=rows, words=_words, unread=_unread())


@bp.route("/notifications/<int:notification_id>/open", methods=["POST"])
@member_required
def open_one(notification_id: int):
    """Mark read, then go where to act."""
    parse(EmptySchema(), form_values(request.form))
    operations.mark_read(db.session, g.member, notification_id)  # NotFound if not mine
    row = queries.get_for(db.session, g.member, notification_id)
    db.session.commit()
    return redirect(row.link or url_for("notifications.index"))


@bp.route("/notifications/read", methods=["POST"])
@member_required
def mark_read():
    data = parse(MarkReadSchema(), form_values(request.form, integers=("id",)))
    count = operations.mark_read(db.session, g.member, data["id"])
    db.session.commit()
    if data["id"] is None and count:
        flash(_("All notifications are marked read."), "success")
    return redirect(url_for("notifications.index"))


def _preferences_page(**extra) -> str:
    return render_template("notifications/preferences.html",
                           choices=queries.choices_for(db.session, g.member), kinds=KINDS,
                           channels=CHANNEL_LABELS, **extra)


@bp.route("/notifications/preferences")
@member_required
def preferences():
    return _preferences_page()


@bp.route("/notifications/preferences", methods=["POST"])
@member_required
def save_preferences():
    typed = form_values(request.form)
    try:
        for name, channel in typed.items():
            if not name.startswith("kind:"):
                raise ValidationError(N_("Unknown field."), fields={name: [N_("Unknown field.")]})
            try:
                data = parse(PreferenceSchema(), {"kind": name[5:], "channel": channel})
                operations.set_channel(db.session, g.member, data["kind"], data["channel"])
            except ValidationError as exc:  # shown under the field it is about
                raise ValidationError(exc.message, fields={name: [
                    message for messages in (exc.fields or {}).values() for message in messages]}) from None
    except DomainError as exc:
        return show_again(exc, _preferences_page, typed=typed)
    db.session.commit()
    flash(_("Your notification preferences are saved."), "success")
    return redirect(url_for("notifications.preferences"))


@bp.route("/notifications/stop/<token>", methods=["GET", "POST"])
@public
def stop(token: str):
    """One-click unsubscribe from a mail (no login): this kind stays in the portal only."""
    member, kind = operations.read_unsubscribe_token(db.session, current_app.config["SECRET_KEY"], token)
    done = operations.channel_for(db.session, member, kind) != "mail"
    if request.method == "POST":
        parse(EmptySchema(), form_values(request.form))
        operations.unsubscribe(db.session, member, kind)
        db.session.commit()
        done = True
    return render_template("notifications/stop.html", member=member, kind=KINDS[kind],
                           done=done, token=token)


@bp.route("/admin/mails")
@manager_required
def admin_mails():
    return render_template("notifications/admin_mails.html",
                           mails=queries.recent_mails(db.session),
                           counts=queries.mail_counts(db.session), kinds=KINDS)


#: The frame's count of unread notifications (:func:`node.web.nav.menu_counts`).
UNREAD = "notifications.unread"


def _unread() -> int:
    member = getattr(g, "member", None)
    return menu_counts(db.session, member).get(UNREAD, 0) if member is not None else 0


def init_app(app: Flask) -> None:
    from . import add_nav_item

    app.register_blueprint(bp)
    add_menu_count(app, UNREAD, queries.unread_select)
    app.context_processor(lambda: {"unread_notifications": _unread})
    add_nav_item(app, "notifications.admin_mails", lazy_gettext("Mails"), admin=True)
