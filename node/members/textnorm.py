"""Text normalisation for skill matching and directory search (pure, stdlib only).

Order matters: accents are folded *before* stemming, so "comptabilité" and
"comptabilite" produce the same keys (stemming first and folding afterwards
makes unaccented queries miss, see docs on search performance).

    fold("Expert‑Comptable  Œuvre")  -> "expert-comptable oeuvre"
    tokenize("L'expert-comptable de Lyon") -> ["expert", "comptable", "lyon"]
    stem("graphiste") == stem("graphisme") == "graph"
    search_keys("Traductrice anglais") -> {"traduc", "anglai"}
    ungender("traducteur·rice / développeur(se)") -> "traducteur / developpeur"
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOPWORDS", "fold", "search_keys", "stem", "tokenize", "tokenize_folded", "ungender"]

# Ligatures and letters that NFKD does not decompose into ASCII.
_LIGATURES = str.maketrans(
    {
        "œ": "oe",
        "Œ": "oe",
        "æ": "ae",
        "Æ": "ae",
        "ß": "ss",
        "ẞ": "ss",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ı": "i",
    }
)

# Typographic apostrophes/quotes and dashes mapped to their ASCII forms.
_PUNCT = str.maketrans(
    {
        "\u2019": "'",  # right single quotation mark
        "\u2018": "'",
        "\u02bc": "'",  # modifier letter apostrophe
        "\u00b4": "'",  # acute accent used as apostrophe
        "`": "'",
        "\u2032": "'",
        "\u2010": "-",  # hyphen
        "\u2011": "-",  # non-breaking hyphen
        "\u2012": "-",
        "\u2013": "-",  # en dash
        "\u2014": "-",  # em dash
        "\u2015": "-",
        "\u2212": "-",  # minus sign
        "\u00ad": "",  # soft hyphen
    }
)

_WS = re.compile(r"\s+")
# The combining accents of Latin letters (U+0300-U+036F but U+034F, which is not an accent):
# removed in one pass before the slower per-character check of what remains.
_COMMON_ACCENTS = re.compile("[\u0300-\u034e\u0350-\u036f]")
# A token is a run of letters/digits, optionally followed by "+" or "#" (c++, c#, f#).
_TOKEN = re.compile(r"[a-z0-9]+[+#]*")

# "son" (sound) and "it" (IT) are deliberately absent: they are skill words here; the verbs of a
# request ("je cherche", "looking for") are present: "chercheur" and "looker" share their stems.
_STOP_FR = """
a au aux avec ce ces c d dans de des du elle en et eux il ils j je l la le les leur
leurs lui m ma mais me mes moi mon n ne nos notre nous on ou par pas pour qu que qui
s sa se ses sur t ta te tes toi ton tu un une vos votre vous y chez entre sans
sous vers tres plus moins comme est sont etre avoir ete cette cet
cherche cherchons cherchez
"""
_STOP_EN = """
an and are as at be by for from has have i in into is its of on or that the their
them they this to was were will with my our your we you me us very also can
looking
"""
STOPWORDS: frozenset[str] = frozenset((_STOP_FR + _STOP_EN).split())


def fold(text: str) -> str:
    """Case-fold, strip accents, expand ligatures, normalise punctuation and spaces."""
    if not text:
        return ""
    text = text.translate(_PUNCT).translate(_LIGATURES)
    if text.isascii():
        stripped = text  # nothing to decompose (the common case for queries)
    else:
        decomposed = _COMMON_ACCENTS.sub("", unicodedata.normalize("NFKD", text))
        stripped = decomposed if decomposed.isascii() else "".join(
            ch for ch in decomposed if not unicodedata.combining(ch)
        )
    # casefold may reintroduce non-ASCII forms (rare); translate once more afterwards.
    folded = stripped.casefold().translate(_LIGATURES)
    return _WS.sub(" ", folded).strip()


# Inclusive writing ("écriture inclusive"): the feminine (and plural) ending written after a
# separator.  After a median dot anything short goes (the dot has no other use in a word);
# after a period, hyphen, slash or inside parentheses only a known ending goes, so "node.js",
# "e-commerce", "ci/cd", "fr/en" or "Aix-les-Bains" are left alone.
_ENDINGS = (
    "e|es|s|se|ses|euse|euses|rice|rices|trice|trices|ice|ices|ere|eres|iere|ieres|ne|nes|"
    "enne|ennes|ienne|iennes|ive|ives|ve|ves|le|les|lle|lles|te|tes|tte|ttes|eure|eures|"
    "esse|esses|ale|ales"
)
_MEDIAN_DOTS = "\u00b7\u2022\u2027\u22c5\u30fb"
_AFTER_MEDIAN_DOT = re.compile(rf"(?<=[a-z]{{2}})(?:[{_MEDIAN_DOTS}][a-z]{{1,6}})+")
_AFTER_SEPARATOR = re.compile(
    rf"(?<=[a-z]{{3}})(?:[./-](?:{_ENDINGS})|\((?:{_ENDINGS})\))+(?![a-z0-9-])"
)
# "traductrice/traducteur": two spellings of one word; the shorter is the masculine form.
_PAIR = re.compile(r"\b([a-z]{3,})\s*/\s*([a-z]{3,})\b")
_PAIR_MIN_PREFIX = 4


def _one_of_pair(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    if first[:_PAIR_MIN_PREFIX] != second[:_PAIR_MIN_PREFIX]:
        return match.group(0)  # two different words ("achat/vente", "ux/ui")
    return second if len(second) < len(first) else first


def ungender(folded: str) -> str:
    """Reduce inclusive spellings to the base word; expects folded text (see :func:`fold`).

    "traducteur·rice", "traducteur.trice", "developpeur(se)", "developpeur-euse",
    "traductrice/traducteur" and "un·e" become "traducteur", "developpeur" and "un",
    so the member who writes inclusively is matched like everyone else.  Generic on
    purpose: no list of words, only the separators and the usual French endings.
    """
    if not folded:
        return ""
    text = _AFTER_MEDIAN_DOT.sub("", folded)
    text = _AFTER_SEPARATOR.sub("", text)
    return _PAIR.sub(_one_of_pair, text) if "/" in text else text


def tokenize(text: str) -> list[str]:
    """Folded words of ``text`` without French/English stopwords (order kept)."""
    return tokenize_folded(ungender(fold(text)))


def tokenize_folded(folded: str) -> list[str]:
    """:func:`tokenize` for text already folded and ungendered (saves both passes)."""
    return [tok for tok in _TOKEN.findall(folded) if tok not in STOPWORDS]


# (suffix, replacement), tried longest first; the remaining stem keeps >= 3 letters.
_SUFFIXES: tuple[tuple[str, str], ...] = tuple(
    sorted(
        (
            # French derivational endings
            ("isterie", ""),
            ("abilite", ""),
            ("ibilite", ""),
            ("icienne", ""),
            ("icien", ""),
            ("icite", ""),
            ("ologie", "olog"),
            ("ologue", "olog"),
            ("atrice", ""),
            ("ateur", ""),
            ("ation", ""),
            ("trice", ""),
            ("teur", ""),
            ("tion", ""),
            ("sion", ""),
            ("ement", ""),
            ("ment", ""),
            ("euse", ""),
            ("eur", ""),
            ("iste", ""),
            ("isme", ""),
            ("ique", ""),
            ("ienne", ""),
            ("erie", ""),
            ("iere", ""),
            ("ier", ""),
            ("ure", ""),
            ("ance", ""),
            ("ence", ""),
            ("able", ""),
            ("ible", ""),
            ("ite", ""),
            ("ive", ""),
            ("age", ""),
            ("ie", ""),
            # English derivational endings
            ("ology", "olog"),
            ("ologist", "olog"),
            ("ician", ""),
            ("ator", ""),
            ("ness", ""),
            ("ity", ""),
            ("ing", ""),
            ("ist", ""),
            ("ism", ""),
            ("ic", ""),
            ("er", ""),
            ("ant", ""),
            ("y", ""),
        ),
        key=lambda pair: len(pair[0]),
        reverse=True,
    )
)
# The same suffixes grouped by their last letter, longest first as above: a word is only
# tried against the suffixes it can end with (same result, far fewer comparisons).
_SUFFIXES_BY_LAST: dict[str, tuple[tuple[str, str], ...]] = {
    last: tuple(pair for pair in _SUFFIXES if pair[0][-1] == last)
    for last in {suffix[-1] for suffix, _ in _SUFFIXES}
}
_VOWELS = frozenset("aeiouy")
_MIN_STEM = 3


def _strip_plural(word: str) -> str:
    if len(word) <= 3:
        return word
    if word.endswith("eaux"):
        return word[:-1]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def stem(word: str) -> str:
    """Light French+English suffix stemmer; expects a folded word (see :func:`fold`).

    Strips a plural, then at most one derivational suffix, then a final "e", and
    undoubles a final consonant, so job titles and activities share a stem
    (graphiste/graphisme, traducteur/traduction/traductrice,
    developpeur/developpement/developer, comptable/comptabilite).
    """
    if not word.isalpha() or len(word) <= 3:
        return word
    w = _strip_plural(word)
    stripped = False
    for suffix, repl in _SUFFIXES_BY_LAST.get(w[-1], ()):
        if w.endswith(suffix) and len(w) - len(suffix) >= _MIN_STEM:
            w = w[: -len(suffix)] + repl
            stripped = True
            break
    if w.endswith("e") and len(w) > _MIN_STEM + 1:
        w = w[:-1]
        stripped = True
    if stripped and len(w) > _MIN_STEM + 1 and w[-1] == w[-2] and w[-1] not in _VOWELS:
        w = w[:-1]
    return w


def search_keys(text: str) -> set[str]:
    """Stems of the non-stopword tokens of ``text``."""
    return {stem(tok) for tok in tokenize(text)}
