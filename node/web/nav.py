"""The portal's menus: feature areas add their entry with :func:`add_nav_item` (re-exported as
``node.web.add_nav_item``); ``node.web`` renders them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, translated when rendered
    admin: bool = False
    #: How many things wait for the signed-in member there (shown next to the label), or None.
    count: Callable[[], int] | None = None


def add_nav_item(app: Flask, endpoint: str, label: object, *, admin: bool = False,
                 count: Callable[[], int] | None = None) -> None:
    """Feature areas add their entry to the main or the admin menu."""
    app.extensions.setdefault("coworknet.nav", []).append(NavItem(endpoint, label, admin, count))
