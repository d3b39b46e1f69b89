"""The grown thesaurus: size and shape of the data, links, multi-sense terms, and the skills
members actually type (FR/EN, inclusive writing, abbreviations, plurals, typos)."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from node.members.textnorm import fold, ungender
from node.members.thesaurus import (
    Concept,
    Group,
    QueryExpansion,
    Sense,
    Thesaurus,
    ThesaurusError,
    Trade,
    get_thesaurus,
)

DATA = Path(__file__).resolve().parents[2] / "node" / "data"


@pytest.fixture(scope="module")
def thesaurus() -> Thesaurus:
    return get_thesaurus()


@pytest.fixture(scope="module")
def skills() -> dict:
    return json.loads((DATA / "skills.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def trades() -> list[dict]:
    return json.loads((DATA / "trades.json").read_text(encoding="utf-8"))["trades"]


# ------------------------------------------------------------------ the data itself
def test_sizes(skills: dict, trades: list[dict]) -> None:
    assert len(skills["concepts"]) >= 800
    assert len(trades) >= 150
    linked = [c for c in skills["concepts"] if c.get("broader") or c.get("related")]
    assert len(linked) >= 300


def test_every_concept_has_labels_and_aliases(skills: dict) -> None:
    for concept in skills["concepts"]:
        assert concept["fr"].strip() and concept["en"].strip(), concept["id"]
        assert len(concept["aliases_fr"]) + len(concept["aliases_en"]) >= 2, concept["id"]
        assert concept["aliases_fr"] and concept["aliases_en"], concept["id"]


def test_every_link_names_an_existing_concept(skills: dict) -> None:
    ids = {c["id"] for c in skills["concepts"]}
    for concept in skills["concepts"]:
        links = [concept["broader"]] if "broader" in concept else []
        links += concept.get("related", [])
        assert all(link in ids and link != concept["id"] for link in links), concept["id"]


def test_no_alias_collision_except_declared_senses(skills: dict) -> None:
    owners: dict[str, set[str]] = defaultdict(set)
    for concept in skills["concepts"]:
        for term in (concept["fr"], concept["en"], *concept["aliases_fr"], *concept["aliases_en"]):
            owners[ungender(fold(term))].add(concept["id"])
    assert {t: ids for t, ids in owners.items() if len(ids) > 1} == {}
    ids = {c["id"] for c in skills["concepts"]}
    for term, senses in skills["senses"].items():
        assert ungender(fold(term)) not in owners, term  # a multi-sense term is no plain alias
        assert len(senses) >= 2 and all(s["concept"] in ids for s in senses), term


def test_every_trade_has_a_known_group(skills: dict, trades: list[dict]) -> None:
    groups = {g["id"] for g in skills["groups"]}
    assert len({t["id"] for t in trades}) == len(trades)
    assert all(t["group"] in groups and t["fr"].strip() and t["en"].strip() for t in trades)


# ------------------------------------------------------------------ what members type
TYPED = [
    # the known misses
    ("Expertise comptable", "accounting"), ("Compta", "accounting"),
    ("Tenue de livres", "accounting"), ("Médias sociaux", "social-media"),
    ("Soutien informatique", "it-support"), ("Électricité générale", "electrical-work"),
    ("Rédaction de contenu", "content-writing"), ("Rédaction de contenus", "content-writing"),
    ("site internet", "website-creation"), ("Sites internet", "website-creation"),
    ("informaticien", "computing"), ("Informaticienne", "computing"),
    ("plombier", "plumbing"), ("Plombière", "plumbing"), ("avocat", "legal-advice"),
    ("avocate", "legal-advice"), ("lawyer", "legal-advice"), ("juriste", "legal-advice"),
    # the wrong mappings, fixed
    ("Émaillage", "enamelling"), ("émailleuse", "enamelling"), ("Programmation", "programming"),
    ("Tournage", "videography"), ("tournage céramique", "pottery-throwing"),
    ("tournage sur bois", "wood-turning"), ("e-mailing", "email-marketing"),
    # inclusive writing
    ("traducteur·rice", "translation"), ("traducteur.rice", "translation"),
    ("traducteur·trice", "translation"), ("traductrice/traducteur", "translation"),
    ("Traducteur / Traductrice", "translation"), ("un·e développeur·se", "programming"),
    ("développeur(se)", "programming"), ("développeur-euse", "programming"),
    ("développeur·euse·s web", "web-development"), ("plombier·ère", "plumbing"),
    ("électricien·ne", "electrical-work"), ("menuisier.e", "joinery"),
    ("comptable·s", "accounting"), ("illustrateur·rice", "illustration"),
    ("graphiste·s", "graphic-design"), ("céramiste(s)", "ceramics"),
    ("boulanger·ère", "baking"), ("jardinier·ère", "gardening"),
    ("consultant·e informatique", "it-consulting"), ("photographe·s", "photography"),
    ("rédacteur·rice web", "web-writing"), ("coiffeur·euse", "hairdressing"),
    # abbreviations
    ("RH", "human-resources"), ("SEO", "seo"), ("UX", "ux-design"), ("RGPD", "data-protection"),
    ("GDPR", "data-protection"), ("PAO", "print-design"), ("BIM", "bim"), ("DAF", "cfo-services"),
    ("CRM", "erp-crm"), ("TVA", "tax-returns"), ("LSF", "sign-language"), ("VTC", "taxi-driver"),
    ("HACCP", "food-safety"), ("IRVE", "ev-charging"), ("VMC", "hvac"), ("QVT", "workplace-wellbeing"),
    ("FLE", "language-teaching"), ("SST", "occupational-safety"), ("ESS", "social-economy"),
    # plurals, feminine, person and activity nouns, FR and EN
    ("comptables", "accounting"), ("Comptabilité", "accounting"), ("accountants", "accounting"),
    ("électriciens", "electrical-work"), ("electrician", "electrical-work"),
    ("charpentière", "timber-framing"), ("Charpentiers", "timber-framing"),
    ("maçonne", "masonry"), ("bricklayer", "masonry"), ("peintre en bâtiment", "painting-decorating"),
    ("carreleuse", "tiling"), ("tilers", "tiling"), ("couvreurs", "roofing"), ("roofer", "roofing"),
    ("plaquiste", "plastering"), ("plasterers", "plastering"), ("serrurière", "locksmith"),
    ("chauffagiste", "heating"), ("potière", "ceramics"), ("potters", "ceramics"),
    ("bijoutière", "jewellery"), ("jewellers", "jewellery"), ("boulangère", "baking"),
    ("bakers", "baking"), ("traiteurs", "catering"), ("caterer", "catering"),
    ("paysagiste", "landscape-architecture"), ("élagueuse", "tree-care"),
    ("Femme de ménage", "house-cleaning"), ("cleaners", "house-cleaning"),
    ("déménageur", "removals"), ("removal company", "removals"), ("nounou", "childminding"),
    ("babysitter", "childminding"), ("réparatrice électroménager", "appliance-repair"),
    ("traductrices", "translation"), ("translators", "translation"),
    ("traducteur assermenté", "sworn-translation"), ("interprète LSF", "sign-language"),
    ("conseillère juridique", None), ("droit du travail", "labor-law"),
    ("propriété intellectuelle", "intellectual-property"), ("dépôt de marque", "intellectual-property"),
    ("paie", "payroll"), ("bulletins de salaire", "payroll"), ("trésorerie", "cash-management"),
    ("développeuses web", "web-development"), ("développeur wordpress", "wordpress"),
    ("graphic designers", "graphic-design"), ("community manageuse", "social-media"),
    ("attachée de presse", "press-relations"), ("photographe de mariage", "event-photography"),
    ("vidéaste", "videography"), ("monteuse vidéo", "video-editing"), ("ingénieure du son", "sound-engineering"),
    ("organisatrice d'événements", "event-planning"), ("programmatrice", "event-programming"),
    ("professeure de yoga", "yoga"), ("masseuse", "massage"), ("naturopathe", "naturopathy"),
    ("diététicienne", "nutrition"), ("esthéticienne", "beauty-care"), ("accompagnatrice en montagne", "hiking-guide"),
    ("guide touristique", "tourism"), ("maraîchère", "market-gardening"), ("apicultrice", "beekeeping"),
    ("agent immobilier", "real-estate-brokerage"), ("formatrice", "professional-training"),
    ("coach professionnelle", None), ("recruteuse", "recruitment"), ("travailleuse sociale", "social-work"),
    ("couturière", "sewing"), ("cordonnière", "shoemaking"), ("mécanicienne automobile", "car-mechanics"),
    ("coursière", "courier"), ("data scientists", "data-science"), ("cybersécurité", "cybersecurity"),
    ("help desk", None), ("réparation d'ordinateurs", "computer-repair"), ("tatoueuse", "tattoo"),
]


@pytest.mark.parametrize(("typed", "expected"), [row for row in TYPED if row[1]])
def test_typed_forms_resolve(thesaurus: Thesaurus, typed: str, expected: str) -> None:
    found = thesaurus.resolve(typed)
    assert found is not None and found.id == expected, (typed, found and found.id)


TYPOS = [
    ("comptabilte", "accounting"), ("plombeir", "plumbing"), ("electricein", "electrical-work"),
    ("photographie mariagge", "photography"), ("menuiserei", "joinery"), ("jardinnier", "gardening"),
    ("traductrise", "translation"), ("boulangere patissiere", "baking"), ("ceramiqe", "ceramics"),
    ("charpentrie", "timber-framing"), ("sophrologe", "sophrology"), ("wordpres", "wordpress"),
    ("carreleurr", "tiling"), ("avoccat", "legal-advice"),
]


@pytest.mark.parametrize(("typed", "expected"), TYPOS)
def test_typos_are_forgiven_in_searches(thesaurus: Thesaurus, typed: str, expected: str) -> None:
    assert expected in thesaurus.expand_query(typed, typos=True).concept_ids


def test_the_table_is_big_enough() -> None:
    assert len([row for row in TYPED if row[1]]) + len(TYPOS) >= 120


# ------------------------------------------------------------------ multi-sense terms
@pytest.mark.parametrize(
    ("text", "trade_id", "expected"),
    [
        ("Programmation", None, "programming"),
        ("Programmation", "web-developer", "programming"),
        ("Programmation", "event-planner", "event-programming"),
        ("programmation", "actor", "event-programming"),  # performing arts
        ("Programmation", "ceramicist", "programming"),  # no sense for crafts: the default
        ("Tournage", None, "videography"),
        ("Tournage", "videographer", "videography"),
        ("Tournage", "ceramicist", "pottery-throwing"),
        ("Tournage", "potter", "pottery-throwing"),
        ("tournages", "woodturner", "wood-turning"),  # plural, through the stem index
        ("Tournage", "cabinetmaker", "wood-turning"),
        ("Émail", None, "email-marketing"),
        ("Émail", "enameller", "enamelling"),
        ("Montage", None, "video-editing"),
        ("Montage", "joiner", "furniture-assembly"),
        ("Tournage", "no-such-trade", "videography"),
    ],
)
def test_the_trade_picks_the_sense(thesaurus: Thesaurus, text: str, trade_id: str | None,
                                   expected: str) -> None:
    assert thesaurus.resolve(text, trade_id).id == expected
    assert thesaurus.normalize_skill(text, trade_id).concept_id == expected


def test_senses_are_listed_default_first(thesaurus: Thesaurus) -> None:
    assert thesaurus.senses("tournage") == ("videography", "pottery-throwing", "wood-turning")
    assert thesaurus.senses("Programmation")[0] == "programming"
    assert thesaurus.senses("comptabilité") == ()


def test_a_search_for_a_multi_sense_word_keeps_the_other_senses_nearby(thesaurus: Thesaurus) -> None:
    expansion = thesaurus.expand_query("tournage à Marseille")
    assert expansion.concept_ids == {"videography"}
    assert {"pottery-throwing", "wood-turning"} <= expansion.related_ids


def test_emaillage_is_never_emailing(thesaurus: Thesaurus) -> None:
    for text in ("Émaillage", "émaillages", "émailleur", "Émaillage céramique"):
        assert thesaurus.resolve(text).id == "enamelling", text
    for trade in (None, "ceramicist", "web-developer"):
        assert thesaurus.normalize_skill("Émaillage", trade).concept_id == "enamelling"


def test_sense_declarations_are_checked() -> None:
    groups = [Group("g", "G", "G"), Group("h", "H", "H")]
    concepts = [Concept("a", "g", "Alpha", "Alpha", ("x1",)), Concept("b", "h", "Beta", "Beta", ("x2",))]
    trades = [Trade("t", "T", "T", "h")]
    both = [Sense("a"), Sense("b")]
    thesaurus = Thesaurus(groups, concepts, trades, [], {"mot": both})
    assert thesaurus.resolve("mot").id == "a" and thesaurus.resolve("Mot", "t").id == "b"
    for bad in ({"mot": [Sense("a")]}, {"x1": both}, {"mot": [Sense("a"), Sense("zz")]},
                {"mot": [Sense("a"), Sense("b", frozenset({"nope"}))]}):
        with pytest.raises(ThesaurusError):
            Thesaurus(groups, concepts, trades, [], bad)


# ------------------------------------------------------------------ SKOS links
def test_broader_narrower_related(thesaurus: Thesaurus) -> None:
    assert thesaurus.broader("website-creation") == "web-development"
    assert "website-creation" in thesaurus.narrower("web-development")
    assert {"frontend-development", "backend-development"} <= set(thesaurus.narrower("web-development"))
    assert thesaurus.broader("accounting") is None
    # Branches of law are narrower than legal advice: a search for a lawyer ranks them first.
    assert {"business-law", "labor-law", "contract-drafting"} <= set(thesaurus.narrower("legal-advice"))
    assert {"notary", "mediation", "data-protection"} <= set(thesaurus.related("legal-advice"))
    assert {"payroll", "tax-law"} <= set(thesaurus.related("accounting"))
    assert "annual-accounts" in thesaurus.narrower("accounting")
    assert thesaurus.related("no-such-concept") == () and thesaurus.narrower("wordpress") == ()


def test_related_links_are_symmetric(thesaurus: Thesaurus) -> None:
    for concept in thesaurus.concepts():
        for other in thesaurus.related(concept.id):
            assert concept.id in thesaurus.related(other), (concept.id, other)
        broader = thesaurus.broader(concept.id)
        if broader:
            assert concept.id in thesaurus.narrower(broader)


def test_query_expansion_names_the_concepts_around(thesaurus: Thesaurus) -> None:
    lawyer = thesaurus.expand_query("avocat")
    assert lawyer.concept_ids == {"legal-advice"}
    assert {"business-law", "data-protection", "labor-law"} <= lawyer.related_ids
    web = thesaurus.expand_query("développeur web")
    assert {"website-creation", "frontend-development", "backend-development"} <= web.related_ids
    assert "web-development" not in web.related_ids
    both = thesaurus.expand_query("comptable et juriste")
    assert both.concept_ids == {"accounting", "legal-advice"}
    assert not both.related_ids & both.concept_ids
    assert thesaurus.expand_query("") == QueryExpansion(frozenset(), frozenset(), frozenset())


def test_links_are_validated() -> None:
    groups = [Group("g", "G", "G")]
    with pytest.raises(ThesaurusError):
        Thesaurus(groups, [Concept("a", "g", "A", "A", (), related=("zz",))], [], [])
    with pytest.raises(ThesaurusError):
        Thesaurus(groups, [Concept("a", "g", "A", "A", (), broader="zz")], [], [])
    with pytest.raises(ThesaurusError):
        Thesaurus(groups, [Concept("a", "g", "A", "A", (), broader="a")], [], [])
    cycle = [Concept("a", "g", "A", "A", (), broader="b"), Concept("b", "g", "B", "B", (), broader="a")]
    with pytest.raises(ThesaurusError, match="cycle"):
        Thesaurus(groups, cycle, [], [])
    linked = Thesaurus(groups, [Concept("a", "g", "A", "A", (), related=("b",)),
                                Concept("b", "g", "B", "B", (), broader="a")], [], [])
    assert linked.related("b") == ("a",) and linked.narrower("a") == ("b",)


# ------------------------------------------------------------------ inclusive tags
def test_inclusive_spellings_share_one_tag(thesaurus: Thesaurus) -> None:
    free = {thesaurus.normalize_skill(t).tag for t in ("Sérigraphe·s", "sérigraphe(s)", "Sérigraphe")}
    assert free == {"serigraphe"}
    assert thesaurus.normalize_skill("traducteur·rice") == thesaurus.normalize_skill("Traducteur")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("je cherche un plombier pour une fuite à Marseille", {"plumbing"}),  # not "chercheur"
        ("recherche un chauffeur", {"taxi-driver"}),  # the alias before the stem of "chauffage"
        ("looking for a lawyer for my startup", {"legal-advice"}),
        ("besoin d'aide pour ma compta et mon site internet", {"accounting", "website-creation"}),
        ("une traductrice·eur anglais", {"translation-en-fr"}),
    ],
)
def test_request_sentences_name_only_what_is_asked(thesaurus: Thesaurus, query: str,
                                                   expected: set[str]) -> None:
    assert thesaurus.expand_query(query, typos=True).concept_ids == expected
