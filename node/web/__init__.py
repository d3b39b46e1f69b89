"""The portal: server-rendered pages for members and the community manager."""

from __future__ import annotations

from flask import Flask, current_app, g, url_for
from flask_babel import get_locale
from markupsafe import Markup, escape

from federation.displaytext import clean

from ..http import context
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
    peers,
    portal,
    regional,
    rosters,
)
from .nav import NavItem, add_nav_item

__all__ = ["NavItem", "add_nav_item", "register_web"]


def _template_helpers() -> dict:
    def items(admin_menu: bool) -> list[dict]:
        return [
            {"url": url_for(item.endpoint), "label": str(item.label),
             "count": item.count() if item.count is not None and g.member else 0}
            for item in current_app.extensions.get("coworknet.nav", [])
            if item.admin == admin_menu and (not admin_menu or (g.member and g.member.is_manager))
        ]

    return {
        "current_locale": lambda: str(get_locale() or current_app.config["DEFAULT_LOCALE"]),
        "space_name": lambda: context.space().name,
        "nav_items": lambda: items(False),
        "admin_nav_items": lambda: items(True),
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


def register_web(app: Flask) -> None:
    app.jinja_env.filters["peer_text"] = peer_text
    app.jinja_env.filters["peer_plain"] = peer_plain
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
    rosters.init_app(app)
    app.context_processor(_template_helpers)
