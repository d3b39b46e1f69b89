"""One vocabulary for settings: ``node/settings.py`` declares each one, ``docs/OPERATING.md``
documents exactly those, and no code under ``node/`` keeps a default of its own."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask

from federation.feed import MAX_PAGE_ITEMS
from node.config import ConfigError, load_config
from node.federation import keyring
from node.network import search as network_search
from node.settings import (
    BY_NAME,
    EXTENSION_KEY,
    SETTINGS,
    Settings,
    default_of,
    defaults,
    markdown_table,
    shown_default,
)

ROOT = Path(__file__).resolve().parents[2]
OPERATING = ROOT / "docs" / "OPERATING.md"
TABLE_START = "<!-- settings table: generated from node/settings.py -->\n"
TABLE_END = "<!-- end of settings table -->"
#: Keys node/ touches that are not settings: Flask-Babel's, filled by the node itself.
NOT_SETTINGS = {"BABEL_TRANSLATION_DIRECTORIES", "BABEL_DEFAULT_LOCALE", "BABEL_DEFAULT_TIMEZONE"}
STRONG_SECRET = "s" * 40


def _documented_table() -> str:
    text = OPERATING.read_text(encoding="utf-8")
    assert TABLE_START in text and TABLE_END in text, "OPERATING.md lost its settings table"
    return text.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]


def _documented_rows() -> dict[str, list[str]]:
    rows = {}
    for line in _documented_table().splitlines()[2:]:
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        rows[cells[0].strip("`")] = cells
    return rows


def test_operating_md_table_is_the_declaration():
    assert _documented_table() == markdown_table(), (
        "docs/OPERATING.md's settings table differs from node/settings.py: paste the output of "
        "python -c \"from node.settings import markdown_table; print(markdown_table(), end='')\"")


def test_every_declared_setting_is_documented_with_its_variable_and_default():
    rows = _documented_rows()
    for setting in SETTINGS:
        assert setting.name in rows, f"{setting.name} is not in docs/OPERATING.md"
        _name, env, default, doc = rows[setting.name]
        assert env == f"`{setting.env}`"
        assert default == shown_default(setting), setting.name
        assert doc, setting.name


def test_every_documented_setting_is_declared():
    assert set(_documented_rows()) <= set(BY_NAME)


def test_settings_are_named_and_documented_once():
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    for setting in SETTINGS:
        assert setting.doc.strip() and "\n" not in setting.doc, setting.name
        assert setting.env.startswith("COWORKNET_"), setting.name


# --- call sites -----------------------------------------------------------------------------


def _is_config(node: ast.expr) -> bool:
    """``config``, ``app.config``, ``current_app.config``, ``self.app.config`` ..."""
    return (isinstance(node, ast.Name) and node.id == "config") or (
        isinstance(node, ast.Attribute) and node.attr == "config")


def _node_sources():
    for path in sorted((ROOT / "node").rglob("*.py")):
        if "migrations" in path.parts:
            continue  # Alembic's own config object
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _key(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):  # f"PROXY_FIX_X_{part.upper()}": its fixed prefix
        first = node.values[0]
        if isinstance(first, ast.Constant):
            return first.value + "*"
    return None


def _settings_read() -> dict[str, list[str]]:
    reads: dict[str, list[str]] = {}
    for path, tree in _node_sources():
        for node in ast.walk(tree):
            key = None
            if isinstance(node, ast.Subscript) and _is_config(node.value):
                key = _key(node.slice)
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "get" and _is_config(node.func.value) and node.args):
                key = _key(node.args[0])
            elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "current_app_config" and node.args):
                key = _key(node.args[0])
            if key is not None:
                reads.setdefault(key, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return reads


def test_no_setting_is_read_with_a_default_of_its_call_site():
    offenders = []
    for path, tree in _node_sources():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in {"get", "setdefault"} and _is_config(node.func.value)
                    and (len(node.args) > 1 or node.keywords)):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, ("declare the default in node/settings.py and read config[NAME]: "
                           + ", ".join(offenders))


def test_the_grep_finds_what_it_looks_for():
    tree = ast.parse('x = app.config.get("A", 1)\ny = config["B"]\nz = config.get(f"C_{p}")')
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
    assert len(calls[0].args) == 2 and _is_config(calls[0].func.value)
    subscripts = [node for node in ast.walk(tree) if isinstance(node, ast.Subscript)]
    assert _key(subscripts[0].slice) == "B"
    assert _key(calls[-1].args[0]) == "C_*"


def test_every_setting_node_reads_is_declared():
    reads = _settings_read()
    assert "BASE_URL" in reads and "OIDC_ISSUER" in reads  # the scan sees the reads
    undeclared = {}
    for key, where in reads.items():
        if key in NOT_SETTINGS:
            continue
        if key.endswith("*"):
            if not any(name.startswith(key[:-1]) for name in BY_NAME):
                undeclared[key] = where
        elif key not in BY_NAME:
            undeclared[key] = where
    assert not undeclared, f"read but not declared in node/settings.py: {undeclared}"


def test_defaults_that_mirror_constants_agree():
    assert default_of("NETWORK_FACET_CAP") == network_search.FACET_CAP
    assert default_of("FEDERATION_PAGE_LIMIT") == MAX_PAGE_ITEMS
    assert default_of("FEDERATION_KEY_REFETCH_SECONDS") * 1000 == keyring.DEFAULT_KEY_REFETCH_MS


# --- load_config ----------------------------------------------------------------------------


def _app(tmp_path: Path) -> Flask:
    return Flask("settings_test", instance_path=str(tmp_path), instance_relative_config=True)


def test_defaults_are_fresh_for_each_app():
    first, second = defaults(), defaults()
    first["LANGUAGES"].append("de")
    assert second["LANGUAGES"] == ["fr", "en"] == default_of("LANGUAGES")


def test_load_config_precedence_defaults_file_environment_overrides(tmp_path, monkeypatch):
    (tmp_path / "coworknet.toml").write_text(
        'NODE_NAME = "From the file"\nNODE_CITY = "Lyon"\nSMTP_PORT = 2525\n'
        'NETWORK_K = 4\n', encoding="utf-8")
    monkeypatch.setenv("COWORKNET_NODE_CITY", "Nantes")
    monkeypatch.setenv("COWORKNET_NETWORK_K", "5")
    monkeypatch.setenv("COWORKNET_LANGUAGES", '["en"]')
    monkeypatch.setenv("COWORKNET_MAIL_FROM", "not json")
    app = _app(tmp_path)
    load_config(app, {"NETWORK_K": 6, "SECRET_KEY": STRONG_SECRET})
    config = app.config
    assert config["NODE_NAME"] == "From the file"  # file over default
    assert config["NODE_CITY"] == "Nantes"  # environment over file
    assert config["NETWORK_K"] == 6  # overrides over environment
    assert config["LANGUAGES"] == ["en"]  # JSON from the environment
    assert config["MAIL_FROM"] == "not json"  # text otherwise
    assert config["SMTP_PORT"] == 2525
    assert config["NODE_REGION"] == "" and config["PERIODIC_JOBS"] is True  # defaults
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'coworknet.sqlite3'}"
    assert config["BABEL_DEFAULT_LOCALE"] == config["DEFAULT_LOCALE"]
    for setting in SETTINGS:
        assert setting.name in config, setting.name


def test_the_typed_snapshot_converts_to_the_declared_types(tmp_path, monkeypatch):
    monkeypatch.setenv("COWORKNET_EVENT_OFFER_TTL_HOURS", "12")
    monkeypatch.setenv("COWORKNET_SMTP_PORT", '"2525"')  # a JSON string
    app = _app(tmp_path)
    load_config(app, {"SECRET_KEY": STRONG_SECRET, "NODE_NAME": "Typed"})
    settings = app.extensions[EXTENSION_KEY]
    assert isinstance(settings, Settings)
    assert settings.node_name == "Typed"
    assert settings.smtp_port == 2525 and app.config["SMTP_PORT"] == "2525"
    assert settings.event_offer_ttl_hours == 12.0
    assert settings.languages == ["fr", "en"]
    assert settings.secret_key == STRONG_SECRET
    assert settings.instance_path == str(tmp_path)
    with pytest.raises(AttributeError):
        settings.node_name = "frozen"  # type: ignore[misc]


def test_a_value_that_does_not_convert_is_kept_with_a_warning(tmp_path, caplog):
    app = _app(tmp_path)
    load_config(app, {"SECRET_KEY": STRONG_SECRET, "NETWORK_K": "many"})
    assert app.extensions[EXTENSION_KEY].network_k == "many"
    assert "NETWORK_K" in caplog.text


def test_testing_apps_drop_secure_cookies_unless_asked(tmp_path):
    app = _app(tmp_path)
    app.testing = True
    load_config(app, {})
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SECRET_KEY"]  # a random one
    app = _app(tmp_path)
    app.testing = True
    load_config(app, {"SESSION_COOKIE_SECURE": True})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_a_weak_secret_still_stops_the_node(tmp_path):
    with pytest.raises(ConfigError):
        load_config(_app(tmp_path), {"SECRET_KEY": "changeme"})


def test_oidc_issuer_without_client_id_stops_the_node(tmp_path):
    from node.web import oidc

    app = _app(tmp_path)
    load_config(app, {"SECRET_KEY": STRONG_SECRET, "OIDC_ISSUER": "https://id.example.org"})
    with pytest.raises(ConfigError, match="OIDC_CLIENT_ID"):
        oidc.init_app(app)


@pytest.mark.parametrize("name", ["FEDERATION_VERIFY_WORKER", "DATABASE_URL", "SECRET_KEY",
                                  "SESSION_COOKIE_SECURE"])
def test_computed_defaults_say_what_they_are(name):
    assert re.search(r"\w", BY_NAME[name].default_doc)
