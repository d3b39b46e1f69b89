"""The FR/EN skill thesaurus, trades and languages (pure; data read once from ``node/data``).

A *concept* is a canonical skill ("accounting") with French/English labels and
aliases ("comptable", "expert-comptable", "bookkeeping"...).  Concepts belong to a
*group* ("finance-accounting"), the coarser value used to generalise rare skills.

Matching is done on folded text (see :mod:`node.members.textnorm`), inclusive
spellings reduced ("traducteur·rice" -> "traducteur"): first an exact match on a
folded label or alias, then a match on the stems of the whole phrase (word order
ignored), so "Comptabilité", "comptabilite", "COMPTABLES" and "accountant" all
resolve to ``accounting``.  Anything else stays a free tag.

A few words have several senses ("tournage": video shooting, pottery throwing,
wood turning).  They are declared in the ``senses`` block of ``skills.json``, never
as plain aliases: the member's trade picks the sense whose concept group (or one of
its extra ``trade_groups``) is the trade's group; without a trade, or when no sense
fits the trade, the first sense listed is the default.

Concepts carry SKOS-style links: an optional ``broader`` concept and ``related``
concepts (made symmetric at load time).  Searches use them to widen a query
(:attr:`QueryExpansion.related_ids`).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from importlib import resources

from .textnorm import STOPWORDS, fold, search_keys, stem, tokenize_folded, ungender

__all__ = [
    "Concept",
    "Group",
    "Language",
    "QueryExpansion",
    "Sense",
    "SkillRef",
    "Suggestion",
    "Thesaurus",
    "ThesaurusError",
    "get_thesaurus",
]

LOCALES = ("fr", "en")
MAX_TAG_LENGTH = 120
_MAX_NGRAM = 5
#: A member's skill level (``debutant``/``confirme``/``expert``) as the band shared with peers.
LEVEL_BANDS = {"debutant": "beginner", "confirme": "confirmed", "expert": "expert"}
#: Typo tolerance: only words this long are matched approximately, at this similarity.
FUZZY_MIN_LENGTH = 5
FUZZY_MIN_SCORE = 85


#: A query word reaches the concepts whose terms hold it only if they are at most this many
#: (a word such as "gestion" is in too many to say anything).
WORD_CONCEPTS_MAX = 40
#: A truncated word ("élec") has at least this many letters.
TRUNCATION_MIN_LENGTH = 3

_SOUNDS = (("ph", "f"), ("th", "t"), ("qu", "k"), ("ck", "k"), ("y", "i"), ("w", "v"))


def _sound(word: str) -> str:
    """A rough sound key of a folded word: ph/f, th/t, qu/k, y/i, w/v, doubled letters."""
    for spelling, sound in _SOUNDS:
        word = word.replace(spelling, sound)
    return "".join(ch for i, ch in enumerate(word) if i == 0 or ch != word[i - 1])


class ThesaurusError(ValueError):
    """The bundled data files are inconsistent."""


class _Localised:
    """Allow ``obj["fr"]`` as well as ``obj.fr`` (handy in templates)."""

    __slots__ = ()

    def __getitem__(self, key: str) -> object:
        names = _FIELD_NAMES.get(type(self))
        if names is None:  # once per class: fields() is slow for a lookup made per option
            names = _FIELD_NAMES[type(self)] = frozenset(f.name for f in fields(self))  # type: ignore[arg-type]
        if key in names:
            return getattr(self, key)
        raise KeyError(key)


_FIELD_NAMES: dict[type, frozenset[str]] = {}


@dataclass(frozen=True, slots=True)
class Group(_Localised):
    id: str
    fr: str
    en: str
    #: Words people use for the whole field ("bâtiment", "bien-être", "data"): a query naming
    #: a field finds the people of every skill in it.
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Concept(_Localised):
    id: str
    group: str
    fr: str
    en: str
    aliases: tuple[str, ...]  # French then English aliases, as written in the data
    aliases_en: tuple[str, ...] = ()  # the English subset of ``aliases`` (for locale ranking)
    broader: str | None = None  # the more general concept (SKOS broader), if any
    related: tuple[str, ...] = ()  # related concepts as written (made symmetric by Thesaurus)

    def term_locales(self) -> Iterator[tuple[str, str, bool]]:
        """(term, locale, is_label) for the labels and every alias."""
        yield self.fr, "fr", True
        yield self.en, "en", True
        english = set(self.aliases_en)
        for alias in self.aliases:
            yield alias, ("en" if alias in english else "fr"), False

    def terms(self) -> tuple[str, ...]:
        """Labels first, then aliases."""
        return (self.fr, self.en, *self.aliases)


@dataclass(frozen=True, slots=True)
class Trade(_Localised):
    id: str
    fr: str
    en: str
    group: str


@dataclass(frozen=True, slots=True)
class Language(_Localised):
    code: str
    fr: str
    en: str


@dataclass(frozen=True, slots=True)
class SkillRef:
    """A member's skill: a thesaurus concept when recognised, and always a folded tag."""

    concept_id: str | None
    tag: str
    #: The concept was found inside a longer phrase ("cuisine provençale" -> cooking), not named
    #: by the whole of it: a narrower skill than the concept, not a second spelling of it.
    partial: bool = False


