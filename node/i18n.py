"""French first, English second: locale selection, catalogs and formatting filters."""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.core import get_global
from babel.dates import get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, g, request, session
from flask.globals import _cv_app
from flask_babel import (
    Babel,
    format_date,
    format_datetime,
    format_decimal,
    get_locale,
    get_translations,
)

TRANSLATIONS_ROOT = Path(__file__).parent / "translations"

babel = Babel()


API_PREFIX = "/api/"


def select_locale() -> str:
    """The page's language: the one chosen in the portal, else the member's, else the browser's.

    The API answers in the language its caller asks for (``Accept-Language``), whatever a
    session cookie says; without the header, in the node's default language."""
    supported = current_app.config["LANGUAGES"]
    if request.path.startswith(API_PREFIX):
        return request.accept_languages.best_match(supported) or current_app.config["DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in supported:
        return chosen
    member = g.get("member")
    if member is not None and member.locale in supported:
        return member.locale
    return request.accept_languages.best_match(supported) or current_app.config["DEFAULT_LOCALE"]


def compile_catalogs(force: bool = False, target: Path | None = None) -> int:
    """Compile every ``.po`` catalog to ``.mo`` when missing or stale; returns how many.

    The ``.mo`` files go next to their ``.po`` (the package itself) unless ``target`` names
    another root with the same ``<area>/<lang>/LC_MESSAGES`` layout. Each file is written
    to a temporary name and renamed, so workers starting together never read half a file."""
    count = 0
    for po_path in TRANSLATIONS_ROOT.glob("*/*/LC_MESSAGES/*.po"):
        relative = po_path.relative_to(TRANSLATIONS_ROOT).with_suffix(".mo")
        mo_path = (target or TRANSLATIONS_ROOT) / relative
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=po_path.parts[-3])
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=mo_path.parent, delete=False,
                                         suffix=".tmp") as mo_file:
            write_mo(mo_file, catalog)
        os.replace(mo_file.name, mo_path)
        count += 1
    return count


def prepare_catalogs(instance_path: Path) -> Path:
    """The root holding up-to-date compiled catalogs: the package itself when they are fresh
    there or it is writable (development, a wheel built with them), otherwise a cache in the
    instance folder (an installed package owned by root, a read-only image)."""
    try:
        compile_catalogs()
        return TRANSLATIONS_ROOT
    except OSError:
        cache = Path(instance_path) / "cache" / "translations"
        compile_catalogs(target=cache)
        return cache


def translation_directories(root: Path = TRANSLATIONS_ROOT) -> list[str]:
    """Each feature area keeps its own catalog folder under ``node/translations/``."""
    return sorted(str(root / p.name) for p in TRANSLATIONS_ROOT.iterdir() if p.is_dir())


def language_name(code: str) -> str:
    """A language's name in the reader's language ("arabe", "anglais"), from its ISO 639-1 code."""
    return get_locale().languages.get(str(code), str(code)) if code else ""


@lru_cache(maxsize=4096)
def _zone_label(zone: str, locale: str) -> str:
    canonical = get_global("zone_aliases").get(zone, zone)  # America/Montreal: America/Toronto
    territory = get_global("zone_territories").get(canonical)
    if not territory or territory in ("001", "ZZ"):
        return zone  # Etc/GMT+3, UTC: the identifier is the name
    country = Locale.parse(locale).territories.get(territory, territory)
    if canonical != zone:  # an older name (America/Montreal): CLDR's city would be the other one
        return f"{country} — {zone.rsplit('/', 1)[-1].replace('_', ' ')}"
    city = get_timezone_location(canonical, locale=locale, return_city=True)
    return country if city in ("", country) else f"{country} — {city}"


def page_translations():
    """The catalog of the current request's language, as :func:`flask_babel.get_translations`
    gives it, looked up once per request and locale: kept on Flask-Babel's own per-request
    namespace with the locale object it was found for, so ``force_locale`` (a mail in its
    reader's language) and ``refresh`` (a new language chosen) are honoured."""
    app_context = _cv_app.get(None)
    space = app_context.g.__dict__.get("_flask_babel") if app_context is not None else None
    if space is not None:
        kept = getattr(space, "coworknet_translations", None)
        locale = getattr(space, "babel_locale", None)
        if kept is not None and locale is not None and kept[0] is locale:
            return kept[1]
    translations = get_translations()
    space = app_context.g.__dict__.get("_flask_babel") if app_context is not None else None
    if space is not None and getattr(space, "babel_locale", None) is not None:
        space.coworknet_translations = (space.babel_locale, translations)
    return translations


def zone_label(zone: str) -> str:
    """A time zone as people name it, in the reader's language: "États-Unis — New York" for
    ``America/New_York`` (CLDR's country and city); the identifier when it names no place."""
    try:
        return _zone_label(str(zone), str(get_locale() or "fr"))
    except (LookupError, ValueError):
        return str(zone)


def init_app(app: Flask) -> None:
    root = prepare_catalogs(Path(app.instance_path))
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(translation_directories(root))
    babel.init_app(app, locale_selector=select_locale)
    # A page calls gettext a few hundred times; Flask-Babel looks the request's catalog up
    # anew on each call (three context lookups and a cache key). The same catalog, kept for
    # the locale it was looked up for, serves every later call of the request.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.filters.update(
        zone_label=zone_label,
        language_name=language_name,
        datetime=lambda value, fmt="medium": format_datetime(value, fmt) if value else "",
        date=lambda value, fmt="medium": format_date(value, fmt) if value else "",
        number=format_decimal,
    )
