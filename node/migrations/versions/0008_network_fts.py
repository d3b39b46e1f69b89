"""network: full-text index of named entries' headlines; shared search rate counters

The full-text index is dialect-specific and not modelled (tests/node/test_cli.py names what it
leaves out of the model comparison):

- SQLite: an FTS5 table over ``network_entries`` (external content, tokenizer ``unicode61
  remove_diacritics 2``) kept in sync by triggers; only rows with a name or headline are indexed.
- PostgreSQL: a ``search_tsv`` tsvector column filled by a trigger with
  ``to_tsvector('simple', unaccent(display_name || ' ' || headline))`` (accents folded first;
  the query side stems and uses prefix terms), and a GIN index on it.

Revision ID: 0008_network_fts
Revises: 0004_network
"""

# ruff: noqa: S608 - fixed DDL, no values
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_network_fts"
down_revision = "0004_network"
branch_labels = None
depends_on = None

_HAS_TEXT = "{row}.display_name <> '' OR {row}.headline <> ''"

SQLITE_UP = [
    "CREATE VIRTUAL TABLE network_entries_fts USING fts5(display_name, headline, "
    "content='network_entries', content_rowid='id', tokenize='unicode61 remove_diacritics 2')",
    f"""CREATE TRIGGER network_entries_fts_ai AFTER INSERT ON network_entries
    WHEN {_HAS_TEXT.format(row='new')} BEGIN
      INSERT INTO network_entries_fts(rowid, display_name, headline)
      VALUES (new.id, new.display_name, new.headline);
    END""",
    f"""CREATE TRIGGER network_entries_fts_ad AFTER DELETE ON network_entries
    WHEN {_HAS_TEXT.format(row='old')} BEGIN
      INSERT INTO network_entries_fts(network_entries_fts, rowid, display_name, headline)
      VALUES ('delete', old.id, old.display_name, old.headline);
    END""",
    f"""CREATE TRIGGER network_entries_fts_au AFTER UPDATE OF display_name, headline
    ON network_entries BEGIN
      INSERT INTO network_entries_fts(network_entries_fts, rowid, display_name, headline)
      SELECT 'delete', old.id, old.display_name, old.headline WHERE {_HAS_TEXT.format(row='old')};
      INSERT INTO network_entries_fts(rowid, display_name, headline)
      SELECT new.id, new.display_name, new.headline WHERE {_HAS_TEXT.format(row='new')};
    END""",
    "INSERT INTO network_entries_fts(rowid, display_name, headline) SELECT id, display_name, "
    f"headline FROM network_entries WHERE {_HAS_TEXT.format(row='network_entries')}",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS network_entries_fts_au",
    "DROP TRIGGER IF EXISTS network_entries_fts_ad",
    "DROP TRIGGER IF EXISTS network_entries_fts_ai",
    "DROP TABLE IF EXISTS network_entries_fts",
]

POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "ALTER TABLE network_entries ADD COLUMN search_tsv tsvector",
    f"""CREATE FUNCTION network_entries_search_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF {_HAS_TEXT.format(row='NEW')} THEN
        NEW.search_tsv := to_tsvector('simple', unaccent(NEW.display_name || ' ' || NEW.headline));
      ELSE
        NEW.search_tsv := NULL;
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER network_entries_search_tsv BEFORE INSERT OR UPDATE OF display_name, headline "
    "ON network_entries FOR EACH ROW EXECUTE FUNCTION network_entries_search_tsv()",
    "UPDATE network_entries SET headline = headline",
    "CREATE INDEX ix_network_entries_search_tsv ON network_entries USING gin (search_tsv)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_network_entries_search_tsv",
    "DROP TRIGGER IF EXISTS network_entries_search_tsv ON network_entries",
    "DROP FUNCTION IF EXISTS network_entries_search_tsv()",
    "ALTER TABLE network_entries DROP COLUMN IF EXISTS search_tsv",
]


def upgrade() -> None:
    op.create_table(
        "network_search_counts",
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_network_search_counts_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("member_id", "minute", name=op.f("pk_network_search_counts")),
    )
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRESQL_UP if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_DOWN if dialect == "sqlite" else POSTGRESQL_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
    op.drop_table("network_search_counts")
