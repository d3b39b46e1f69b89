"""The application factory: config, extensions, the federation runtime and its handler
registry, blueprints, error handlers, CLI."""

from __future__ import annotations

import gc
import logging
from datetime import UTC, datetime
from pathlib import Path

from babel.dates import format_datetime
from flask import Flask
from flask_babel import get_translations
from werkzeug.middleware.proxy_fix import ProxyFix

from . import errors_http, i18n, periodic, reactions
from .accounts.passwords import Passwords
from .api import register_api
from .clock import EXTENSION_KEY as CLOCK_KEY
from .clock import Clock
from .config import instance_path_from_env, load_config
from .connector import network as connector_network
from .db import EXTENSION_KEY as DB_KEY
from .db import db
from .federation import inbox, peers
from .federation.runtime import build_registry, build_runtime
from .http.security import csrf, init_security
from .mail import make_sender
from .members.thesaurus import get_thesaurus
from .network import copies as network_copies
from .network import export as network_export
from .network import introductions
from .network import search as network_search
from .notices import mailer
from .passes import handlers as passes_handlers
from .regional import sync as regional_sync
from .rosters import rosters
from .uow import EXTENSION_KEY as UOW_KEY
from .uow import UnitOfWork
from .web import register_web

#: Who handles each federation message type: every module that handles one registers its
#: handlers here, in this order (lease expirers run in it). A type registered twice, or a
#: protocol type nobody handles, stops the node at start-up.
FEDERATION_HANDLERS = (
    peers.register,  # peering.request: its own endpoint; the inbox refuses it
    inbox.register,  # feed.hint
    network_search.register,  # directory.entry (one item); directory leases, resyncs
    network_copies.register,  # directory.entry (a sync page's run)
    network_export.register,  # our exported entries' leases renewed
    introductions.register,  # introduction.request, introduction.response
    regional_sync.register,  # event.regional, event.session, regional.*, registration.*
    connector_network.register,  # connector.request, .response, .deal, peer.stats
    passes_handlers.register,  # pass.agreement, pass.visit, pass.revocation
    rosters.register,  # network.roster; join requests riding on peering requests
)


def create_app(config: dict | None = None, *, clock: Clock | None = None) -> Flask:
    """Build a node. ``config`` overrides the instance file and ``COWORKNET_*`` variables;
    ``clock`` is the node's clock (tests pass theirs to pin the moment pages and jobs see)."""
    instance_path = Path((config or {}).get("INSTANCE_PATH") or instance_path_from_env())
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True)
    load_config(app, config)
    logging.getLogger("node").setLevel(app.config["LOG_LEVEL"])

    registry = build_registry(FEDERATION_HANDLERS)  # refuses to start when incomplete

    app.extensions[CLOCK_KEY] = clock or Clock()
    db.init_app(app)
    build_runtime(app, registry)
    csrf.init_app(app)
    i18n.init_app(app)
    init_security(app)
    app.extensions["coworknet.passwords"] = Passwords(
        time_cost=int(app.config["ARGON2_TIME_COST"]),
        memory_cost=int(app.config["ARGON2_MEMORY_COST"]),
        parallelism=int(app.config["ARGON2_PARALLELISM"]),
    )
    mailer.install(app, make_sender(app.config, instance_path))  # every mail goes through the outbox

    register_web(app)
    register_api(app)
    periodic.init_app(app)
    app.extensions[UOW_KEY] = UnitOfWork(app, app.extensions[DB_KEY], reactions.build(),
                                         app.extensions[CLOCK_KEY].now)
    errors_http.register(app)
    _trust_proxy(app)

    return app


#: Allocations between two passes of the collector over the youngest objects (Python: 700).
GC_YOUNG_THRESHOLD = 20_000


def warm(app: Flask) -> None:
    """Load now what each worker process would otherwise load on its first requests: the
    thesaurus, every template compiled, each language's catalogs and locale data. Then freeze
    what is loaded out of the garbage collector's sight.

    gunicorn preloads the app (``deploy/gunicorn.conf.py``) and forks its workers after this,
    so they start warm, share these pages of memory, and a worker recycled after
    ``max_requests`` costs a fork rather than a second of compiling; and the collector's full
    passes no longer walk the tens of thousands of objects that live as long as the process.

    The youngest generation is collected every :data:`GC_YOUNG_THRESHOLD` allocations rather
    than Python's 700: a request builds thousands of short-lived objects (rows, ORM states,
    template output) that reference counting frees, so the default ran a young pass every few
    dozen rows for almost nothing found (``bench/RESULTS.md``: about 0.7 ms of a request's CPU
    went to the collector; 0.1 ms with this threshold)."""
    get_thesaurus()
    for name in app.jinja_env.list_templates(extensions=("html", "txt", "xml", "ics")):
        app.jinja_env.get_template(name)
    for language in app.config["LANGUAGES"]:
        with app.test_request_context("/", headers={"Accept-Language": language}):
            get_translations()
            format_datetime(datetime(2026, 1, 1, tzinfo=UTC), locale=language)
    gc.collect()
    gc.freeze()
    _young, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


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
