"""French first, English second: locale selection, catalogs and formatting filters."""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, request, session
from flask_babel import Babel, format_date, format_datetime, format_decimal

TRANSLATIONS_ROOT = Path(__file__).parent / "translations"

babel = Babel()


def select_locale() -> str:
    supported = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    member = g.get("member")
    if member is not None and member.locale in supported:
        return member.locale
    return request.accept_languages.best_match(supported) or current_app.config["DEFAULT_LOCALE"]


def translation_directories() -> list[str]:
    """Each feature area keeps its own catalog folder under ``node/translations/``."""
    return sorted(str(p) for p in TRANSLATIONS_ROOT.iterdir() if p.is_dir())


def compile_catalogs(force: bool = False) -> int:
    """Compile every ``.po`` catalog to ``.mo`` when missing or stale; returns how many."""
    count = 0
    for po_path in TRANSLATIONS_ROOT.glob("*/*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        count += 1
    return count


def init_app(app: Flask) -> None:
    compile_catalogs()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories())
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.filters.update(
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        number=format_decimal,
    )
