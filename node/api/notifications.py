"""JSON API: my notifications (what happened, where to act), marking read, how I am told."""

from __future__ import annotations

from flask import Blueprint, current_app, g
from flask_babel import force_locale

from schemas.notifications import (
    ChoiceOutSchema,
    MarkReadSchema,
    NotificationPageSchema,
    NotificationQuerySchema,
    PreferenceSchema,
)

from ..db import db
from ..notices import mailer
from ..notifications import operations, queries
from .base import endpoint

bp = Blueprint("api_notifications", __name__, url_prefix="/api/v1")
TAGS = ("notifications",)


def _dump(row) -> dict:
    """In the member's own language (an API client has no language cookie)."""
    with force_locale(g.api_member.locale or current_app.config["DEFAULT_LOCALE"]):
        words = mailer.render_notification(row, default_tz=current_app.config["DEFAULT_TIMEZONE"])
    return {"id": row.id, "kind": row.kind, "text": words.title, "action": words.action,
            "url": current_app.config["BASE_URL"].rstrip("/") + (row.link or "/notifications"),
            "created_at": row.created_at, "read_at": row.read_at}


@endpoint(bp, "/me/notifications", summary="My notifications, newest first, in my language",
          query=NotificationQuerySchema, response=NotificationPageSchema, tags=TAGS)
def list_notifications(data: dict):
    rows = queries.list_for(db.session, g.api_member, limit=data["limit"], offset=data["offset"],
                            unread_only=data["unread"])
    return NotificationPageSchema().dump({"items": [_dump(r) for r in rows],
                                          "unread": queries.unread_count(db.session, g.api_member)})


@endpoint(bp, "/me/notifications/read", methods=("POST",), body=MarkReadSchema,
          summary="Mark one notification read (id), or all of them", response=NotificationPageSchema,
          tags=TAGS)
def mark_read(data: dict):
    operations.mark_read(db.session, g.api_member, data["id"])
    db.session.commit()
    rows = queries.list_for(db.session, g.api_member, limit=50)
    return NotificationPageSchema().dump({"items": [_dump(r) for r in rows],
                                          "unread": queries.unread_count(db.session, g.api_member)})


@endpoint(bp, "/me/notification-preferences", summary="How I am told, per kind",
          response=ChoiceOutSchema(many=True), tags=TAGS)
def preferences():
    return ChoiceOutSchema(many=True).dump(queries.choices_for(db.session, g.api_member))


@endpoint(bp, "/me/notification-preferences", methods=("PUT",), body=PreferenceSchema,
          summary="Choose how one kind reaches me: mail, portal or digest",
          response=ChoiceOutSchema(many=True), tags=TAGS)
def set_preference(data: dict):
    operations.set_channel(db.session, g.api_member, data["kind"], data["channel"])
    db.session.commit()
    return ChoiceOutSchema(many=True).dump(queries.choices_for(db.session, g.api_member))
