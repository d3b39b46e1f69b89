"""The portal: server-rendered pages for members and the community manager."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, current_app, g, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from federation.displaytext import clean

from ..db import db
from ..federation import peers as federation_peers
from ..http import context
from ..http.forms import form_state
from . import (
    account,
    admin,
    auth,
    connector,
    curation,
    events,
    network,
    notifications,
    oidc,
    passes,
    peers,
    portal,
    regional,
    rosters,
)
from .nav import NavItem, add_menu_count, add_nav_item, menu_counts

__all__ = ["NavItem", "add_menu_count", "add_nav_item", "menu_counts", "register_web"]


def _template_helpers() -> dict:
    def items(admin_menu: bool) -> list[dict]:
        counts = menu_counts(db.session, g.member) if g.member else {}
        return [
            {"url": url_for(item.endpoint), "label": str(item.label), "count": counts.get(item.endpoint, 0)}
            for item in current_app.extensions.get("coworknet.nav", [])
            if item.admin == admin_menu and (not admin_menu or (g.member and g.member.is_manager))
        ]

    return {
        "current_locale": lambda: str(get_locale() or current_app.config["DEFAULT_LOCALE"]),
        "space_name": lambda: context.space().name,
        "nav_items": lambda: items(False),
        "admin_nav_items": lambda: items(True),
        "form_state": form_state,
    }


def peer_text(value: object, long: bool = False) -> Markup:
    """Text a peer wrote, for a page: control, zero-width and bidi characters removed
    (:func:`federation.displaytext.clean`), escaped, and isolated in ``<bdi>`` so that
    right-to-left text never reorders the page around it (PROTOCOL §6.4)."""
    if value is None or value == "":
        return Markup("")
    return Markup("<bdi>%s</bdi>") % escape(clean(str(value), keep_lines=long))


def peer_plain(value: object) -> str:
    """Text a peer wrote, cleaned as :func:`peer_text` does, for where markup cannot go (the
    page's ``<title>``): escaped by the template as any text."""
    return "" if value is None else clean(str(value))


def space_of(node_id: object) -> Markup:
    """The name of the space a node id (its base URL) stands for, where a page shows a node:
    this space's own name, an approved or known peer's name (as :func:`peer_text`), else the
    host of the address. The peers are read once per request."""
    if node_id is None or node_id == "":
        return Markup("")
    names = g.get("space_names")
    if names is None:
        names = {peer.node_id: peer.name for peer in federation_peers.list_peers(db.session) if peer.name}
        names[current_app.config["BASE_URL"]] = context.space().name
        g.space_names = names
    name = names.get(str(node_id)) or urlsplit(str(node_id)).netloc or str(node_id)
    return peer_text(name)


def register_web(app: Flask) -> None:
    app.jinja_env.filters["peer_text"] = peer_text
    app.jinja_env.filters["peer_plain"] = peer_plain
    app.jinja_env.filters["space"] = space_of
    for module in (auth, portal, account, admin, events):
        app.register_blueprint(module.bp)
    for endpoint, label, admin_menu in events.NAV_ITEMS:
        add_nav_item(app, endpoint, label, admin=admin_menu)
    connector.init_app(app)
    notifications.init_app(app)
    for endpoint, label, admin_menu in connector.NAV_ITEMS:
        add_nav_item(app, endpoint, label, admin=admin_menu)
    oidc.init_app(app)
    network.init_app(app)
    regional.init_app(app)
    peers.init_app(app)
    curation.init_app(app)
    passes.init_app(app)
    rosters.init_app(app)
    app.context_processor(_template_helpers)
