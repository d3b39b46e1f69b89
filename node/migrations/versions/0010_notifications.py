"""notifications: members' notifications, per-kind preferences, the durable mail outbox

Revision ID: 0010_notifications
Revises: 0009_pending_work
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0010_notifications"
down_revision = "0009_pending_work"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, node.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("params_json", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        _at("created_at"),
        _at("read_at", nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE",
                                name=op.f("fk_notifications_member_id_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("member_id", "dedupe_key", name=op.f("uq_notifications_member_id_dedupe_key")),
    )
    op.create_index("ix_notifications_member_unread", "notifications", ["member_id", "read_at"])
    op.create_table(
        "notification_preferences",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE",
                                name=op.f("fk_notification_preferences_member_id_members")),
        sa.PrimaryKeyConstraint("member_id", "kind", name=op.f("pk_notification_preferences")),
    )
    op.create_table(
        "outgoing_mails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("ics", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at"),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        _at("created_at"),
        _at("sent_at", nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="SET NULL",
                                name=op.f("fk_outgoing_mails_member_id_members")),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="SET NULL",
                                name=op.f("fk_outgoing_mails_notification_id_notifications")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mails")),
    )
    op.create_index("ix_outgoing_mails_due", "outgoing_mails", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outgoing_mails_due", table_name="outgoing_mails")
    op.drop_table("outgoing_mails")
    op.drop_table("notification_preferences")
    op.drop_index("ix_notifications_member_unread", table_name="notifications")
    op.drop_table("notifications")
