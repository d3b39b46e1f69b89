"""network pass: visiting agreements, issued passes, visits, revocations, settlements

Revision ID: 0015_passes_network_pass
Revises: 0001_foundation
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = "0015_passes_network_pass"
down_revision = "0001_foundation"
branch_labels = ("passes",)
depends_on = ("0006_connector",)


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, node.models.base.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "pass_agreements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agreement_id", sa.String(length=300), nullable=False),
        sa.Column("peer_node_id", sa.String(length=255), nullable=False),
        sa.Column("offered_by_us", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("offer_json", sa.Text(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_agreements")),
        sa.UniqueConstraint("agreement_id", name=op.f("uq_pass_agreements_agreement_id")),
    )
    op.create_index(op.f("ix_pass_agreements_peer_node_id"), "pass_agreements", ["peer_node_id"])
    op.create_table(
        "pass_issued",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pass_id", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("show_name", sa.Boolean(), nullable=False),
        sa.Column("photo", sa.Boolean(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        _at("issued_at"),
        _at("expires_at"),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_pass_issued_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_issued")),
        sa.UniqueConstraint("pass_id", name=op.f("uq_pass_issued_pass_id")),
    )
    op.create_index(op.f("ix_pass_issued_member_id"), "pass_issued", ["member_id"])
    op.create_index(op.f("ix_pass_issued_subject"), "pass_issued", ["subject"])
    op.create_index(op.f("ix_pass_issued_expires_at"), "pass_issued", ["expires_at"])
    op.create_table(
        "pass_visits",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.String(length=300), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("peer_node_id", sa.String(length=255), nullable=False),
        sa.Column("pass_id", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("shown_name", sa.String(length=120), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _at("recorded_at"),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_pass_visits_member_id_members"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["members.id"],
                                name=op.f("fk_pass_visits_recorded_by_id_members"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_visits")),
        sa.UniqueConstraint("visit_id", name=op.f("uq_pass_visits_visit_id")),
    )
    op.create_index(op.f("ix_pass_visits_direction"), "pass_visits", ["direction"])
    op.create_index(op.f("ix_pass_visits_peer_node_id"), "pass_visits", ["peer_node_id"])
    op.create_index(op.f("ix_pass_visits_member_id"), "pass_visits", ["member_id"])
    op.create_index(op.f("ix_pass_visits_day"), "pass_visits", ["day"])
    op.create_table(
        "pass_revocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=255), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("pass_ids", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        _at("received_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_revocations")),
        sa.UniqueConstraint("issuer", "subject", name=op.f("uq_pass_revocations_issuer_subject")),
    )
    op.create_index(op.f("ix_pass_revocations_issuer"), "pass_revocations", ["issuer"])
    op.create_table(
        "pass_settlements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("peer_node_id", sa.String(length=255), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("barter_entry_id", sa.Integer(), nullable=True),
        _at("created_at"),
        sa.ForeignKeyConstraint(["barter_entry_id"], ["connector_barter_entries.id"],
                                name=op.f("fk_pass_settlements_barter_entry_id_connector_barter_entries"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pass_settlements")),
        sa.UniqueConstraint("peer_node_id", "month", name=op.f("uq_pass_settlements_peer_node_id_month")),
    )


def downgrade() -> None:
    for table in ("pass_settlements", "pass_revocations", "pass_visits", "pass_issued", "pass_agreements"):
        op.drop_table(table)
