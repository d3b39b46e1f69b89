"""Settings of one node: declared defaults (:mod:`node.settings`), then the instance file,
then ``COWORKNET_*`` variables, then the overrides ``create_app`` was given."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from flask import Flask

from .settings import EXTENSION_KEY, Settings, default_of, defaults

CONFIG_FILENAME = "coworknet.toml"
#: Secrets that must never run a real node (examples from docs and tests).
WEAK_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "test", "development"})
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The node cannot start with this configuration."""


def instance_path_from_env() -> Path:
    """The instance folder: ``$COWORKNET_INSTANCE`` or ``./instance``."""
    return Path(os.environ.get("COWORKNET_INSTANCE", str(default_of("INSTANCE_PATH")))).resolve()


def load_config(app: Flask, overrides: dict | None) -> None:
    """Fill ``app.config`` from defaults, instance file, environment and ``overrides``, then
    put the typed snapshot (:class:`node.settings.Settings`) in ``app.extensions``."""
    app.config.update(defaults())
    app.config.from_file(CONFIG_FILENAME, load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env("COWORKNET")
    if overrides:
        app.config.update(overrides)
    app.config["INSTANCE_PATH"] = app.instance_path
    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'coworknet.sqlite3'}"
    if app.debug or app.testing:
        # Local HTTP demo and tests: browsers would drop a Secure cookie on plain http.
        app.config["SESSION_COOKIE_SECURE"] = bool(
            overrides and overrides.get("SESSION_COOKIE_SECURE")
        )
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["DEFAULT_TIMEZONE"]
    check_secret(app)
    app.extensions[EXTENSION_KEY] = Settings.from_config(app.config)


def check_secret(app: Flask) -> None:
    """Refuse to serve outside debug/test with a missing or guessable secret key."""
    secret = app.config["SECRET_KEY"] or ""
    if app.debug or app.testing:
        if not secret:
            app.config["SECRET_KEY"] = os.urandom(32).hex()
        return
    if secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            "SECRET_KEY is missing or too weak: run `coworknet init` or set "
            f"COWORKNET_SECRET_KEY to at least {MIN_SECRET_LENGTH} random characters."
        )
