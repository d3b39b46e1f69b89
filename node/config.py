"""Settings of one node: defaults, then the instance file, then ``COWORKNET_*`` variables."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from flask import Flask

CONFIG_FILENAME = "coworknet.toml"
#: Secrets that must never run a real node (examples from docs and tests).
WEAK_SECRETS = frozenset({"", "dev", "secret", "changeme", "change-me", "test", "development"})
MIN_SECRET_LENGTH = 32


class ConfigError(RuntimeError):
    """The node cannot start with this configuration."""


DEFAULTS: dict[str, object] = {
    "NODE_NAME": "Coworknet",
    "NODE_CITY": "",
    "NODE_REGION": "",
    "BASE_URL": "http://127.0.0.1:5000",
    "DEFAULT_LOCALE": "fr",
    "LANGUAGES": ["fr", "en"],
    "DEFAULT_TIMEZONE": "Europe/Paris",
    "BABEL_DEFAULT_LOCALE": "fr",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Paris",
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "coworknet_session",
    "PERMANENT_SESSION_LIFETIME": 14 * 24 * 3600,
    "MAX_CONTENT_LENGTH": 4 * 1024 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "MAIL_BACKEND": "file",  # file | console | smtp | memory
    "MAIL_FROM": "Coworknet <no-reply@localhost>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_USERNAME": "",
    "SMTP_PASSWORD": "",
    "SMTP_STARTTLS": True,
    "SIGNUP_MODE": "approval",  # approval | closed
    "INVITATION_TTL_HOURS": 7 * 24,
    "PASSWORD_RESET_TTL_MINUTES": 60,
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_FAILURE_WINDOW_SECONDS": 15 * 60,
    "LOGIN_MAX_FAILURES_PER_IP": 30,
    "PHOTO_MAX_BYTES": 2 * 1024 * 1024,
    "ARGON2_TIME_COST": 3,
    "ARGON2_MEMORY_COST": 64 * 1024,
    "ARGON2_PARALLELISM": 2,
    "FEDERATION_ALLOW_LOOPBACK": False,
}


def instance_path_from_env() -> Path:
    """The instance folder: ``$COWORKNET_INSTANCE`` or ``./instance``."""
    return Path(os.environ.get("COWORKNET_INSTANCE", "instance")).resolve()


def load_config(app: Flask, overrides: dict | None) -> None:
    """Fill ``app.config`` from defaults, instance file, environment and ``overrides``."""
    app.config.update(DEFAULTS)
    app.config["SESSION_COOKIE_SECURE"] = True
    app.config.from_file(CONFIG_FILENAME, load=tomllib.load, text=False, silent=True)
    app.config.from_prefixed_env("COWORKNET")
    if overrides:
        app.config.update(overrides)
    if not app.config.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'coworknet.sqlite3'}"
    if app.debug or app.testing:
        # Local HTTP demo and tests: browsers would drop a Secure cookie on plain http.
        app.config["SESSION_COOKIE_SECURE"] = bool(
            overrides and overrides.get("SESSION_COOKIE_SECURE")
        )
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["DEFAULT_LOCALE"]
    app.config["BABEL_DEFAULT_TIMEZONE"] = app.config["DEFAULT_TIMEZONE"]
    check_secret(app)


def check_secret(app: Flask) -> None:
    """Refuse to serve outside debug/test with a missing or guessable secret key."""
    secret = app.config.get("SECRET_KEY") or ""
    if app.debug or app.testing:
        if not secret:
            app.config["SECRET_KEY"] = os.urandom(32).hex()
        return
    if secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            "SECRET_KEY is missing or too weak: run `coworknet init` or set "
            f"COWORKNET_SECRET_KEY to at least {MIN_SECRET_LENGTH} random characters."
        )
