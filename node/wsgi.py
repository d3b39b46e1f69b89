"""The WSGI entry point for production servers: ``gunicorn 'node.wsgi:app'``.

The node is configured from ``$COWORKNET_INSTANCE/coworknet.toml`` and ``COWORKNET_*``
variables, exactly as the ``coworknet`` command does."""

from __future__ import annotations

from .app import create_app

app = create_app()
