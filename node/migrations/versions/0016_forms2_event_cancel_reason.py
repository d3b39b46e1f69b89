"""events: the organisers' word to the people registered when an event is cancelled

Revision ID: 0016_forms2_event_cancel_reason
Revises: 0003a_eventsux_guests
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_forms2_event_cancel_reason"
down_revision = "0003a_eventsux_guests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("cancel_reason")
