"""The manager's view of the outgoing federation queue: what waits, what could not be
delivered, and sending an undeliverable message again (docs/PROTOCOL.md §7.5)."""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select

from federation.keys import now_ms
from schemas.peers import OutboxMessageOutSchema, OutboxQuerySchema

from ..db import db
from ..errors import N_, NotFound
from ..federation import inbox
from ..federation.models import OutboxMessage
from ..http.security import MANAGER
from .base import endpoint

bp = Blueprint("api_peers", __name__, url_prefix="/api/v1")
TAGS = ("federation",)


@endpoint(bp, "/admin/federation/outbox", access=MANAGER, query=OutboxQuerySchema,
          summary="Messages to peers still waiting, or undeliverable (the latest 200)",
          response=OutboxMessageOutSchema(many=True), tags=TAGS)
def outbox(data):
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.status == data["status"])
                              .order_by(OutboxMessage.id.desc()).limit(200)).all()
    return OutboxMessageOutSchema(many=True).dump(rows)


@endpoint(bp, "/admin/federation/outbox/<int:message_id>/resend", methods=("POST",),
          access=MANAGER, summary="Send an undeliverable message again (same id, new deadline)",
          response=OutboxMessageOutSchema, tags=TAGS)
def resend(message_id: int):
    row = db.session.get(OutboxMessage, message_id)
    if row is None:
        raise NotFound(N_("No such message."))
    inbox.resend(db.session, row, now_ms())
    db.session.commit()
    return OutboxMessageOutSchema().dump(row)
