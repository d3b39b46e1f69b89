"""The skill vocabulary shared with peers: big enough, bilingual, generalisable, and free of
special-category data (GDPR Art. 9)."""

from __future__ import annotations

from node.members.textnorm import fold
from node.members.thesaurus import get_thesaurus

#: Words that would reveal health, religion, politics, union membership or sexual life.
SPECIAL_CATEGORY_WORDS = {
    "religion", "religieux", "religious", "pretre", "priest", "imam", "rabbin", "rabbi",
    "pasteur", "catechisme", "eglise", "church", "mosquee", "mosque", "synagogue",
    "politique", "political", "militant", "activist", "syndicat", "syndical", "union",
    "parti", "party", "elu", "elected", "handicap", "disability", "maladie", "illness",
    "patient", "therapie", "therapy", "psychiatr", "sante mentale", "mental health",
    "vih", "hiv", "cancer", "lgbt", "gay", "lesbian", "orientation sexuelle", "sexual",
    "ethnie", "ethnic", "race", "genetique", "genetic", "psychiatrie", "psychiatry",
}
#: Beginnings of words in the same fields.
SPECIAL_CATEGORY_STEMS = ("religi", "psychiatr", "therap", "biometri", "syndic")


def _sensitive(text: str) -> list[str]:
    folded = " " + " ".join(fold(text).replace("-", " ").replace("'", " ").split()) + " "
    return ([w for w in SPECIAL_CATEGORY_WORDS if f" {w} " in folded]
            + [s for s in SPECIAL_CATEGORY_STEMS if f" {s}" in folded])


def test_the_vocabulary_is_a_bilingual_hierarchy():
    thesaurus = get_thesaurus()
    assert len(thesaurus) >= 200
    for concept in thesaurus:
        assert concept.fr and concept.en
        assert thesaurus.parent_group(concept.id) is not None
    assert thesaurus.parent_group("cabinetmaking").id == "wood-crafts"
    for word in ("comptable", "expert-comptable", "comptabilité", "accountant", "bookkeeping"):
        assert thesaurus.resolve(word).id == "accounting", word


def test_no_special_category_data_in_the_vocabulary():
    thesaurus = get_thesaurus()
    offending = []
    for concept in thesaurus:
        for term in concept.terms():
            offending += [(concept.id, term) for _ in _sensitive(term)]
    for group in thesaurus.groups():
        offending += [(group.id, group.fr) for _ in _sensitive(f"{group.fr} {group.en}")]
    assert offending == []
