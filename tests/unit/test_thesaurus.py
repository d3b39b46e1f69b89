"""The skill thesaurus, trades and languages data, the matching API and the demo seed."""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from node.members.textnorm import fold
from node.members.thesaurus import (
    Concept,
    Group,
    QueryExpansion,
    SkillRef,
    Thesaurus,
    ThesaurusError,
    get_thesaurus,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "node" / "data"
DEMO = ROOT / "deploy" / "demo" / "spaces.json"

# Special-category data (GDPR art. 9) must never appear in the shared vocabulary.
BLOCKLIST = (
    "sante mentale", "mental health", "religion", "religieu", "religious", "eglise", "church",
    "mosquee", "synagogue", "croyance", "syndicat", "syndical", "trade union", "parti politique",
    "politique", "political", "orientation sexuelle", "sexual", "sexualite", "handicap",
    "disability", "maladie", "illness", "diagnosis", "diagnostic medical", "therap", "medical", "medecin", "ethnique",
    "ethnic", "origine raciale", "grossesse", "pregnan", "genetique", "genetic", "biometri",
)


@pytest.fixture(scope="module")
def thesaurus() -> Thesaurus:
    return get_thesaurus()


@pytest.fixture(scope="module")
def skills_data() -> dict:
    return json.loads((DATA / "skills.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo() -> dict:
    return json.loads(DEMO.read_text(encoding="utf-8"))


# ------------------------------------------------------------------ data shape
def test_skills_file_shape_and_size(skills_data: dict) -> None:
    assert skills_data["version"] == 1
    assert 20 <= len(skills_data["groups"]) <= 30
    assert len(skills_data["concepts"]) >= 220


def test_every_concept_is_complete(skills_data: dict) -> None:
    group_ids = {g["id"] for g in skills_data["groups"]}
    ids = Counter(c["id"] for c in skills_data["concepts"])
    assert not [i for i, n in ids.items() if n > 1]
    for concept in skills_data["concepts"]:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", concept["id"]), concept["id"]
        assert concept["group"] in group_ids, concept["id"]
        assert concept["fr"].strip() and concept["en"].strip(), concept["id"]
        labels = {fold(concept["fr"]), fold(concept["en"])}
        for key in ("aliases_fr", "aliases_en"):
            aliases = concept[key]
            assert 2 <= len(aliases) <= 14, (concept["id"], key)
            assert all(a.strip() and fold(a) not in labels for a in aliases), (concept["id"], key)


def test_every_group_is_used_and_labelled(skills_data: dict) -> None:
    used = {c["group"] for c in skills_data["concepts"]}
    for group in skills_data["groups"]:
        assert group["fr"].strip() and group["en"].strip()
        assert group["id"] in used, group["id"]


def test_no_term_maps_to_two_concepts(skills_data: dict) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for concept in skills_data["concepts"]:
        for term in (concept["fr"], concept["en"], *concept["aliases_fr"], *concept["aliases_en"]):
            owners[fold(term)].add(concept["id"])
    assert {t: ids for t, ids in owners.items() if len(ids) > 1} == {}


def test_every_label_and_alias_resolves_to_its_own_concept(thesaurus: Thesaurus) -> None:
    for concept in thesaurus.concepts():
        for term in concept.terms():
            found = thesaurus.resolve(term)
            assert found is not None and found.id == concept.id, (term, concept.id)


def test_constructor_rejects_a_shared_alias() -> None:
    groups = [Group("g", "G", "G")]
    concepts = [
        Concept("a", "g", "Alpha", "Alpha", ("commun", "x1")),
        Concept("b", "g", "Beta", "Beta", ("Commun", "x2")),
    ]
    with pytest.raises(ThesaurusError, match="belongs to a and b"):
        Thesaurus(groups, concepts, [], [])


def test_constructor_rejects_an_unknown_group() -> None:
    with pytest.raises(ThesaurusError):
        Thesaurus([Group("g", "G", "G")], [Concept("a", "zz", "A", "A", ())], [], [])


def test_translation_concepts_per_language_pair_family(thesaurus: Thesaurus) -> None:
    translation = {c.id for c in thesaurus.concepts_in_group("writing-translation")}
    assert {"translation", "translation-en-fr", "translation-romance", "translation-germanic",
            "translation-slavic", "translation-arabic", "translation-asian"} <= translation
    assert thesaurus.resolve("Traduction anglais-français").id == "translation-en-fr"
    assert thesaurus.resolve("traducteur espagnol").id == "translation-romance"


def test_vocabulary_has_no_special_category_words(skills_data: dict) -> None:
    trades = json.loads((DATA / "trades.json").read_text(encoding="utf-8"))["trades"]
    texts = [g[k] for g in skills_data["groups"] for k in ("fr", "en")]
    for concept in skills_data["concepts"]:
        texts += [concept["fr"], concept["en"], *concept["aliases_fr"], *concept["aliases_en"]]
    texts += [t[k] for t in trades for k in ("fr", "en")]
    hits = [(text, word) for text in texts for word in BLOCKLIST if word in fold(text)]
    assert hits == []


def test_blocklist_check_is_effective() -> None:
    assert any(word in fold("Santé mentale") for word in BLOCKLIST)
    assert any(word in fold("Délégué syndical") for word in BLOCKLIST)


# ------------------------------------------------------------------ resolution
@pytest.mark.parametrize(
    "text",
    ["comptable", "expert-comptable", "Expert Comptable", "comptabilité", "comptabilite",
     "COMPTABILITÉ", "Comptables", "accountant", "Accountants", "bookkeeping", "bookkeeper",
     "tenue de comptes"],
)
def test_accounting_equivalence(thesaurus: Thesaurus, text: str) -> None:
    found = thesaurus.resolve(text)
    assert found is not None and found.id == "accounting"


@pytest.mark.parametrize(
    "text", ["graphiste", "graphisme", "Graphistes", "GRAPHISME", "design graphique", "graphic design",
             "graphic designer"],
)
def test_graphic_design_equivalence(thesaurus: Thesaurus, text: str) -> None:
    found = thesaurus.resolve(text)
    assert found is not None and found.id == "graphic-design"


@pytest.mark.parametrize(
    ("text", "concept_id"),
    [
        ("traductrice", "translation"),
        ("Traducteurs", "translation"),
        ("développeuse web", "web-development"),
        ("developpeur web", "web-development"),
        ("web developers", "web-development"),
        ("ébéniste", "cabinetmaking"),
        ("Ébénisterie", "cabinetmaking"),
        ("menuisière", "joinery"),
        ("photographes", "photography"),
        ("interprète", "interpreting"),
        ("RGPD", "data-protection"),
        ("technicien son", "sound-engineering"),
        ("IT technician", "it-support"),
        ("maîtrise d'œuvre", "architecture"),
        ("maitrise d'oeuvre", "architecture"),
    ],
)
def test_resolve_variants(thesaurus: Thesaurus, text: str, concept_id: str) -> None:
    found = thesaurus.resolve(text)
    assert found is not None and found.id == concept_id


def test_resolve_unknown(thesaurus: Thesaurus) -> None:
    assert thesaurus.resolve("sérigraphie artisanale") is None
    assert thesaurus.resolve("") is None
    assert thesaurus.resolve("de la") is None


def test_normalize_skill_known_and_free_tags(thesaurus: Thesaurus) -> None:
    assert thesaurus.normalize_skill("Expert-Comptable") == SkillRef("accounting", "expert-comptable")
    assert thesaurus.normalize_skill("Sérigraphie Artisanale") == SkillRef(None, "serigraphie artisanale")
    assert thesaurus.normalize_skill("  Raku   ") == SkillRef(None, "raku")
    assert thesaurus.normalize_skill("Tirage  argentique !") == SkillRef(None, "tirage argentique")
    assert thesaurus.normalize_skill("") == SkillRef(None, "")
    assert thesaurus.normalize_skill(" - ") == SkillRef(None, "")
    assert len(thesaurus.normalize_skill("x" * 500).tag) <= 120


def test_normalize_skill_free_tags_ignore_case_and_accents(thesaurus: Thesaurus) -> None:
    assert thesaurus.normalize_skill("KOMBUCHA Maison") == thesaurus.normalize_skill("kombucha maison")
    assert thesaurus.normalize_skill("Dorure à la feuille").tag == "dorure a la feuille"


# ------------------------------------------------------------------ queries
@pytest.mark.parametrize("query", ["comptabilité", "comptable", "accountant", "comptabilite",
                                   "expert comptable"])
def test_expand_query_accounting(thesaurus: Thesaurus, query: str) -> None:
    expansion = thesaurus.expand_query(query)
    assert isinstance(expansion, QueryExpansion)
    assert "accounting" in expansion.concept_ids


def test_expand_query_graphic_design(thesaurus: Thesaurus) -> None:
    assert thesaurus.expand_query("graphiste").concept_ids == {"graphic-design"}
    assert thesaurus.expand_query("Graphisme").concept_ids == {"graphic-design"}


def test_expand_query_keys_are_the_query_stems_only(thesaurus: Thesaurus) -> None:
    # Callers AND the keys together, so no alias stems may be added.
    assert thesaurus.expand_query("comptabilité").keys == {"compt"}
    assert thesaurus.expand_query("Comptabilite").keys == {"compt"}
    assert thesaurus.expand_query("la comptable de Marseille").keys == {"compt", "marseil"}


def test_expand_query_finds_concepts_inside_longer_queries(thesaurus: Thesaurus) -> None:
    expansion = thesaurus.expand_query("comptable à Marseille")
    assert expansion.concept_ids == {"accounting"}
    both = thesaurus.expand_query("graphiste et photographe")
    assert both.concept_ids == {"graphic-design", "photography"}
    # the longest phrase wins over the words it contains
    assert thesaurus.expand_query("traductrice anglais Aix").concept_ids == {"translation-en-fr"}


def test_expand_query_empty_and_unknown(thesaurus: Thesaurus) -> None:
    assert thesaurus.expand_query("") == QueryExpansion(frozenset(), frozenset())
    assert thesaurus.expand_query("   ").concept_ids == set()
    unknown = thesaurus.expand_query("sérigraphie")
    assert unknown.concept_ids == set() and unknown.keys == {"serigraph"}


def test_suggest(thesaurus: Thesaurus) -> None:
    first = thesaurus.suggest("compta", "fr")[0]
    assert (first.concept_id, first.label) == ("accounting", "Comptabilité")
    assert thesaurus.suggest("compta", "en")[0].label == "Accounting"
    assert thesaurus.suggest("graph", "fr")[0].concept_id == "graphic-design"
    french = [s.label for s in thesaurus.suggest("trad", "fr", limit=3)]
    assert french[0] == "Traduction" and len(french) == 3
    assert thesaurus.suggest("Ébé", "fr")[0].concept_id == "cabinetmaking"
    assert thesaurus.suggest("", "fr") == []
    assert thesaurus.suggest("zzzz", "fr") == []
    ids = [s.concept_id for s in thesaurus.suggest("d", "fr", limit=50)]
    assert len(ids) == len(set(ids)) == 50


def test_inner_word_suggestions_come_after_prefix_matches(thesaurus: Thesaurus) -> None:
    results = thesaurus.suggest("web", "fr", limit=20)
    assert results[0].concept_id in {"web-development", "web-writing", "web-analytics"}
    assert any(s.concept_id == "ui-design" for s in results)  # "webdesign"


# ------------------------------------------------------------------ accessors
def test_labels_and_lookups(thesaurus: Thesaurus) -> None:
    assert thesaurus.label("accounting", "fr") == "Comptabilité"
    assert thesaurus.label("accounting", "en") == "Accounting"
    assert thesaurus.label("accounting", "en_GB") == "Accounting"
    with pytest.raises(KeyError):
        thesaurus.label("no-such-concept", "fr")
    assert thesaurus.concept("accounting").group == "finance-accounting"
    assert thesaurus.concept("nope") is None
    assert thesaurus.group("wood-crafts").fr == "Métiers du bois"
    assert thesaurus.group("nope") is None
    assert thesaurus.resolve("ébénisterie").group == "wood-crafts"
    assert thesaurus.concept("accounting")["en"] == "Accounting"  # template-friendly


def test_trades(thesaurus: Thesaurus) -> None:
    trades = thesaurus.trades()
    assert len(trades) >= 150
    assert len({t.id for t in trades}) == len(trades)
    for trade in trades:
        assert trade.fr.strip() and trade.en.strip()
        assert thesaurus.group(trade.group) is not None, trade.id
        assert "·" not in trade.fr  # inclusive-writing dots tokenise badly
    assert thesaurus.trade("graphic-designer").fr == "Graphiste"
    assert thesaurus.trade("translator")["en"] == "Translator"
    assert thesaurus.trade("nope") is None


def test_languages(thesaurus: Thesaurus) -> None:
    languages = thesaurus.languages()
    assert len(languages) >= 40
    assert len({lang.code for lang in languages}) == len(languages)
    for lang in languages:
        assert re.fullmatch(r"[a-z]{2}", lang.code)
        assert lang.fr.strip() and lang.en.strip()
    assert thesaurus.language("fr").en == "French"
    assert thesaurus.language("EN").fr == "anglais"
    assert thesaurus.language("xx") is None
    assert thesaurus.language("") is None


def test_get_thesaurus_is_cached() -> None:
    assert get_thesaurus() is get_thesaurus()


# ------------------------------------------------------------------ demo seed
def _members(demo: dict):
    for space in demo["spaces"]:
        for member in space["members"]:
            yield space, member


def test_demo_spaces(demo: dict) -> None:
    assert demo["member_password"] == "demo-member-pass"  # noqa: S105 - public demo data
    spaces = demo["spaces"]
    assert [s["port"] for s in spaces] == [5001, 5002, 5003]
    assert [s["city"] for s in spaces][:2] == ["Marseille", "Aix-en-Provence"]
    assert 28 <= len(spaces[0]["members"]) <= 32
    assert all(13 <= len(s["members"]) <= 17 for s in spaces[1:])
    for space in spaces:
        assert space["manager"]["password"] == "demo-manager-pass"  # noqa: S105 - demo data
        assert re.fullmatch(r"[a-z0-9.]+@example\.(org|com)", space["manager"]["email"])


def test_demo_members_are_well_formed(demo: dict, thesaurus: Thesaurus) -> None:
    emails = Counter()
    for _space, member in _members(demo):
        emails[member["email"]] += 1
        assert re.fullmatch(r"[a-z-]+\.[a-z-]+@example\.(org|com)", member["email"]), member["email"]
        assert re.fullmatch(r"\w[\w-]* [A-ZÉ]\.", member["display_name"]), member["display_name"]
        assert thesaurus.trade(member["trade"]) is not None, member["trade"]
        assert member["languages"] and all(thesaurus.language(c) for c in member["languages"])
        assert member["visibility"] in {"space", "network_anonymous", "network_named"}
        assert all(isinstance(member[f], bool) for f in ("open_to_help", "open_to_paid",
                                                         "open_to_barter"))
        assert 3 <= len(member["skills"]) <= 6
        assert member["bio"].count(".") >= 2 and member["headline"].strip()
    assert all(n == 1 for n in emails.values())


def test_demo_skills_resolve_or_are_tags(demo: dict, thesaurus: Thesaurus) -> None:
    resolved = free = 0
    for _space, member in _members(demo):
        concepts = []
        for label, level in member["skills"]:
            assert level in {"debutant", "confirme", "expert"}
            ref = thesaurus.normalize_skill(label, member["trade"])  # as the seed does
            assert ref.concept_id or ref.tag, label
            if ref.concept_id and not ref.partial:  # a phrase holding a concept: a skill of its own
                resolved += 1
                concepts.append(ref.concept_id)
            else:
                free += 1
        assert len(concepts) == len(set(concepts)), member["email"]  # no synonym twice
    assert resolved > 4 * free > 0  # mostly thesaurus concepts, a few free tags


def test_demo_has_shared_skills_and_network_opt_ins(demo: dict, thesaurus: Thesaurus) -> None:
    for space in demo["spaces"]:
        holders = Counter(
            thesaurus.normalize_skill(label).concept_id
            for member in space["members"] for label, _ in member["skills"]
        )
        holders.pop(None, None)
        assert max(holders.values()) >= 3, space["slug"]  # k-anonymity needs shared skills
        opted = sum(m["visibility"] != "space" for m in space["members"])
        assert 0.3 <= opted / len(space["members"]) <= 0.7


def test_demo_texts_have_no_special_category_words(demo: dict) -> None:
    for _space, member in _members(demo):
        text = fold(" ".join([member["headline"], member["bio"],
                              *(label for label, _ in member["skills"])]))
        assert not [w for w in BLOCKLIST if w in text], member["email"]


def test_a_query_naming_a_field_reaches_every_skill_of_the_field(thesaurus: Thesaurus) -> None:
    for query, group in (("bâtiment", "architecture-building"), ("bien-être", "wellness"),
                         ("artisanat", "crafts"), ("design", "design-graphics")):
        expansion = thesaurus.expand_query(query, typos=True)
        in_group = {c.id for c in thesaurus.concepts_in_group(group)}
        assert in_group - expansion.concept_ids <= expansion.related_ids, query


def test_a_misspelt_word_inside_a_phrase_is_corrected_before_matching(thesaurus: Thesaurus) -> None:
    assert thesaurus.expand_query("devlopement web", typos=True).concept_ids == {"web-development"}
    assert thesaurus.expand_query("devlopement web").concept_ids != {"web-development"}


def test_narrower_skills_are_near_related_ones_further(thesaurus: Thesaurus) -> None:
    expansion = thesaurus.expand_query("avocat")
    assert "business-law" in expansion.near_ids and expansion.near_ids <= expansion.related_ids


@pytest.mark.parametrize(("query", "concept"), [
    ("word press", "wordpress"),          # two words typed apart
    ("dev mobile", "mobile-development"),  # a truncated word completed inside its phrase
    ("sofrologue", "sophrology"),          # by sound: ph/f
])
def test_general_spelling_slips_are_understood(thesaurus: Thesaurus, query: str, concept: str) -> None:
    assert concept in thesaurus.expand_query(query, typos=True).concept_ids


def test_a_word_that_names_no_concept_reaches_the_skills_it_is_part_of(thesaurus: Thesaurus) -> None:
    expansion = thesaurus.expand_query("élec", typos=True)
    assert "electrical-work" in expansion.related_ids
