"""JSON API under ``/api/v1``: token-authenticated, schema-validated, documented."""

from __future__ import annotations

from flask import Flask

from ..http.security import csrf
from . import (
    connector,
    events,
    federation,
    members,
    network,
    notifications,
    openapi,
    passes,
    peers,
    regional,
    rosters,
)


def register_api(app: Flask) -> None:
    for module in (members, network, events, connector, regional, notifications, peers,
                   passes, rosters, openapi):
        csrf.exempt(module.bp)
        app.register_blueprint(module.bp)
    csrf.exempt(federation.bp)
    app.register_blueprint(federation.bp)
