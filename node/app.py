"""The application factory: config, extensions, blueprints, error handlers, CLI."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from . import errors_http, i18n
from .api import register_api
from .config import instance_path_from_env, load_config
from .db import db
from .services.mail import make_sender
from .services.passwords import Passwords
from .web import register_web
from .web.security import csrf, init_security


def create_app(config: dict | None = None) -> Flask:
    """Build a node. ``config`` overrides the instance file and ``COWORKNET_*`` variables."""
    instance_path = Path((config or {}).get("INSTANCE_PATH") or instance_path_from_env())
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    load_config(app, config)
    logging.getLogger("node").setLevel(app.config.get("LOG_LEVEL", "INFO"))

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
    errors_http.register(app)

    return app
