"""Peer-supplied text made safe to show (PROTOCOL §6.4).

A peer's name, city, event titles, venues, directory headlines reach our pages. Escaping (done
by the templates) stops markup; it does not stop *display spoofing*: a right-to-left override
(U+202E) that turns "gpj.exe" around, zero-width characters that make two names look alike but
differ, control characters, or a name mixing Latin and Cyrillic letters ("Соwork" with a
Cyrillic С and о) that imitates another space. So:

* :func:`clean` strips control characters (Unicode category Cc, except the line breaks and
  tabs of long texts when asked) and format characters (Cf: bidi embeddings, overrides and
  isolates, zero-width spaces and joiners, the BOM, soft hyphens, ...) — applied on receipt to
  what we store of a peer (its name, city, region) and on display to everything a peer wrote;
* the portal shows each such text inside ``<bdi>`` (bidi isolation), so right-to-left text
  never reorders what is around it;
* :func:`confusable_scripts` tells when one text mixes letters of Latin with letters of a
  script whose letters look like Latin ones (Cyrillic, Greek, Armenian, Cherokee, Coptic), or
  uses full-width or mathematical letters: the peers page shows the manager a warning.
"""

from __future__ import annotations

import unicodedata

#: Scripts with letters that imitate Latin ones (a mixture with Latin is flagged).
LOOKALIKE_SCRIPTS = frozenset({"CYRILLIC", "GREEK", "ARMENIAN", "CHEROKEE", "COPTIC"})
#: Letter families that imitate Latin whatever they are mixed with.
LOOKALIKE_FORMS = frozenset({"FULLWIDTH", "MATHEMATICAL", "HALFWIDTH"})
_KEPT_IN_LONG_TEXT = frozenset("\n\t")


def _dropped(char: str, keep_lines: bool) -> bool:
    category = unicodedata.category(char)
    if category == "Cc":
        return not (keep_lines and char in _KEPT_IN_LONG_TEXT)
    return category in ("Cf", "Zl", "Zp")


def clean(text: str, *, keep_lines: bool = False) -> str:
    """``text`` without control, format (bidi, zero-width) and line/paragraph separator
    characters (line feeds and tabs kept with ``keep_lines``), in NFC."""
    if text.isascii() and text.isprintable():
        return text
    kept = "".join(ch for ch in text if not _dropped(ch, keep_lines))
    return unicodedata.normalize("NFC", kept)


def _script(char: str) -> str:
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else ""


def confusable_scripts(text: str) -> list[str]:
    """The scripts whose mixture makes ``text`` a likely imitation (sorted), or []: Latin with
    a look-alike script, or full-width/mathematical letters."""
    scripts = {_script(ch) for ch in clean(text) if ch.isalpha() and not ch.isascii()}
    if any(ch.isascii() and ch.isalpha() for ch in text):
        scripts.add("LATIN")
    odd = scripts & LOOKALIKE_FORMS
    mixed = scripts & LOOKALIKE_SCRIPTS if "LATIN" in scripts else set()
    if odd or mixed:
        return sorted(scripts)
    return []
