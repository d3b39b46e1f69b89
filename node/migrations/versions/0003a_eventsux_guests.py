"""events: registrations without an account (``registrant_kind = 'guest'``) and the
attendee's choice to be listed by name (``is_listed``)

Revision ID: 0003a_eventsux_guests
Revises: 0003_events
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003a_eventsux_guests"
down_revision = "0003_events"
branch_labels = None
depends_on = None

BEFORE = ("(registrant_kind = 'local' AND member_id IS NOT NULL) OR "
          "(registrant_kind = 'remote' AND remote_node_id IS NOT NULL AND remote_ref IS NOT NULL)")
AFTER = BEFORE + " OR (registrant_kind = 'guest' AND member_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("event_registrations") as batch:
        batch.add_column(sa.Column("is_listed", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_constraint(op.f("ck_event_registrations_registrant_identified"), type_="check")
        batch.create_check_constraint("registrant_identified", AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM event_registrations WHERE registrant_kind = 'guest'")
    with op.batch_alter_table("event_registrations") as batch:
        batch.drop_constraint(op.f("ck_event_registrations_registrant_identified"), type_="check")
        batch.create_check_constraint("registrant_identified", BEFORE)
        batch.drop_column("is_listed")
