"""The portal's menus: feature areas add their entry with :func:`add_nav_item` (re-exported as
``node.web.add_nav_item``); ``node.web`` renders them."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, translated when rendered
    admin: bool = False


def add_nav_item(app: Flask, endpoint: str, label: object, *, admin: bool = False) -> None:
    """Feature areas add their entry to the main or the admin menu."""
    app.extensions.setdefault("coworknet.nav", []).append(NavItem(endpoint, label, admin))
