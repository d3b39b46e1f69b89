"""federation: node keys, peers, feed, copies, nonces, inbox, outbox

Revision ID: 0002_federation
Revises: 0001_foundation
Create Date: 2026-11-28 13:25:39.125457
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = '0002_federation'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('federation_locks',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=False),
    sa.Column('expires_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_federation_locks'))
    )
    op.create_table('federation_nonces',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('signer', sa.String(length=255), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('expires_ms', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_federation_nonces')),
    sa.UniqueConstraint('signer', 'nonce', name=op.f('uq_federation_nonces_signer_nonce'))
    )
    with op.batch_alter_table('federation_nonces', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_federation_nonces_expires_ms'), ['expires_ms'], unique=False)

    op.create_table('federation_settings',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_federation_settings'))
    )
    op.create_table('feed_copies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('peer_node_id', sa.String(length=255), nullable=False),
    sa.Column('object_id', sa.String(length=500), nullable=False),
    sa.Column('item_type', sa.String(length=64), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('item_json', sa.Text(), nullable=True),
    sa.Column('updated_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_copies')),
    sa.UniqueConstraint('peer_node_id', 'object_id', name=op.f('uq_feed_copies_peer_node_id_object_id'))
    )
    with op.batch_alter_table('feed_copies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_copies_peer_node_id'), ['peer_node_id'], unique=False)

    op.create_table('feed_items',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_type', sa.String(length=64), nullable=False),
    sa.Column('object_id', sa.String(length=500), nullable=False),
    sa.Column('recipient', sa.String(length=255), nullable=True),
    sa.Column('is_deleted', sa.Boolean(), nullable=False),
    sa.Column('item_json', sa.Text(), nullable=False),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_feed_items')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_feed_items_created_at'), ['created_at'], unique=False)
        batch_op.create_index('ix_feed_items_object_recipient', ['object_id', 'recipient'], unique=False)
        batch_op.create_index(batch_op.f('ix_feed_items_recipient'), ['recipient'], unique=False)

    op.create_table('inbox_receipts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('message_id', sa.String(length=500), nullable=False),
    sa.Column('message_type', sa.String(length=64), nullable=False),
    sa.Column('answer_json', sa.Text(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('received_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_receipts')),
    sa.UniqueConstraint('origin', 'message_id', name=op.f('uq_inbox_receipts_origin_message_id'))
    )
    with op.batch_alter_table('inbox_receipts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_receipts_received_at'), ['received_at'], unique=False)

    op.create_table('node_keys',
    sa.Column('key_id', sa.String(length=64), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('is_current', sa.Boolean(), nullable=False),
    sa.Column('valid_from_ms', sa.BigInteger(), nullable=False),
    sa.Column('expired_ms', sa.BigInteger(), nullable=True),
    sa.Column('revoked_ms', sa.BigInteger(), nullable=True),
    sa.Column('endorsement', sa.Text(), nullable=True),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_node_keys'))
    )
    op.create_table('outbox_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('destination', sa.String(length=255), nullable=False),
    sa.Column('message_id', sa.String(length=500), nullable=False),
    sa.Column('message_type', sa.String(length=64), nullable=False),
    sa.Column('content_json', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('answer_json', sa.Text(), nullable=True),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('delivered_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_messages')),
    sa.UniqueConstraint('message_id', name=op.f('uq_outbox_messages_message_id'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_messages_destination'), ['destination'], unique=False)
        batch_op.create_index(batch_op.f('ix_outbox_messages_status'), ['status'], unique=False)

    op.create_table('peers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('node_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=200), nullable=False),
    sa.Column('region', sa.String(length=200), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('keys_json', sa.Text(), nullable=False),
    sa.Column('pinned_key_id', sa.String(length=64), nullable=True),
    sa.Column('document_fetched_ms', sa.BigInteger(), nullable=False),
    sa.Column('document_cache_until_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_applied_seq', sa.BigInteger(), nullable=False),
    sa.Column('resync_started_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('backoff_failures', sa.Integer(), nullable=False),
    sa.Column('next_attempt_ms', sa.BigInteger(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('last_error_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('needs_confirmation', sa.Boolean(), nullable=False),
    sa.Column('approved_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peers')),
    sa.UniqueConstraint('node_id', name=op.f('uq_peers_node_id'))
    )
    with op.batch_alter_table('peers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peers_status'), ['status'], unique=False)



def downgrade() -> None:
    
    with op.batch_alter_table('peers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peers_status'))

    op.drop_table('peers')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_messages_status'))
        batch_op.drop_index(batch_op.f('ix_outbox_messages_destination'))

    op.drop_table('outbox_messages')
    op.drop_table('node_keys')
    with op.batch_alter_table('inbox_receipts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_receipts_received_at'))

    op.drop_table('inbox_receipts')
    with op.batch_alter_table('feed_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_items_recipient'))
        batch_op.drop_index('ix_feed_items_object_recipient')
        batch_op.drop_index(batch_op.f('ix_feed_items_created_at'))

    op.drop_table('feed_items')
    with op.batch_alter_table('feed_copies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_feed_copies_peer_node_id'))

    op.drop_table('feed_copies')
    op.drop_table('federation_settings')
    with op.batch_alter_table('federation_nonces', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_federation_nonces_expires_ms'))

    op.drop_table('federation_nonces')
    op.drop_table('federation_locks')