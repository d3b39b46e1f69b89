"""The ``coworknet`` command and the migrations behind it."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner

from node import create_app
from node.cli import main
from node.config import ConfigError
from node.db import make_engine
from node.models import Base

#: The network search's full-text index (migrations 0008_network_fts, 0013_search_indexes) is
#: dialect-specific DDL, not modelled: SQLite's FTS5 table and its shadow tables, PostgreSQL's
#: table of tsvectors and its GIN index. Nothing else is left out of the comparison.
UNMODELLED = {
    ("table", "network_entries_fts"), ("table", "network_entries_fts_data"),
    ("table", "network_entries_fts_idx"), ("table", "network_entries_fts_docsize"),
    ("table", "network_entries_fts_config"), ("table", "network_entry_texts"),
}


def _modelled(obj, name, type_, reflected, compare_to) -> bool:
    return not (reflected and compare_to is None and (type_, name) in UNMODELLED)


def test_migrations_match_the_models(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": _modelled})
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == []


def test_init_creates_a_complete_instance(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("COWORKNET_INSTANCE", str(instance))
    monkeypatch.setenv("COWORKNET_ARGON2_MEMORY_COST", "16")
    monkeypatch.setenv("COWORKNET_ARGON2_TIME_COST", "1")
    runner = CliRunner()
    result = runner.invoke(main, ["init", "--name", "L'Atelier Partagé", "--city", "Aix-en-Provence",
                                  "--url", "http://127.0.0.1:5002/"])
    assert result.exit_code == 0, result.output
    assert (instance / "coworknet.toml").stat().st_mode & 0o077 == 0
    assert (instance / "node_key.pem").exists()
    result = runner.invoke(main, ["create-manager", "cm@example.org", "--name", "Inès"],
                           input="a strong password\na strong password\n")
    assert result.exit_code == 0, result.output
    app = create_app()
    client = app.test_client()
    assert client.get("/api/v1/space").json["name"] == "L'Atelier Partagé"
    # init is idempotent and keeps the secret.
    secret = app.config["SECRET_KEY"]
    assert runner.invoke(main, ["init", "--name", "L'Atelier Partagé", "--city", "Aix",
                                "--url", "http://127.0.0.1:5002"]).exit_code == 0
    assert create_app().config["SECRET_KEY"] == secret


def test_init_without_identity_and_without_terminal_fails_clearly(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_INSTANCE", str(tmp_path / "instance"))
    result = CliRunner().invoke(main, ["init"])
    assert result.exit_code != 0 and "Missing --name" in result.output


@pytest.mark.parametrize("secret", ["", "changeme", "short-secret"])
def test_refuses_to_start_without_a_real_secret(tmp_path, secret):
    with pytest.raises(ConfigError):
        create_app({"SECRET_KEY": secret, "INSTANCE_PATH": str(tmp_path)})
