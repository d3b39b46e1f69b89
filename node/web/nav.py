"""The portal's menus: feature areas add their entry with :func:`add_nav_item` (re-exported as
``node.web.add_nav_item``); ``node.web`` renders them.

An entry may show how many things wait for the signed-in member there. Each area gives that
count as a statement (``count(member)`` returns a ``SELECT count(...)``), not a number: the
menu reads every count of a page in one statement (:func:`menu_counts`), once per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

#: ``count(member)``: a statement selecting one number.
CountStatement = Callable[[object], Select]


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object  # a lazy string, translated when rendered
    admin: bool = False
    #: How many things wait for the signed-in member there (shown next to the label), or None.
    count: CountStatement | None = None


def add_nav_item(app: Flask, endpoint: str, label: object, *, admin: bool = False,
                 count: CountStatement | None = None) -> None:
    """Feature areas add their entry to the main or the admin menu."""
    app.extensions.setdefault("coworknet.nav", []).append(NavItem(endpoint, label, admin, count))


def add_menu_count(app: Flask, key: str, count: CountStatement) -> None:
    """A count the page's frame shows outside the menu entries (the unread notifications)."""
    app.extensions.setdefault("coworknet.menu_counts", {})[key] = count


def menu_counts(session: Session, member) -> dict[str, int]:
    """Every count the frame of ``member``'s page shows, keyed by entry endpoint (or the key
    given to :func:`add_menu_count`): one statement, read once per request. A manager's
    admin entries are counted only for managers."""
    if "menu_counts" in g:
        return g.menu_counts
    statements = dict(current_app.extensions.get("coworknet.menu_counts", {}))
    for item in current_app.extensions.get("coworknet.nav", []):
        if item.count is not None and (not item.admin or member.is_manager):
            statements[item.endpoint] = item.count
    counts: dict[str, int] = {}
    if statements:
        row = session.execute(select(*(count(member).scalar_subquery() for count in statements.values()))).one()
        counts = {key: int(value or 0) for key, value in zip(statements, row, strict=True)}
    g.menu_counts = counts
    return counts