@dataclass(frozen=True, slots=True)
class Sense:
    """One meaning of a multi-sense term: its concept, and the trade groups it is meant for
    besides the concept's own group."""

    concept_id: str
    trade_groups: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QueryExpansion:
    """Concepts named by a query, the stemmed keys of its words, and the concepts around them.

    ``related_ids`` are the related and narrower concepts of ``concept_ids`` (and the other
    senses of a multi-sense word), minus ``concept_ids`` themselves: a wider net for ranking.
    """

    concept_ids: frozenset[str]
    keys: frozenset[str]
    related_ids: frozenset[str] = field(default=frozenset())
    #: The part of ``related_ids`` closest to the query: narrower concepts (transitively), the
    #: broader one, and the other senses of a multi-sense word (ranked before the merely
    #: related ones and a field's skills).
    near_ids: frozenset[str] = field(default=frozenset())


@dataclass(frozen=True, slots=True)
class Suggestion:
    concept_id: str
    label: str  # label in the requested locale
    matched: str  # the label or alias the prefix matched


def _term_key(text: str) -> str:
    """The exact-index key of a term: folded, inclusive spellings reduced."""
    return ungender(fold(text))


_STEMS: dict[str, str] = {}


def _stem(word: str) -> str:
    """:func:`stem`, memoised: the same few thousand words come back at load and per query."""
    found = _STEMS.get(word)
    if found is None:
        found = _STEMS[word] = stem(word)
    return found


def _stem_key_of_folded(folded: str) -> str:
    """Order-insensitive key of a phrase already passed through :func:`_term_key`: its
    sorted, de-duplicated stems."""
    return " ".join(sorted({_stem(tok) for tok in tokenize_folded(folded)}))


def clean_tag(text: str) -> str:
    """Fold a free skill label for storage: case, accents, spaces; trimmed punctuation."""
    return ungender(fold(text)).strip(" .,;:!?-'\"()[]{}")[:MAX_TAG_LENGTH].rstrip()


