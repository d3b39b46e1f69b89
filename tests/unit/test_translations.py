"""French first: every message the portal shows has a French translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node"
KEYWORDS = {"_": None, "gettext": None, "N_": None, "lazy_gettext": None, "ngettext": (1, 2),
            "lazy_ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]


def _catalog_ids() -> dict[str, object]:
    translations: dict[str, object] = {}
    for po_path in sorted((NODE / "translations").glob("*/fr/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            for message in read_po(handle, locale="fr"):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    translations[key] = message.string
    return translations


def _used_ids() -> dict[str, str]:
    used = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(NODE), METHODS, keywords=KEYWORDS, options_map={"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    ):
        key = message[0] if isinstance(message, tuple) else message
        if key:
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
