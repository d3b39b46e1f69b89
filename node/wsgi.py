"""The WSGI entry point for production servers: ``gunicorn 'node.wsgi:app'``.

The node is configured from ``$COWORKNET_INSTANCE/coworknet.toml`` and ``COWORKNET_*``
variables, exactly as the ``coworknet`` command does. gunicorn imports it once in its master process
(``preload_app``) and forks warm workers from it (:func:`node.app.warm`)."""

from __future__ import annotations

from .app import create_app, warm

app = create_app()
warm(app)