class Thesaurus:
    """Read-only lookups over concepts, groups, trades and languages."""

    def __init__(
        self,
        groups: list[Group],
        concepts: list[Concept],
        trades: list[Trade],
        languages: list[Language],
        senses: Mapping[str, Sequence[Sense]] | None = None,
    ) -> None:
        self._choices: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self._groups = {g.id: g for g in groups}
        self._concepts = {c.id: c for c in concepts}
        self._trades = {t.id: t for t in trades}
        self._languages = {lang.code: lang for lang in languages}
        if len(self._groups) != len(groups) or len(self._concepts) != len(concepts):
            raise ThesaurusError("duplicate group or concept id")
        if len(self._trades) != len(trades) or len(self._languages) != len(languages):
            raise ThesaurusError("duplicate trade id or language code")
        for item in (*concepts, *trades):
            if item.group not in self._groups:
                raise ThesaurusError(f"{item.id}: unknown group {item.group!r}")

        self._link(concepts)
        # Every term is folded once: (concept, term, locale, is_label, folded, exact key).
        prepared = [
            (concept, term, locale, is_label, folded, ungender(folded))
            for concept in concepts
            for term, locale, is_label in concept.term_locales()
            for folded in (fold(term),)
        ]

        # Exact index: folded label/alias -> concept id. A term may belong to one concept only.
        self._exact: dict[str, str] = {}
        for concept, term, _, _, _, key in prepared:
            owner = self._exact.setdefault(key, concept.id)
            if owner != concept.id:
                raise ThesaurusError(f"{term!r} belongs to {owner} and {concept.id}")

        # Multi-sense terms: folded term (and its stem key) -> the senses, default first.
        self._senses: dict[str, tuple[tuple[str, frozenset[str]], ...]] = {}
        self._sense_stems: dict[str, str] = {}
        for term, term_senses in (senses or {}).items():
            self._add_senses(term, term_senses)

        # Stem index: phrase stem key -> concept id; labels outrank aliases, ties are dropped.
        ranked: dict[str, tuple[int, set[str]]] = {}
        for concept, _, _, is_label, _, exact_key in prepared:
            key = _stem_key_of_folded(exact_key)
            if not key:
                continue
            weight = 0 if is_label else 1
            best = ranked.get(key)
            if best is None or weight < best[0]:
                ranked[key] = (weight, {concept.id})
            elif weight == best[0]:
                best[1].add(concept.id)
        self._by_stems = {
            k: next(iter(ids))
            for k, (_, ids) in ranked.items()
            if len(ids) == 1 and k not in self._sense_stems
        }
        self.ambiguous_stem_keys: frozenset[str] = frozenset(
            k for k, (_, ids) in ranked.items() if len(ids) > 1
        )

        # Typo tolerance: every folded single word of a label or alias -> concept ids.
        words: dict[str, set[str]] = {}
        for concept, _, _, _, folded, _ in prepared:
            if " " not in folded and len(folded) >= FUZZY_MIN_LENGTH:
                words.setdefault(folded, set()).add(concept.id)
        self._fuzzy_words = {w: ids for w, ids in words.items() if len(ids) == 1}
        self._fuzzy_choices = list(self._fuzzy_words)
        # Every word of every term, to correct a misspelt word inside a phrase ("devlopement
        # web" -> "developpement web") before the phrase is matched again.
        self._vocabulary = sorted({word for _c, _t, _l, _i, folded, _s in prepared
                                   for word in folded.replace("'", " ").split()
                                   if len(word) >= FUZZY_MIN_LENGTH})
        self._vocabulary_set = frozenset(self._vocabulary)
        # The same words by a rough French/English sound ("grafiste" ~ "graphiste").
        self._by_sound: dict[str, str] = {}
        for word in self._vocabulary:
            self._by_sound.setdefault(_sound(word), word)
        # Word stem -> the concepts whose terms hold it: a query word that names no concept on
        # its own ("musique", "numérique") still reaches the skills it is part of.
        by_word: dict[str, set[str]] = {}
        for concept, _term, _locale, _is_label, _folded, key in prepared:
            for token in tokenize_folded(key):
                if len(token) >= 4:
                    by_word.setdefault(_stem(token), set()).add(concept.id)
        self._word_concepts = {w: frozenset(ids) for w, ids in by_word.items()
                               if len(ids) <= WORD_CONCEPTS_MAX}
        # Every term's words, for truncations ("élec", "déco", "trad" -> their words).
        self._all_words = sorted({token for *_rest, key in prepared for token in tokenize_folded(key)})

        # Fields: a group's labels, each side of "&" in them, and its aliases -> group id.
        self._group_terms: dict[str, str] = {}
        for group in groups:
            terms = [group.fr, group.en, *group.aliases]
            terms += [part for label in (group.fr, group.en) for part in label.split("&")]
            for term in terms:
                key = _term_key(term.strip())
                if key and key not in self._group_terms:
                    self._group_terms[key] = group.id

        # Autocomplete: (folded term, original term, concept id, locale, is a label).
        self._suggest_terms = sorted(
            (folded, term, concept.id, locale, is_label)
            for concept, term, locale, is_label, folded, _ in prepared
        )

    def _link(self, concepts: list[Concept]) -> None:
        """Check the broader/related ids and index both directions of every link."""
        self._broader: dict[str, str] = {}
        narrower: dict[str, list[str]] = {}
        related: dict[str, set[str]] = {}
        for concept in concepts:
            links = ([concept.broader] if concept.broader else []) + list(concept.related)
            for other in links:
                if other not in self._concepts or other == concept.id:
                    raise ThesaurusError(f"{concept.id}: unknown or self link {other!r}")
            if concept.broader:
                self._broader[concept.id] = concept.broader
                narrower.setdefault(concept.broader, []).append(concept.id)
            for other in concept.related:
                related.setdefault(concept.id, set()).add(other)
                related.setdefault(other, set()).add(concept.id)
        for start in self._broader:
            seen = {start}
            current = self._broader.get(start)
            while current is not None:
                if current in seen:
                    raise ThesaurusError(f"{start}: broader links form a cycle")
                seen.add(current)
                current = self._broader.get(current)
        self._narrower = {k: tuple(sorted(v)) for k, v in narrower.items()}
        self._related = {k: tuple(sorted(v)) for k, v in related.items()}

    def _add_senses(self, term: str, senses: Sequence[Sense]) -> None:
        """Declare a multi-sense term; it must not also be a plain label or alias."""
        key = _term_key(term)
        if len(senses) < 2 or key in self._exact or key in self._senses:
            raise ThesaurusError(f"sense term {term!r}: needs 2+ senses and no plain alias")
        entries = []
        for sense in senses:
            concept = self._concepts.get(sense.concept_id)
            if concept is None:
                raise ThesaurusError(f"sense term {term!r}: unknown concept {sense.concept_id!r}")
            unknown = sense.trade_groups - self._groups.keys()
            if unknown:
                raise ThesaurusError(f"sense term {term!r}: unknown groups {sorted(unknown)}")
            entries.append((concept.id, frozenset({concept.group}) | sense.trade_groups))
        self._senses[key] = tuple(entries)
        stem_key = _stem_key_of_folded(key)
        if stem_key:
            self._sense_stems.setdefault(stem_key, key)

    # ----------------------------------------------------------------- accessors
    def concept(self, concept_id: str) -> Concept | None:
        return self._concepts.get(concept_id)

    def concepts(self) -> list[Concept]:
        return list(self._concepts.values())

    def group(self, group_id: str) -> Group | None:
        return self._groups.get(group_id)

    def groups(self) -> list[Group]:
        return list(self._groups.values())

    def concepts_in_group(self, group_id: str) -> list[Concept]:
        return [c for c in self._concepts.values() if c.group == group_id]

    def trade(self, trade_id: str) -> Trade | None:
        return self._trades.get(trade_id)

    def trades(self) -> list[Trade]:
        return list(self._trades.values())

    def choices(self, kind: str, locale: str) -> list[tuple[str, str]]:
        """The ``(id, label)`` options of a form's select of ``trades``, ``languages`` or ``groups``, in
        ``locale``'s alphabetical order, ignoring case (sorted once per process and locale)."""
        lang = "en" if locale[:2].lower() == "en" else "fr"
        found = self._choices.get((kind, lang))
        if found is None:
            items = {"trades": self._trades, "languages": self._languages, "groups": self._groups}[kind]
            found = sorted(((key, getattr(item, lang)) for key, item in items.items()),
                           key=lambda option: option[1].lower())
            self._choices[(kind, lang)] = found
        return found

    def language(self, code: str) -> Language | None:
        return self._languages.get(code.strip().lower()) if code else None

    def languages(self) -> list[Language]:
        return list(self._languages.values())

    def label(self, concept_id: str, locale: str = "fr") -> str:
        """Concept label in ``locale`` ("fr" or "en", regional variants accepted)."""
        concept = self._concepts.get(concept_id)
        if concept is None:
            raise KeyError(concept_id)
        return concept.en if locale[:2].lower() == "en" else concept.fr

    def level_band(self, level: str) -> str:
        """The wire band (``beginner``/``confirmed``/``expert``) of a member's skill level."""
        return LEVEL_BANDS.get(level, "confirmed")

    def parent_group(self, concept_id: str) -> Group | None:
        """The group a concept generalises to (ébéniste -> métiers du bois)."""
        concept = self._concepts.get(concept_id)
        return self._groups[concept.group] if concept else None

    def broader(self, concept_id: str) -> str | None:
        """The broader concept of ``concept_id`` (SKOS broader), or None."""
        return self._broader.get(concept_id)

    def narrower(self, concept_id: str) -> tuple[str, ...]:
        """The concepts whose broader concept is ``concept_id``."""
        return self._narrower.get(concept_id, ())

    def related(self, concept_id: str) -> tuple[str, ...]:
        """The concepts related to ``concept_id`` (symmetric: a related to b iff b to a)."""
        return self._related.get(concept_id, ())

    def senses(self, text: str) -> tuple[str, ...]:
        """The concept ids a multi-sense term may mean, default first; () for other terms."""
        return tuple(concept_id for concept_id, _ in self._senses_of(text))

    def resolve_typo(self, word: str) -> Concept | None:
        """The concept a misspelt word of 5+ letters most likely names ("comptabilte")."""
        folded = fold(word)
        if len(folded) < FUZZY_MIN_LENGTH or " " in folded or folded in STOPWORDS:
            return None
        from rapidfuzz import fuzz, process  # imported lazily: only searches need it

        found = process.extractOne(
            folded, self._fuzzy_choices, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN_SCORE
        )
        if found is None:
            return None
        return self._concepts[next(iter(self._fuzzy_words[found[0]]))]

    def __len__(self) -> int:
        return len(self._concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(self._concepts.values())

    # ----------------------------------------------------------------- matching
    def resolve(self, text: str, trade_id: str | None = None) -> Concept | None:
        """The concept ``text`` names as a whole phrase, or None.

        ``trade_id`` (the member's trade) picks the sense of a multi-sense term
        ("tournage" for a ceramicist is pottery throwing); without it, the default sense.
        """
        concept_id = self._match(text, trade_id)[0] if text else None
        return self._concepts[concept_id] if concept_id else None

    def normalize_skill(self, text: str, trade_id: str | None = None) -> SkillRef:
        """Map a skill as typed by a member to a concept, keeping a folded tag in every case.

        Unknown skills keep only the tag: "Sérigraphie Artisanale" -> tag
        "serigraphie artisanale".  Empty input gives ``SkillRef(None, "")``.  The
        member's ``trade_id`` disambiguates multi-sense terms (see :meth:`resolve`).
        """
        tag = clean_tag(text or "")
        if not tag:
            return SkillRef(None, "")
        concept = self.resolve(tag, trade_id)
        if concept is None:
            concept_id = self._within(tag, trade_id)
            return SkillRef(concept_id, tag, partial=concept_id is not None)
        return SkillRef(concept.id, tag)

    def _within(self, tag: str, trade_id: str | None) -> str | None:
        """The concept a longer skill phrase names inside it, when the whole names none:
        "comptabilité TPE", "avocate en droit commercial", "céramique / émaillage". The longest
        run of words that names a concept wins (the leftmost among equals); a lone misspelt
        word of 5+ letters is resolved approximately ("comptabilté")."""
        words = _term_key(tag).replace("'", " ").replace("/", " ").split()
        if len(words) == 1:
            typo = self.resolve_typo(words[0])
            return typo.id if typo else None
        for size in range(min(_MAX_NGRAM, len(words) - 1), 0, -1):
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                if not tokenize_folded(phrase):
                    continue
                found, _alternatives = self._match(phrase, trade_id)
                if found is not None:
                    return found
        return None

    def _match(self, text: str, trade_id: str | None) -> tuple[str | None, tuple[str, ...]]:
        """(concept id, the other senses of the term) for a whole phrase."""
        folded = _term_key(text)
        senses = self._senses.get(folded)
        concept_id = None if senses else self._exact.get(folded)
        if senses is None and concept_id is None:
            # "un chauffeur" is the alias "chauffeur" before it is a stem ("chauff", heating).
            content = " ".join(tokenize_folded(folded))
            if content != folded:
                senses = self._senses.get(content)
                concept_id = None if senses else self._exact.get(content)
        if senses is None and concept_id is None:
            key = _stem_key_of_folded(folded)
            if not key:
                return None, ()
            senses = self._senses.get(self._sense_stems.get(key, ""))
            concept_id = None if senses else self._by_stems.get(key)
        if senses:
            chosen = self._pick_sense(senses, trade_id)
            return chosen, tuple(cid for cid, _ in senses if cid != chosen)
        return concept_id, ()

    def _pick_sense(self, senses: tuple[tuple[str, frozenset[str]], ...], trade_id: str | None) -> str:
        """The sense meant for the trade's group, else the default (first) sense."""
        trade = self._trades.get(trade_id) if trade_id else None
        if trade is not None:
            for concept_id, groups in senses:
                if trade.group in groups:
                    return concept_id
        return senses[0][0]

    def _senses_of(self, text: str) -> tuple[tuple[str, frozenset[str]], ...]:
        folded = _term_key(text or "")
        senses = self._senses.get(folded)
        if senses is None:
            senses = self._senses.get(self._sense_stems.get(_stem_key_of_folded(folded), ""))
        return senses or ()

    def expand_query(self, text: str, *, typos: bool = False) -> QueryExpansion:
        """Concepts named anywhere in a search query, and the query's own stemmed keys.

        The whole query, else each run of up to five consecutive words (longest first,
        skipping runs inside an already matched one) is resolved, so "comptable à
        Marseille" still finds ``accounting``.  ``keys`` are only
        the stems of the query's words (callers AND them), never alias stems.
        With ``typos``, words of 5+ letters left unmatched are corrected to the closest word of
        the vocabulary and the phrases matched again, else resolved approximately alone.
        Multi-sense words take their default sense; their other senses, and the related
        and narrower concepts of every concept found, go to ``related_ids`` (narrower and
        other senses also to ``near_ids``), and so do the skills of a field the query names
        with words no concept holds ("bâtiment", "bien-être").
        """
        concept_ids: set[str] = set()
        other_senses: set[str] = set()
        fields: set[str] = set()
        loose: frozenset[str] = frozenset()
        if text and text.strip():
            whole, alternatives = self._match(text, None)
            if whole is not None:
                concept_ids.add(whole)
                other_senses.update(alternatives)
            else:
                words = _term_key(text).replace("'", " ").split()
                covered: set[int] = set()
                self._join_split_words(words, covered, concept_ids)
                for size in range(min(_MAX_NGRAM, len(words)), 0, -1):
                    for start in range(len(words) - size + 1):
                        span = set(range(start, start + size))
                        if span <= covered:
                            continue  # already inside a longer matched phrase
                        phrase = " ".join(words[start : start + size])
                        if not tokenize_folded(phrase):
                            continue
                        found, alternatives = self._match(phrase, None)
                        if found is not None:
                            concept_ids.add(found)
                            other_senses.update(alternatives)
                            covered |= span
                if typos:
                    self._complete_truncations(words, covered, concept_ids)
                    corrected = self._corrected(words, covered)
                    if corrected != words:
                        for size in range(min(_MAX_NGRAM, len(words)), 0, -1):
                            for start in range(len(words) - size + 1):
                                span = set(range(start, start + size))
                                if span <= covered or not span & self._changed(words, corrected):
                                    continue
                                found, alternatives = self._match(
                                    " ".join(corrected[start : start + size]), None)
                                if found is not None:
                                    concept_ids.add(found)
                                    other_senses.update(alternatives)
                                    covered |= span
                    for index, word in enumerate(words):
                        if index not in covered and (found := self.resolve_typo(word)):
                            concept_ids.add(found.id)
                            covered.add(index)
                fields = self._fields(words, covered)
                if typos:
                    loose = self._loose_concepts(words, covered)
        near = (self._narrower_of(concept_ids) | frozenset(other_senses)) - concept_ids
        around = self._around(concept_ids) | near
        for group_id in fields:
            around |= {c.id for c in self.concepts_in_group(group_id)} - concept_ids
        around |= loose - concept_ids
        return QueryExpansion(
            frozenset(concept_ids),
            frozenset(search_keys(text or "")),
            frozenset(around),
            frozenset(near),
        )

    def _corrected(self, words: list[str], covered: set[int]) -> list[str]:
        """``words`` with each uncovered word of 5+ letters that no term holds replaced by the
        closest word of the vocabulary (similarity >= FUZZY_MIN_SCORE)."""
        result = list(words)
        for index, word in enumerate(words):
            if index in covered or len(word) < FUZZY_MIN_LENGTH or word in self._vocabulary_set \
                    or word in STOPWORDS:
                continue
            if (same_sound := self._by_sound.get(_sound(word))) is not None:
                result[index] = same_sound
                continue
            from rapidfuzz import fuzz, process  # imported lazily: only searches need it

            found = process.extractOne(word, self._vocabulary, scorer=fuzz.ratio,
                                       score_cutoff=FUZZY_MIN_SCORE)
            if found is not None:
                result[index] = found[0]
        return result

    def _join_split_words(self, words: list[str], covered: set[int], concept_ids: set[str]) -> None:
        """Two words typed apart that name a concept together ("word press")."""
        for start in range(len(words) - 1):
            if {start, start + 1} & covered or words[start] in STOPWORDS \
                    or words[start + 1] in STOPWORDS:
                continue
            found = self._exact.get(words[start] + words[start + 1])  # a term as written only
            if found is not None:
                concept_ids.add(found)
                covered |= {start, start + 1}

    def _completions(self, word: str, limit: int = 60) -> list[str]:
        """The words of the vocabulary a short word ("dev", "élec") begins, if it is none."""
        if not TRUNCATION_MIN_LENGTH <= len(word) <= FUZZY_MIN_LENGTH or not word.isalpha() \
                or word in self._vocabulary_set or word in STOPWORDS:
            return []
        start = bisect_left(self._all_words, word)
        found = []
        for candidate in self._all_words[start:start + limit]:
            if not candidate.startswith(word):
                break
            if candidate != word:
                found.append(candidate)
        return found

    def _complete_truncations(self, words: list[str], covered: set[int], concept_ids: set[str]) -> None:
        """A short word inside a phrase, completed so that the phrase names a concept:
        "dev mobile" -> "developpeur mobile"."""
        for index, word in enumerate(words):
            if index in covered or len(words) < 2:
                continue
            spans = [(index, index + 1), (index - 1, index), (index - 1, index + 1)]
            for candidate in self._completions(word):
                for first, last in spans:
                    if first < 0 or last >= len(words) or set(range(first, last + 1)) & covered:
                        continue
                    phrase = words[first:last + 1]
                    phrase[index - first] = candidate
                    found, _alternatives = self._match(" ".join(phrase), None)
                    if found is not None:
                        concept_ids.add(found)
                        covered |= set(range(first, last + 1))
                        break
                if index in covered:
                    break

    def _loose_concepts(self, words: list[str], covered: set[int]) -> frozenset[str]:
        """For the words no concept or field took: the concepts whose terms hold the word
        ("musique" -> music lessons, sound engineering), or, for a word too short to be one,
        the words it begins ("élec" -> électricité, électricien)."""
        found: set[str] = set()
        for index, word in enumerate(words):
            if index in covered or word in STOPWORDS or not word.isalpha():
                continue
            ids = self._word_concepts.get(_stem(word))
            if ids is None and (longer := self._completions(word)):
                ids = frozenset().union(*(self._word_concepts.get(_stem(w), frozenset())
                                          for w in longer))
                if ids is not None and len(ids) > WORD_CONCEPTS_MAX:
                    ids = None
            if ids:
                found |= ids
        return frozenset(found)

    @staticmethod
    def _changed(words: list[str], corrected: list[str]) -> set[int]:
        return {i for i, (a, b) in enumerate(zip(words, corrected, strict=True)) if a != b}

    def _fields(self, words: list[str], covered: set[int]) -> set[str]:
        """Groups (fields) the query's words not matched to a concept name ("bâtiment")."""
        found: set[str] = set()
        for size in range(min(3, len(words)), 0, -1):
            for start in range(len(words) - size + 1):
                span = set(range(start, start + size))
                if span & covered:
                    continue
                group_id = self._group_terms.get(" ".join(words[start : start + size]))
                if group_id is not None:
                    found.add(group_id)
                    covered |= span
        return found

    def _narrower_of(self, concept_ids: Iterable[str]) -> frozenset[str]:
        """Every concept below ``concept_ids`` (narrower, transitively), and their broader one."""
        found: set[str] = set()
        todo = list(concept_ids)
        for concept_id in todo:
            if (parent := self._broader.get(concept_id)) is not None:
                found.add(parent)
        while todo:
            for child in self._narrower.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    def _around(self, concept_ids: Iterable[str]) -> frozenset[str]:
        """Related and narrower concepts of ``concept_ids``, without those concepts."""
        ids = set(concept_ids)
        found: set[str] = set()
        for concept_id in ids:
            found.update(self._related.get(concept_id, ()))
            found.update(self._narrower.get(concept_id, ()))
        return frozenset(found - ids)

    def suggest(self, prefix: str, locale: str = "fr", limit: int = 10) -> list[Suggestion]:
        """Concepts for autocomplete whose label or an alias matches ``prefix``.

        Each concept appears once, with its label in ``locale``. Ranking: the whole
        term, then a whole first word, a whole inner word, the start of the term, the
        start of an inner word; within each, terms in ``locale`` before the other
        language and labels before aliases; then alphabetically.
        """
        needle = fold(prefix)
        if not needle or limit <= 0:
            return []
        lang = "en" if locale[:2].lower() == "en" else "fr"
        best: dict[str, tuple[int, str]] = {}
        for folded, original, concept_id, term_lang, is_label in self._suggest_terms:
            words = " " + re.sub(r"[^a-z0-9+#]+", " ", folded) + " "
            if folded == needle:
                base = 0
            elif words.startswith(f" {needle} "):
                base = 1
            elif f" {needle} " in words:
                base = 2
            elif folded.startswith(needle):
                base = 3
            elif f" {needle}" in words:
                base = 4
            else:
                continue
            score = base * 4 + (0 if term_lang == lang else 2) + (0 if is_label else 1)
            if concept_id not in best or score < best[concept_id][0]:
                best[concept_id] = (score, original)
        ordered = sorted(
            best.items(),
            key=lambda item: (item[1][0], fold(self.label(item[0], locale)), item[0]),
        )
        return [
            Suggestion(concept_id, self.label(concept_id, locale), matched)
            for concept_id, (_, matched) in ordered[:limit]
        ]


# --------------------------------------------------------------------- loading
def _read_json(name: str) -> object:
    data_dir = resources.files("node").joinpath("data")
    return json.loads(data_dir.joinpath(name).read_text(encoding="utf-8"))


def load_thesaurus() -> Thesaurus:
    """Build a fresh :class:`Thesaurus` from the bundled JSON files."""
    skills = _read_json("skills.json")
    trades = _read_json("trades.json")
    languages = _read_json("languages.json")
    assert isinstance(skills, dict) and isinstance(trades, dict) and isinstance(languages, list)
    groups = [Group(g["id"], g["fr"], g["en"],
                    tuple(g.get("aliases_fr", [])) + tuple(g.get("aliases_en", [])))
              for g in skills["groups"]]
    concepts = [
        Concept(
            c["id"], c["group"], c["fr"], c["en"],
            tuple(c.get("aliases_fr", [])) + tuple(c.get("aliases_en", [])),
            tuple(c.get("aliases_en", [])),
            c.get("broader"),
            tuple(c.get("related", [])),
        )
        for c in skills["concepts"]
    ]
    senses = {
        term: [Sense(s["concept"], frozenset(s.get("trade_groups", []))) for s in entries]
        for term, entries in skills.get("senses", {}).items()
    }
    trade_list = [Trade(t["id"], t["fr"], t["en"], t["group"]) for t in trades["trades"]]
    language_list = [Language(lang["code"], lang["fr"], lang["en"]) for lang in languages]
    return Thesaurus(groups, concepts, trade_list, language_list, senses)


@cache
def get_thesaurus() -> Thesaurus:
    """The process-wide thesaurus (loaded once)."""
    return load_thesaurus()
