"""The application factory: config, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors_http, i18n, periodic
from .api import register_api
from .clock import EXTENSION_KEY as CLOCK_KEY
from .clock import Clock
from .config import instance_path_from_env, load_config
from .db import db
from .services.mail import make_sender
from .services.passwords import Passwords
from .web import register_web
from .web.security import csrf, init_security


def create_app(config: dict | None = None, *, clock: Clock | None = None) -> Flask:
    """Build a node. ``config`` overrides the instance file and ``COWORKNET_*`` variables;
    ``clock`` is the node's clock (tests pass theirs to pin the moment pages and jobs see)."""
    instance_path = Path((config or {}).get("INSTANCE_PATH") or instance_path_from_env())
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    load_config(app, config)
    logging.getLogger("node").setLevel(app.config["LOG_LEVEL"])

    app.extensions[CLOCK_KEY] = clock or Clock()
    db.init_app(app)
    csrf.init_app(app)
    i18n.init_app(app)
    init_security(app)
    app.extensions["coworknet.passwords"] = Passwords(
        time_cost=int(app.config["ARGON2_TIME_COST"]),
        memory_cost=int(app.config["ARGON2_MEMORY_COST"]),
        parallelism=int(app.config["ARGON2_PARALLELISM"]),
    )
    app.extensions["coworknet.mail"] = make_sender(app.config, instance_path)

    register_web(app)
    register_api(app)
    periodic.init_app(app)
    errors_http.register(app)
    _trust_proxy(app)

    return app


def _trust_proxy(app: Flask) -> None:
    """Behind a reverse proxy, read the client address and scheme from its X-Forwarded-* headers.

    ``PROXY_FIX_X_FOR`` (and ``_X_PROTO``, ``_X_HOST``, ``_X_PREFIX``) is the number of proxies
    to trust; 0, the default, trusts none, so a client cannot forge its address."""
    counts = {part: int(app.config[f"PROXY_FIX_X_{part.upper()}"] or 0)
              for part in ("for", "proto", "host", "prefix")}
    if counts["for"] and not app.config["PROXY_FIX_X_PROTO"]:
        counts["proto"] = counts["for"]
    if any(counts.values()):
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=counts["for"], x_proto=counts["proto"],
                                x_host=counts["host"], x_prefix=counts["prefix"])
