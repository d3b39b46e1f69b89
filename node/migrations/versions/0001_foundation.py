"""foundation: space, members, skills, accounts

Revision ID: 0001_foundation
Revises: 
Create Date: 2026-11-28 13:18:59.105260
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import node.models.base

revision = '0001_foundation'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('login_failures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('ip', sa.String(length=64), nullable=False),
    sa.Column('at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failures'))
    )
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failures_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failures_ip'), ['ip'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('display_name', sa.String(length=80), nullable=False),
    sa.Column('headline', sa.String(length=140), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('trade_id', sa.String(length=64), nullable=True),
    sa.Column('open_to_help', sa.Boolean(), nullable=False),
    sa.Column('open_to_paid', sa.Boolean(), nullable=False),
    sa.Column('open_to_barter', sa.Boolean(), nullable=False),
    sa.Column('visibility', sa.String(length=24), nullable=False),
    sa.Column('photo_filename', sa.String(length=80), nullable=True),
    sa.Column('locale', sa.String(length=8), nullable=True),
    sa.Column('search_keys', sa.Text(), nullable=False),
    sa.Column('session_version', sa.Integer(), nullable=False),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('email', name=op.f('uq_members_email'))
    )
    op.create_table('space',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('city', sa.String(length=120), nullable=False),
    sa.Column('region', sa.String(length=120), nullable=False),
    sa.Column('base_url', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('signup_mode', sa.String(length=16), nullable=False),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_space'))
    )
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_api_tokens_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_tokens_member_id'), ['member_id'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('used_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['members.id'], name=op.f('fk_invitations_created_by_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['used_by_id'], ['members.id'], name=op.f('fk_invitations_used_by_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitations_token_hash'))
    )
    op.create_table('member_languages',
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_languages_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'code', name=op.f('pk_member_languages'))
    )
    with op.batch_alter_table('member_languages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_languages_code'), ['code'], unique=False)

    op.create_table('member_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('skill_key', sa.String(length=140), nullable=False),
    sa.Column('concept_id', sa.String(length=64), nullable=True),
    sa.Column('tag', sa.String(length=120), nullable=False),
    sa.Column('label', sa.String(length=120), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_member_skills_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_skills')),
    sa.UniqueConstraint('member_id', 'skill_key', name=op.f('uq_member_skills_member_id_skill_key'))
    )
    with op.batch_alter_table('member_skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_skills_concept_id'), ['concept_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_skills_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_skills_skill_key'), ['skill_key'], unique=False)

    op.create_table('password_resets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', node.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', node.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_password_resets_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_password_resets')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_password_resets_token_hash'))
    )
    


def downgrade() -> None:
    
    op.drop_table('password_resets')
    with op.batch_alter_table('member_skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_skills_skill_key'))
        batch_op.drop_index(batch_op.f('ix_member_skills_member_id'))
        batch_op.drop_index(batch_op.f('ix_member_skills_concept_id'))

    op.drop_table('member_skills')
    with op.batch_alter_table('member_languages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_languages_code'))

    op.drop_table('member_languages')
    op.drop_table('invitations')
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_tokens_member_id'))

    op.drop_table('api_tokens')
    op.drop_table('space')
    op.drop_table('members')
    with op.batch_alter_table('login_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failures_ip'))
        batch_op.drop_index(batch_op.f('ix_login_failures_email'))
        batch_op.drop_index(batch_op.f('ix_login_failures_at'))

    op.drop_table('login_failures')
    
