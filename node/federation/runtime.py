"""The node's federation runtime and handler registry, built by the application factory.

``create_app`` (``node/app.py``) calls :func:`build_registry` with its explicit list of the
feature modules' ``register`` functions, then :func:`build_runtime`, which attaches the runtime
(carrying that registry) to the app and to every database session of the app. Nothing here
happens because a module was imported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from flask import Flask

from federation.nodeid import normalize_node_id

from ..db import EXTENSION_KEY, share_with_sessions
from .keyring import RUNTIME_INFO_KEY, FederationRuntime
from .registry import HandlerRegistry

#: A feature module's ``register(registry)``.
Registrar = Callable[[HandlerRegistry], None]


def build_registry(registrars: Iterable[Registrar]) -> HandlerRegistry:
    """A registry filled by ``registrars`` in order; raises
    :class:`~node.federation.registry.RegistryError` on a type registered twice or a
    protocol type left without a handler (the node must not start)."""
    registry = HandlerRegistry()
    for register in registrars:
        register(registry)
    registry.check_complete()
    return registry


def build_runtime(app: Flask, registry: HandlerRegistry) -> FederationRuntime:
    """Build the node's federation runtime and attach it to the app
    (``app.extensions["coworknet.federation"]``) and to every database session."""
    config = app.config
    factory = app.extensions[EXTENSION_KEY]
    fed = FederationRuntime(
        node_id=normalize_node_id(config["BASE_URL"]), name=config["NODE_NAME"],
        city=config["NODE_CITY"], region=config["NODE_REGION"],
        instance_path=Path(app.instance_path),
        allow_loopback=bool(config["FEDERATION_ALLOW_LOOPBACK"]),
        client_retries=int(config["FEDERATION_CLIENT_RETRIES"]),
        page_limit=int(config["FEDERATION_PAGE_LIMIT"]),
        verify_worker=bool(config["FEDERATION_VERIFY_WORKER"]),
        verify_worker_after=int(config["FEDERATION_VERIFY_WORKER_AFTER"]),
        pull_on_hint=bool(config["FEDERATION_PULL_ON_HINT"]),
        hint_after_commit=bool(config["FEDERATION_HINT_AFTER_COMMIT"]),
        hint_coalesce_ms=int(float(config["FEDERATION_HINT_COALESCE_SECONDS"]) * 1000),
        key_refetch_ms=int(config["FEDERATION_KEY_REFETCH_SECONDS"]) * 1000,
        pull_max_pages=int(config["FEDERATION_PULL_MAX_PAGES"]),
        pull_max_seconds=float(config["FEDERATION_PULL_MAX_SECONDS"]),
        pull_max_resyncs=int(config["FEDERATION_PULL_MAX_RESYNCS"]),
        contact_email=config["FEDERATION_CONTACT_EMAIL"],
        session_factory=factory,
        app=app,
        registry=registry,
    )
    share_with_sessions(app, RUNTIME_INFO_KEY, fed)
    app.extensions[RUNTIME_INFO_KEY] = fed
    return fed

