"""Folding, tokenising and stemming used by skill matching and directory search."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from node.members import textnorm
from node.members.textnorm import fold, search_keys, stem, tokenize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Comptabilité", "comptabilite"),
        ("ÉBÉNISTERIE", "ebenisterie"),
        ("Maîtrise d’œuvre", "maitrise d'oeuvre"),
        ("Cœur", "coeur"),
        ("Ænéide", "aeneide"),
        ("Straße", "strasse"),
        ("  expert\u2011comptable \t  Lyon\n", "expert-comptable lyon"),
        ("Paris\u2013Marseille", "paris-marseille"),
        ("l`atelier", "l'atelier"),
        ("ﬁchier", "fichier"),  # NFKD expands the fi ligature
        ("Ｆｕｌｌ", "full"),  # full-width letters
        ("", ""),
    ],
)
def test_fold(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_fold_is_idempotent() -> None:
    text = "Traductrice anglais–français, Œnologie & Straße"
    assert fold(fold(text)) == fold(text)


def test_tokenize_drops_stopwords_and_elisions() -> None:
    assert tokenize("L'expert-comptable de Lyon et des environs") == [
        "expert", "comptable", "lyon", "environs",
    ]
    assert tokenize("The translator for the agency") == ["translator", "agency"]
    assert tokenize("d’un atelier") == ["atelier"]


def test_tokenize_keeps_skill_words_that_look_like_stopwords() -> None:
    assert tokenize("technicien son") == ["technicien", "son"]
    assert tokenize("IT support") == ["it", "support"]


def test_tokenize_keeps_programming_language_symbols() -> None:
    assert tokenize("C++ et C#, Node.js") == ["c++", "c#", "node", "js"]


@pytest.mark.parametrize(
    "family",
    [
        ["comptabilite", "comptabilites", "comptable", "comptables"],
        ["graphiste", "graphistes", "graphisme", "graphique"],
        ["traducteur", "traductrice", "traduction", "traductions", "traducteurs"],
        ["developpeur", "developpeuse", "developpement", "developer", "development", "developers"],
        ["photographe", "photographie", "photographer", "photography", "photographes"],
        ["menuisier", "menuisiere", "menuiserie"],
        ["ebeniste", "ebenisterie"],
        ["electricien", "electricite", "electrique"],
        ["accountant", "accounting", "accountants"],
        ["translator", "translation", "translations"],
        ["mediateur", "mediatrice", "mediation"],
        ["facilitateur", "facilitatrice", "facilitation"],
        ["sophrologie", "sophrologue"],
        ["agile", "agilite"],
    ],
)
def test_stem_families(family: list[str]) -> None:
    assert len({stem(word) for word in family}) == 1, {word: stem(word) for word in family}


def test_stem_after_fold_makes_accents_irrelevant() -> None:
    for accented in ("comptabilité", "Développement", "Électricité", "Ébénisterie", "Médiatrice"):
        plain = accented.encode("ascii", "ignore").decode()  # crude accent stripping
        assert stem(fold(accented)) == stem(fold(accented.replace("é", "e").replace("É", "E")))
        assert plain  # sanity: the crude version is not empty


def test_stem_keeps_distinct_meanings_apart() -> None:
    assert stem("mediation") != stem("meditation")
    assert stem("photographe") != stem("topographie")


def test_stem_plurals() -> None:
    assert stem("bureaux") == stem("bureau")
    assert stem("libraries") == stem("library")
    assert stem("meubles") == stem("meuble")


def test_stem_leaves_short_and_non_alphabetic_words() -> None:
    for word in ("ia", "ux", "sql", "3d", "c++", "web3", "as"):
        assert stem(word) == word


def test_stem_never_returns_an_empty_or_tiny_stem() -> None:
    for word in ("ement", "ation", "ique", "isme", "erie", "ness", "ing"):
        assert len(stem(word)) >= 3


def test_search_keys() -> None:
    assert search_keys("Comptabilité et comptables à Marseille") == {"compt", "marseil"}
    assert search_keys("comptabilite") == search_keys("COMPTABILITÉ")
    assert search_keys("la de et") == set()
    assert search_keys("") == set()


def test_module_uses_only_the_standard_library() -> None:
    tree = ast.parse(Path(textnorm.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "textnorm must not import project modules"
            imported.add((node.module or "").split(".")[0])
    assert imported <= {"__future__", "re", "unicodedata"}


@pytest.mark.parametrize(
    ("written", "base"),
    [
        ("traducteur·rice", "traducteur"), ("traducteur.rice", "traducteur"),
        ("traducteur·trice", "traducteur"), ("traductrice/traducteur", "traducteur"),
        ("traducteur / traductrice", "traducteur"), ("un·e développeur·se", "un developpeur"),
        ("développeur(se)", "developpeur"), ("développeur-euse", "developpeur"),
        ("développeur.euse.s", "developpeur"), ("consultant·e·s", "consultant"),
        ("ingénieur.e", "ingenieur"), ("professionnel·le", "professionnel"),
        ("designer(e)", "designer"), ("plombier·ère", "plombier"),
    ],
)
def test_ungender_reduces_inclusive_spellings(written: str, base: str) -> None:
    assert textnorm.ungender(fold(written)) == base


@pytest.mark.parametrize(
    "kept",
    ["node.js", "e-commerce", "ci/cd", "fr/en", "fr/es", "aix-les-bains", "expert-comptable",
     "ux/ui", "achat/vente", "chauffeur-livreur", "vue.js", "import-export", "bien-etre"],
)
def test_ungender_leaves_other_punctuation_alone(kept: str) -> None:
    assert textnorm.ungender(kept) == kept


def test_tokenize_and_search_keys_see_the_base_word() -> None:
    assert tokenize("Traducteur·rice·s anglais") == ["traducteur", "anglais"]
    assert search_keys("développeur·se") == search_keys("développeur") == search_keys("développeuse")
