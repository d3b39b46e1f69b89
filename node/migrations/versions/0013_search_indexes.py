"""network search: the entry's place on its index rows; PostgreSQL's full text in its own table

- ``network_entry_concepts.place_value`` repeats the entry's place, and the index
  ``(concept, place_value, score, entry_id)`` lets a search filtered on one place read that
  place's holders of a concept in score order (both backends). Existing rows are filled from
  their entries.
- PostgreSQL: the ``search_tsv`` vector moves from ``network_entries`` to a narrow table,
  ``network_entry_texts (entry_id, search_tsv)``, one row per entry with a name or headline,
  kept by a trigger on ``network_entries`` and indexed by GIN. A free-text search reads the ids
  of every matching entry to keep the newest ones: from the narrow table those reads stay in a
  few cached pages, where the wide entries' rows cost a page each. Not modelled, like the
  vector before it (tests/node/test_cli.py names what it leaves out).

Revision ID: 0013_search_indexes
Revises: 0012_directory_fragments
"""

# ruff: noqa: S608 - fixed DDL, no values
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_search_indexes"
down_revision = "0012_directory_fragments"
branch_labels = None
depends_on = None

_TSV = "to_tsvector('simple', unaccent({row}.display_name || ' ' || {row}.headline))"
_HAS_TEXT = "{row}.display_name <> '' OR {row}.headline <> ''"

POSTGRESQL_UP = [
    "CREATE TABLE network_entry_texts (entry_id INTEGER NOT NULL, search_tsv tsvector NOT NULL, "
    "CONSTRAINT pk_network_entry_texts PRIMARY KEY (entry_id), "
    "CONSTRAINT fk_network_entry_texts_entry_id_network_entries FOREIGN KEY (entry_id) "
    "REFERENCES network_entries (id) ON DELETE CASCADE)",
    "INSERT INTO network_entry_texts (entry_id, search_tsv) "
    "SELECT id, search_tsv FROM network_entries WHERE search_tsv IS NOT NULL",
    "DROP TRIGGER IF EXISTS network_entries_search_tsv ON network_entries",
    "DROP FUNCTION IF EXISTS network_entries_search_tsv()",
    "DROP INDEX IF EXISTS ix_network_entries_search_tsv",
    "ALTER TABLE network_entries DROP COLUMN IF EXISTS search_tsv",
    f"""CREATE FUNCTION network_entry_texts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF {_HAS_TEXT.format(row='NEW')} THEN
        INSERT INTO network_entry_texts (entry_id, search_tsv)
        VALUES (NEW.id, {_TSV.format(row='NEW')})
        ON CONFLICT (entry_id) DO UPDATE SET search_tsv = EXCLUDED.search_tsv;
      ELSIF TG_OP = 'UPDATE' THEN
        DELETE FROM network_entry_texts WHERE entry_id = NEW.id;
      END IF;
      RETURN NULL;
    END $$""",
    "CREATE TRIGGER network_entry_texts_sync AFTER INSERT OR UPDATE OF display_name, headline "
    "ON network_entries FOR EACH ROW EXECUTE FUNCTION network_entry_texts_sync()",
    "CREATE INDEX ix_network_entry_texts_search_tsv ON network_entry_texts USING gin (search_tsv)",
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS network_entry_texts_sync ON network_entries",
    "DROP FUNCTION IF EXISTS network_entry_texts_sync()",
    "ALTER TABLE network_entries ADD COLUMN search_tsv tsvector",
    "UPDATE network_entries e SET search_tsv = t.search_tsv FROM network_entry_texts t "
    "WHERE t.entry_id = e.id",
    "DROP TABLE network_entry_texts",
    # Migration 0008's vector, trigger and index, as they were.
    f"""CREATE FUNCTION network_entries_search_tsv() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF {_HAS_TEXT.format(row='NEW')} THEN
        NEW.search_tsv := {_TSV.format(row='NEW')};
      ELSE
        NEW.search_tsv := NULL;
      END IF;
      RETURN NEW;
    END $$""",
    "CREATE TRIGGER network_entries_search_tsv BEFORE INSERT OR UPDATE OF display_name, headline "
    "ON network_entries FOR EACH ROW EXECUTE FUNCTION network_entries_search_tsv()",
    "CREATE INDEX ix_network_entries_search_tsv ON network_entries USING gin (search_tsv)",
]

_FILL_PLACES = {
    "postgresql": "UPDATE network_entry_concepts c SET place_value = e.place_value "
                  "FROM network_entries e WHERE e.id = c.entry_id AND e.place_value <> ''",
    "sqlite": "UPDATE network_entry_concepts SET place_value = (SELECT e.place_value FROM "
              "network_entries e WHERE e.id = network_entry_concepts.entry_id)",
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    with op.batch_alter_table("network_entry_concepts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_value", sa.String(length=200), nullable=False,
                                      server_default=""))
    if dialect in _FILL_PLACES:
        op.execute(_FILL_PLACES[dialect])
    op.create_index("ix_network_entry_concepts_place", "network_entry_concepts",
                    ["concept", "place_value", "score", "entry_id"])
    for statement in POSTGRESQL_UP if dialect == "postgresql" else []:
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DOWN if dialect == "postgresql" else []:
        op.execute(statement)
    op.drop_index("ix_network_entry_concepts_place", table_name="network_entry_concepts")
    with op.batch_alter_table("network_entry_concepts", schema=None) as batch_op:
        batch_op.drop_column("place_value")
