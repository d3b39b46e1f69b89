"""Alembic, driven from code: the production path to a database at head."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from .db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Bring the database to the latest revision of every feature branch."""
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    """Step the database back to ``revision``."""
    command.downgrade(alembic_config(database_url), revision)


def current_revisions(database_url: str) -> list[str]:
    """The revisions the database is at, one per feature branch (empty before ``init``)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return sorted(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()


def pending_revisions(database_url: str) -> list[str]:
    """The revisions ``upgrade`` would still apply (empty when the database is up to date)."""
    script = ScriptDirectory.from_config(alembic_config(database_url))
    current = tuple(current_revisions(database_url))
    return [rev.revision for rev in script.iterate_revisions("heads", current or "base")]
