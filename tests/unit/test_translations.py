"""French first: every message the portal shows has a French translation."""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "lazy_gettext": None, "ngettext": (1, 2),
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
DATE_PATTERN = re.compile(r"\b(y+|M{3,4}|HH:mm)\b")  # a CLDR pattern quotes its literals with '


def _catalogs() -> dict[str, list]:
    """Each catalog's messages (with an id), by area."""
    catalogs = {}
    for po_path in sorted((NODE / "translations").glob("*/fr/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalogs[po_path.parts[-4]] = [message for message in read_po(handle, locale="fr") if message.id]
    return catalogs


def _key(message_id, context) -> tuple[str | None, str]:
    return context, message_id[0] if isinstance(message_id, tuple) else message_id


def _catalog_ids() -> dict[tuple[str | None, str], object]:
    return {_key(message.id, message.context): message.string
            for messages in _catalogs().values() for message in messages}


def _used_ids() -> dict[tuple[str | None, str], str]:
    used = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(NODE), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        key = _key(message, context)
        if key[1]:
            used.setdefault(key, filename)
    return used


def test_every_message_has_a_french_translation():
    translations = _catalog_ids()
    missing = {msg: where for msg, where in _used_ids().items()
               if not (translations.get(msg) if not isinstance(translations.get(msg), tuple)
                       else all(translations[msg]))}
    assert missing == {}, f"{len(missing)} messages without French translation: {missing}"


def test_catalogs_compile():
    from node.i18n import compile_catalogs

    compile_catalogs(force=True)
    assert list((NODE / "translations").glob("*/fr/LC_MESSAGES/messages.mo"))


def test_one_message_has_one_french_translation_in_every_catalog():
    """The catalogs are merged at start-up: a message id translated two ways would show either."""
    seen: dict[tuple[str | None, str], dict[str, object]] = {}
    for area, messages in _catalogs().items():
        for message in messages:
            seen.setdefault(_key(message.id, message.context), {})[area] = message.string
    different = {key: by_area for key, by_area in seen.items() if len(set(by_area.values())) > 1}
    assert different == {}, (
        f"{len(different)} messages translated differently (unify them, or give each use a pgettext context): "
        f"{different}")


def test_french_strings_use_the_typographic_apostrophe():
    """One convention: ’ in French text (CLDR date patterns keep their quoting apostrophes)."""
    straight = {}
    for area, messages in _catalogs().items():
        for message in messages:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if any("'" in s for s in strings) and not DATE_PATTERN.search(_key(message.id, None)[1]):
                straight[(area, _key(message.id, message.context))] = strings
    assert straight == {}, f"straight apostrophes in French strings: {straight}"


def _used_plurals() -> dict[tuple[str | None, str], bool]:
    """Each message id used in the code and templates: whether it is used with a plural."""
    used = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(NODE), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        key = _key(message, context)
        if key[1]:
            used[key] = used.get(key, False) or isinstance(message, tuple)
    return used


def test_a_message_used_with_a_count_has_its_plural_forms():
    """``ngettext`` finds no translation in a singular entry (and the reverse): the two agree."""
    catalog = {_key(message.id, message.context): isinstance(message.id, tuple)
               for messages in _catalogs().values() for message in messages}
    disagree = {key: ("plural in the code" if plural else "singular in the code")
                for key, plural in _used_plurals().items() if key in catalog and catalog[key] != plural}
    assert disagree == {}


def test_no_pseudo_plural_in_french():
    """"place(s)", "inscrit(e)s": a count goes through ngettext, a person through neutral words."""
    pseudo = re.compile(r"\w\((s|e|es|x)\)")
    found = {(area, _key(message.id, message.context)): message.string
             for area, messages in _catalogs().items() for message in messages
             if any(pseudo.search(s) for s in (message.string if isinstance(message.string, tuple)
                                               else (message.string,)))}
    assert found == {}
