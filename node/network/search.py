"""Network search: the replicated copies of peers' directory entries plus our own members,
indexed by (concept, precomputed score, entry), searched locally.

Peers' entries arrive through the signed feed (``directory.entry``) and carry a lease: a copy
whose lease ran out is dropped even if its tombstone never arrived. Our own active members
are indexed from their profiles. A result shows only the concepts the query matched, never a
whole skill set, and stands behind a per-search handle rather than the entry's pseudonym.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import bindparam, delete, select, text, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, selectinload

from ..errors import N_, NotFound, RateLimited
from ..federation.models import FeedCopy
from ..federation.registry import HandlerRegistry
from ..members.models import Member
from ..members.textnorm import stem, tokenize
from ..members.thesaurus import Thesaurus, get_thesaurus
from ..orm import UTCDateTime, utcnow
from .copies import apply_directory_page
from .models import NetworkEntry, NetworkEntryConcept, NetworkSearchCount
from .ranking import GROUP_PREFIX, ITEM_TYPE, PROXIMITY_LOCAL, entry_score, group_key, our_locality

logger = logging.getLogger(__name__)

MAX_RESULTS = 50
#: Entries holding every concept of a multi-concept query are looked for among this many best
#: holders of the first concept (bounds the cost when the combination is rare).
AND_SCAN = 1000
#: Facets are counted over at most this many matches, the best ranked (by precomputed score):
#: beyond it the counts are those of the best ones and the result says it is capped. Counting
#: every match costs a read per matching entry (0.7 s at 1 000 000 entries on SQLite); the
#: cap bounds it (``python -m bench search``; ``NETWORK_FACET_CAP`` in the config).
FACET_CAP = 500
#: Per query key, facet candidates are looked for among this many best holders only, so a
#: selective filter (a place, a rare language) cannot make the count walk a whole concept.
FACET_SCAN = 2000
#: At most this many skills around the query's concepts are looked up per tier (a field such as
#: "bâtiment" holds up to about 50).
RELATED_MAX = 64


def _availability(entry: NetworkEntry) -> int:
    return int(entry.open_to_help) + int(entry.open_to_paid) + int(entry.open_to_barter)


def _reindex(session: Session, entry: NetworkEntry, concepts: Iterable[tuple[str, str, bool]],
             proximity: int, *, new: bool = False) -> None:
    if not new:  # a new entry has no index rows yet
        session.execute(delete(NetworkEntryConcept).where(NetworkEntryConcept.entry_id == entry.id))
    seen: set[str] = set()
    for key, band, generalised in concepts:
        if key in seen:
            continue
        seen.add(key)
        session.add(NetworkEntryConcept(
            concept=key, entry_id=entry.id, level_band=band, is_generalised=generalised,
            place_value=entry.place_value,
            score=entry_score(band, available=_availability(entry), proximity=proximity,
                              generalised=generalised),
        ))


# --- peers' copies --------------------------------------------------------------------------


def apply_directory_item(session: Session, peer, item: dict, now: datetime | None = None) -> None:
    """Store or drop a peer's verified ``directory.entry`` item (idempotent): a page of one."""
    apply_directory_page(session, peer, [item], now)


def _on_directory_item(session: Session, peer, item: dict) -> None:
    apply_directory_item(session, peer, item)


def _drop_entries(session: Session, condition) -> int:
    rows = session.execute(select(NetworkEntry.id, NetworkEntry.object_id).where(condition)).all()
    if not rows:
        return 0
    ids = [row.id for row in rows]
    session.execute(delete(NetworkEntryConcept).where(NetworkEntryConcept.entry_id.in_(ids)))
    session.execute(delete(NetworkEntry).where(NetworkEntry.id.in_(ids)))
    # The transport's copy of the signed item holds the same content: keep only its seq
    # (the ordering guard), as for a tombstone.
    session.execute(update(FeedCopy).where(FeedCopy.object_id.in_([r.object_id for r in rows]))
                    .values(item_json=None))
    session.flush()
    return len(ids)


def expire_copies(session: Session, now: datetime) -> int:
    """Drop peers' copies whose lease ran out, even if their tombstone never arrived."""
    dropped = _drop_entries(session, NetworkEntry.owner.is_not(None) & (NetworkEntry.lease_until < now))
    if dropped:
        logger.info("dropped %d expired directory copies", dropped)
    return dropped


def drop_unseen_copies(session: Session, peer, started_at: datetime) -> int:
    """After a full resync from ``peer``, drop its entries the resync did not send again."""
    return _drop_entries(session, (NetworkEntry.owner == peer.node_id)
                         & (NetworkEntry.updated_at < started_at))


# --- our own members ------------------------------------------------------------------------


def refresh_local_entries(session: Session, member_ids: Iterable[int] | None = None,
                          thesaurus: Thesaurus | None = None) -> None:
    """Index our active members (all of them, or ``member_ids``) for network search."""
    thesaurus = thesaurus or get_thesaurus()
    space = our_locality(session)
    statement = select(Member).options(selectinload(Member.skills), selectinload(Member.languages))
    stale = select(NetworkEntry).where(NetworkEntry.member_id.is_not(None))
    if member_ids is not None:
        ids = list(member_ids)
        statement = statement.where(Member.id.in_(ids))
        stale = stale.where(NetworkEntry.member_id.in_(ids))
    existing = {entry.member_id: entry for entry in session.scalars(stale)}
    for member in session.scalars(statement):
        entry = existing.pop(member.id, None)
        concepts = [s for s in member.skills if s.concept_id]
        if not member.is_active or not concepts:
            if entry is not None:
                session.delete(entry)
            continue
        if entry is None:
            entry = NetworkEntry(member_id=member.id)
            session.add(entry)
        trade = thesaurus.trade(member.trade_id) if member.trade_id else None
        entry.is_named = True
        entry.display_name = member.display_name
        entry.headline = member.headline
        entry.languages = " " + " ".join(member.language_codes) + " "
        entry.open_to_help = member.open_to_help
        entry.open_to_paid = member.open_to_paid
        entry.open_to_barter = member.open_to_barter
        entry.trade_group = trade.group if trade else None
        entry.place_kind = "space"
        entry.place_value = space.name
        entry.updated_at = utcnow()
        session.flush()
        _reindex(session, entry, (
            (s.concept_id, thesaurus.level_band(s.level), False) for s in concepts
        ), PROXIMITY_LOCAL)
    for entry in existing.values():
        session.delete(entry)
    session.flush()


# --- search ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetworkQuery:
    text: str = ""
    language: str | None = None
    trade_group: str | None = None
    place: str | None = None
    open_to_help: bool = False
    open_to_paid: bool = False
    open_to_barter: bool = False
    limit: int = 20


@dataclass(frozen=True)
class MatchedConcept:
    key: str  # concept id or ``g:<group>``
    level_band: str
    is_generalised: bool


@dataclass
class Hit:
    entry: NetworkEntry
    matched: list[MatchedConcept] = field(default_factory=list)

    @property
    def is_local(self) -> bool:
        return self.entry.member_id is not None


@dataclass
class SearchResult:
    concept_ids: frozenset[str]
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    #: How many matches the facet counts cover.
    facet_total: int = 0
    #: True when there are more matches than ``facet_total`` (the counts cover the best ones).
    facets_capped: bool = False


def _concept_keys(concept_ids: Iterable[str], thesaurus: Thesaurus) -> list[tuple[str, str]]:
    """Per query concept, its two index keys: the concept and its (generalised) group."""
    return [(c, group_key(thesaurus.parent_group(c).id)) for c in sorted(concept_ids)]


def _filter_sql(query: NetworkQuery, exclude_member_id: int | None) -> tuple[str, dict]:
    """The entry filters as SQL over ``e`` (network_entries), with their parameters.

    The SQL built here and below is made of fixed fragments only; every value is bound."""
    clauses = ["(e.owner IS NULL OR e.lease_until >= :now)"]
    params: dict = {}
    if exclude_member_id is not None:
        clauses.append("(e.member_id IS NULL OR e.member_id <> :me)")
        params["me"] = exclude_member_id
    if query.language:
        clauses.append("e.languages LIKE :language")
        params["language"] = f"% {query.language} %"
    if query.trade_group:
        clauses.append("e.trade_group = :trade_group")
        params["trade_group"] = query.trade_group
    if query.place:
        clauses.append("e.place_value = :place")
        params["place"] = query.place
    for flag in ("open_to_help", "open_to_paid", "open_to_barter"):
        if getattr(query, flag):
            clauses.append(f"e.{flag} = :yes")
            params["yes"] = True
    return " AND ".join(clauses), params


def _index_filter(params: dict) -> str:
    """The filters the index rows answer themselves, as SQL over ``c`` (network_entry_concepts):
    the place, which every index row repeats from its entry. A lookup filtered on one place then
    reads the (concept, place, score, entry) index in score order, instead of joining each of
    the concept's best holders to its entry only to reject those elsewhere."""
    return " AND c.place_value = :place" if "place" in params else ""


def _run(session: Session, sql: str, params: dict, now: datetime) -> list:
    statement = text(sql).bindparams(bindparam("now", type_=UTCDateTime))
    return session.execute(statement, {**params, "now": now}).all()


def _best_of_key(key_param: str, cap: int) -> str:
    # Walks the (concept, score, entry_id) primary key backwards: no sort, stops at ``cap``.
    return (
        "SELECT entry_id, score FROM network_entry_concepts "  # noqa: S608
        f"WHERE concept = :{key_param} ORDER BY score DESC, entry_id DESC LIMIT {int(cap)}"
    )


def _top_for_key(key_param: str, where: str, limit: int, extra: str = "",
                 scan: int | None = None, index_filter: str = "") -> str:
    """The ``limit`` best entries holding one key that pass the filters; with ``scan``, only
    among the key's ``scan`` best entries (bounds the cost of rare combinations).
    ``index_filter`` (see :func:`_index_filter`) narrows the index rows read without a scan."""
    if scan is not None:
        source = f"({_best_of_key(key_param, scan)}) c"
        key_filter = ""
    else:
        source = "network_entry_concepts c"
        key_filter = f"c.concept = :{key_param}{index_filter} AND "
    return (
        f"SELECT c.entry_id AS entry_id, c.score AS score FROM {source} "  # noqa: S608
        f"JOIN network_entries e ON e.id = c.entry_id WHERE {key_filter}"
        f"{where}{extra} ORDER BY c.score DESC, c.entry_id DESC LIMIT {int(limit)}"
    )


def _present_keys(session: Session, keys: list[str]) -> set[str]:
    """The query keys some entry holds (one index probe each). The lookups skip the others,
    so that no database plans a scan for a key without rows (PostgreSQL, going by its
    average statistics, would start parallel workers for it)."""
    if not keys:
        return set()
    params = {f"p{n}": key for n, key in enumerate(keys)}
    rows = session.execute(text(" UNION ALL ".join(
        f"SELECT {n} WHERE EXISTS (SELECT 1 FROM network_entry_concepts "  # noqa: S608
        f"WHERE concept = :p{n})" for n in range(len(keys)))), params).scalars()
    return {keys[n] for n in rows}


def _ranked_entries(session: Session, concept_keys: list[tuple[str, str]], present: set[str],
                    where: str, params: dict, limit: int, now: datetime,
                    *, any_only: bool = False) -> list[int]:
    """Entry ids, best first: entries holding every query concept (looked for among the
    ``AND_SCAN`` best holders of the first one), then any of them; within each tier by
    precomputed score. Each lookup reads the index in score order; keys that no entry holds
    (not in ``present``) are not looked up."""
    params = dict(params)
    ranked: list[int] = []
    if not any_only and len(concept_keys) > 1 and all(present & set(pair) for pair in concept_keys):
        others = []
        for i, (concept, group) in enumerate(concept_keys[1:]):
            params[f"o{i}"], params[f"og{i}"] = concept, group
            others.append(
                "EXISTS (SELECT 1 FROM network_entry_concepts x WHERE x.entry_id = c.entry_id "  # noqa: S608
                f"AND x.concept IN (:o{i}, :og{i}))"
            )
        extra = " AND " + " AND ".join(others)
        first = [(f"k{n}", key) for n, key in enumerate(concept_keys[0]) if key in present]
        params.update(first)
        rows = _run(session, " UNION ALL ".join(
            f"SELECT * FROM ({_top_for_key(name, where, limit, extra, AND_SCAN)}) t{name}"  # noqa: S608
            for name, _key in first), params, now)
        for entry_id, _score in sorted(rows, key=lambda r: (-r[1], -r[0])):
            if entry_id not in ranked:
                ranked.append(entry_id)
        if len(ranked) >= limit:
            return ranked[:limit]
    keys = list(dict.fromkeys(key for pair in concept_keys for key in pair if key in present))
    if not keys:
        return ranked
    for n, key in enumerate(keys):
        params[f"a{n}"] = key
    index_filter = _index_filter(params)
    rows = _run(session, " UNION ALL ".join(
        f"SELECT * FROM ({_top_for_key(f'a{n}', where, limit, index_filter=index_filter)}) "  # noqa: S608
        f"u{n}" for n in range(len(keys))
    ), params, now)
    for entry_id, _score in sorted(rows, key=lambda r: (-r[1], -r[0])):
        if entry_id not in ranked:
            ranked.append(entry_id)
    return ranked[:limit]


def search_network(session: Session, query: NetworkQuery, *, exclude_member_id: int | None = None,
                   thesaurus: Thesaurus | None = None, now: datetime | None = None,
                   facets: bool = True, facet_cap: int = FACET_CAP) -> SearchResult:
    """Entries holding a concept the query names, best first (entries holding every concept
    of the query, then by precomputed score); ``facets`` count the best ``facet_cap`` matches
    (all of them when there are no more) and say whether more exist."""
    thesaurus = thesaurus or get_thesaurus()
    now = now or utcnow()
    expansion = thesaurus.expand_query(query.text, typos=True)
    concept_ids = expansion.concept_ids
    where, params = _filter_sql(query, exclude_member_id)
    limit = max(1, min(query.limit, MAX_RESULTS))
    concept_keys = _concept_keys(concept_ids, thesaurus)
    # Skills around the query rank below every exact match: first the narrower ones and the
    # other senses of the word ("avocat" -> business law), then the related ones and the
    # skills of a field the query names ("bâtiment").
    near = sorted(expansion.near_ids - concept_ids)[:RELATED_MAX]
    far = sorted(expansion.related_ids - concept_ids - expansion.near_ids)[:RELATED_MAX]
    keys = [key for pair in concept_keys for key in pair] + near + far
    present = _present_keys(session, keys)
    ranked = _ranked_entries(session, concept_keys, present, where, params, limit, now)
    for tier in (near, far):
        if len(ranked) >= limit or not present & set(tier):
            continue
        for entry_id in _ranked_entries(session, [(key, key) for key in tier], present, where,
                                        params, limit, now, any_only=True):
            if len(ranked) >= limit:
                break
            if entry_id not in ranked:
                ranked.append(entry_id)
    if len(ranked) < limit:  # fill up with the names and headlines that hold every query word
        for entry_id in _text_entries(session, query.text, where, params, limit, now):
            if len(ranked) >= limit:
                break
            if entry_id not in ranked:
                ranked.append(entry_id)
    if not ranked and not keys:
        return SearchResult(concept_ids, [], {})
    entries = {e.id: e for e in session.scalars(
        select(NetworkEntry).where(NetworkEntry.id.in_(ranked)))} if ranked else {}
    hits = {entry_id: Hit(entries[entry_id]) for entry_id in ranked}
    if ranked:
        rows = session.scalars(select(NetworkEntryConcept).where(
            NetworkEntryConcept.entry_id.in_(ranked), NetworkEntryConcept.concept.in_(keys)
        ).order_by(NetworkEntryConcept.score.desc()))
        for row in rows:
            hits[row.entry_id].matched.append(
                MatchedConcept(row.concept, row.level_band, row.is_generalised)
            )
    result = SearchResult(concept_ids, [hits[i] for i in ranked], {})
    if facets:
        cap = max(1, facet_cap)
        if present:
            candidates, capped = _concept_candidates(
                session, [key for key in keys if key in present], where, params, cap, now)
        else:  # no entry holds a skill the query names: the entries its words find
            candidates, capped = _text_candidates(session, query.text, where, params, cap, now)
        result.facets = _count_facets(candidates)
        result.facet_total, result.facets_capped = len(candidates), capped
    return result


# --- free text: the database's own full-text engine -----------------------------------------


def text_terms(text_query: str) -> list[str]:
    """The query's words as full-text prefix terms: folded, stopwords out, then stemmed
    (accents are folded before stemming, as the index folds them), duplicates dropped."""
    terms: list[str] = []
    for token in tokenize(text_query):
        term = stem(token.rstrip("+#"))
        if term and term not in terms:
            terms.append(term)
    return terms[:8]


#: PostgreSQL: the newest rows of the full-text table read in id order, before its GIN index is
#: asked (see :func:`_text_match`). Reading them costs a few milliseconds at most.
TEXT_WINDOW = 20 * AND_SCAN


@dataclass(frozen=True)
class _TextMatch:
    #: SQL: the entry ids of the ``AND_SCAN`` newest entries holding every query word.
    newest: str
    #: ``<table> WHERE <match>``: every matching row (to count them).
    matching: str
    #: The bound match expression (``:match``).
    expression: str


def _text_match(session: Session, text_query: str) -> _TextMatch | None:
    """The dialect's full-text match of every query word, or None without words.

    SQLite: FTS5 (``unicode61 remove_diacritics 2``), whose rowids it walks newest first.
    PostgreSQL: the narrow ``network_entry_texts`` table (``unaccent`` then the ``simple``
    configuration) and its GIN index. The GIN index finds every match but not the newest
    first: for a frequent word (or words that go together, which the planner takes for rare)
    reading all of them to keep the newest ``AND_SCAN`` costs a row each. So the newest
    ``TEXT_WINDOW`` rows are read first, in id order, until ``AND_SCAN`` of them match; only
    when they hold fewer is the GIN index asked for all. Both give the same ids. Both backends
    match the same prefix terms, so both return the same entries."""
    terms = text_terms(text_query)
    if not terms:
        return None
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        matching = "network_entries_fts WHERE network_entries_fts MATCH :match"
        return _TextMatch(f"SELECT rowid FROM {matching} ORDER BY rowid DESC "  # noqa: S608
                          f"LIMIT {AND_SCAN}", matching,
                          " AND ".join(f'"{term}"*' for term in terms))
    if dialect == "postgresql":
        match = "search_tsv @@ to_tsquery('simple', :match)"
        matching = f"network_entry_texts WHERE {match}"
        newest = (
            "WITH recent AS MATERIALIZED (SELECT entry_id FROM (SELECT entry_id, search_tsv "  # noqa: S608
            f"FROM network_entry_texts ORDER BY entry_id DESC LIMIT {TEXT_WINDOW}) w "
            f"WHERE {match} LIMIT {AND_SCAN}) "
            f"SELECT entry_id FROM recent WHERE (SELECT COUNT(*) FROM recent) = {AND_SCAN} "
            f"UNION ALL SELECT entry_id FROM (SELECT entry_id FROM {matching} "
            f"ORDER BY entry_id DESC LIMIT {AND_SCAN}) a "
            f"WHERE (SELECT COUNT(*) FROM recent) < {AND_SCAN}"
        )
        return _TextMatch(newest, matching, " & ".join(f"{term}:*" for term in terms))
    return None  # pragma: no cover - the two supported backends


def _text_rows(session: Session, match: _TextMatch | None, where: str, params: dict,
               limit: int, now: datetime, columns: str = "e.id") -> list:
    """``columns`` of the entries whose name or headline holds every query word (as a prefix
    of a word), local members first, then newest; looked for among the ``AND_SCAN`` newest
    matching entries (their ids come from the full-text table alone, then only those entries
    are read)."""
    if match is None:
        return []
    return _run(session, (
        f"SELECT {columns} FROM network_entries e WHERE e.id IN ({match.newest}) "  # noqa: S608
        f"AND {where} "
        f"ORDER BY CASE WHEN e.member_id IS NULL THEN 1 ELSE 0 END, e.id DESC LIMIT {int(limit)}"
    ), {**params, "match": match.expression}, now)


def _text_entries(session: Session, text_query: str, where: str, params: dict, limit: int,
                  now: datetime) -> list[int]:
    """Entry ids whose name or headline holds every query word (see :func:`_text_rows`)."""
    match = _text_match(session, text_query)
    return [row[0] for row in _text_rows(session, match, where, params, limit, now)]


def _text_candidates(session: Session, text_query: str, where: str, params: dict, cap: int,
                     now: datetime) -> tuple[list, bool]:
    """Facet candidates of a free-text query: up to ``cap`` matching entries, and whether more
    may exist (more than ``cap`` pass the filters, or more entries matched than were read)."""
    match = _text_match(session, text_query)
    if match is None:
        return [], False
    rows = _text_rows(session, match, where, params, cap + 1, now, _FACET_COLUMNS)
    read = session.execute(text(f"SELECT COUNT(*) FROM (SELECT 1 FROM {match.matching} "  # noqa: S608
                                f"LIMIT {AND_SCAN + 1}) m"), {"match": match.expression}).scalar_one()
    return [tuple(row) for row in rows[:cap]], len(rows) > cap or read > AND_SCAN


FacetRow = tuple[int, str | None, str, str]  # entry id, trade group, place, languages
_FACET_COLUMNS = "e.id, e.trade_group, e.place_value, e.languages"


def _concept_candidates(session: Session, keys: list[str], where: str, params: dict, cap: int,
                        now: datetime) -> tuple[list[FacetRow], bool]:
    """The ``cap`` best entries (by their best score) holding a query key and passing the
    filters, and whether more may exist.

    Per key, the index is read backwards in score order and stops at ``cap + 1`` passing rows
    or after the key's ``FACET_SCAN`` best holders (the next one is found first, reading the
    index only), whichever comes first; when the scan stops there, matches may lie beyond."""
    if not keys:
        return [], False
    params = {**params, **{f"f{n}": key for n, key in enumerate(keys)}}
    bounds = {row[0]: (row[1], row[2]) for row in session.execute(text(" UNION ALL ".join(
        f"SELECT * FROM (SELECT {n}, score, entry_id FROM network_entry_concepts "  # noqa: S608
        f"WHERE concept = :f{n} ORDER BY score DESC, entry_id DESC LIMIT 1 "
        f"OFFSET {FACET_SCAN}) b{n}" for n in range(len(keys)))), params)}
    parts = []
    index_filter = _index_filter(params)
    for n in range(len(keys)):
        bound = ""
        if n in bounds:  # the key has more holders than the scan reads: stop before the next
            params[f"bs{n}"], params[f"be{n}"] = bounds[n]
            # A row comparison, so that both databases read it as a range of the index key.
            bound = f" AND (c.score, c.entry_id) > (:bs{n}, :be{n})"
        parts.append(
            f"SELECT * FROM (SELECT {_FACET_COLUMNS}, c.score AS score "  # noqa: S608
            f"FROM network_entry_concepts c JOIN network_entries e ON e.id = c.entry_id "
            f"WHERE c.concept = :f{n}{index_filter}{bound} AND {where} "
            f"ORDER BY c.score DESC, c.entry_id DESC LIMIT {int(cap) + 1}) t{n}"
        )
    best: dict[int, tuple[int, FacetRow]] = {}
    for entry_id, trade_group, place, languages, score in _run(
            session, " UNION ALL ".join(parts), params, now):
        if entry_id not in best or best[entry_id][0] < score:
            best[entry_id] = (score, (entry_id, trade_group, place, languages))
    ordered = sorted(best.values(), key=lambda pair: (-pair[0], -pair[1][0]))
    return [row for _score, row in ordered[:cap]], bool(bounds) or len(ordered) > cap


def _count_facets(rows: list[FacetRow]) -> dict[str, dict[str, int]]:
    """Entries per trade group, per place (the 20 most frequent of each) and per language."""
    counts: dict[str, dict[str, int]] = {"trade_group": {}, "place": {}, "language": {}}
    for _entry_id, trade_group, place, languages in rows:
        for name, values in (("trade_group", (trade_group,)), ("place", (place,)),
                             ("language", languages.split())):
            for value in values:
                if value:
                    counts[name][value] = counts[name].get(value, 0) + 1
    return {name: dict(sorted(values.items(), key=lambda pair: (-pair[1], pair[0]))[
        :None if name == "language" else 20]) for name, values in counts.items()}


# --- per-search handles ---------------------------------------------------------------------


class Handles:
    """Opaque, per-search tokens that stand for an entry (never its pseudonym or row id).

    Each token is encrypted with a fresh IV, so the same entry gets a different handle in every
    search; a token only opens for the member it was issued to, for a limited time."""

    def __init__(self, secret: str, max_age: timedelta = timedelta(hours=12)) -> None:
        key = hashlib.sha256(b"coworknet/network-search-handle/v1\0" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._max_age = int(max_age.total_seconds())

    def issue(self, member_id: int, entry_id: int) -> str:
        payload = json.dumps([member_id, entry_id]).encode()
        return self._fernet.encrypt(payload).decode("ascii")

    def open(self, member_id: int, token: str) -> int:
        """The entry id behind ``token``; NotFound when forged, stale or someone else's."""
        try:
            owner, entry_id = json.loads(self._fernet.decrypt(token.encode("ascii"),
                                                               ttl=self._max_age))
        except (InvalidToken, ValueError, TypeError, UnicodeEncodeError):
            raise NotFound(N_("This search result is no longer available.")) from None
        if owner != member_id:
            raise NotFound(N_("This search result is no longer available."))
        return int(entry_id)


def concept_label(key: str, locale: str, thesaurus: Thesaurus | None = None) -> str:
    """The label of a concept id or a ``g:<group>`` key in ``locale``."""
    thesaurus = thesaurus or get_thesaurus()
    lang = "en" if locale[:2] == "en" else "fr"
    if key.startswith(GROUP_PREFIX):
        group = thesaurus.group(key[len(GROUP_PREFIX):])
        return group[lang] if group else key
    concept = thesaurus.concept(key)
    return concept[lang] if concept else key


def result_cards(result: SearchResult, handles: Handles, member_id: int, locale: str) -> list[dict]:
    """Result cards: the matched concepts and level bands only, a fresh handle per result; the
    space by its name (or, for a skill its owner shares at a coarser place, the city or the
    region), languages by their names in ``locale``."""
    thesaurus = get_thesaurus()
    lang = "en" if locale[:2] == "en" else "fr"
    cards = []
    for hit in result.hits:
        entry = hit.entry
        names = [thesaurus.language(code) for code in entry.languages.split()]
        cards.append({
            "handle": None if hit.is_local else handles.issue(member_id, entry.id),
            "local": hit.is_local,
            "member_id": entry.member_id,
            "display_name": entry.display_name if entry.is_named else None,
            "headline": (entry.headline or None) if entry.is_named else None,
            "matched": [
                {"concept": m.key, "label": concept_label(m.key, locale),
                 "level_band": m.level_band, "generalised": m.is_generalised}
                for m in hit.matched
            ],
            "languages": entry.languages.split(),
            "language_names": [name[lang] if name else code
                               for name, code in zip(names, entry.languages.split(), strict=True)],
            "open_to_help": entry.open_to_help,
            "open_to_paid": entry.open_to_paid,
            "open_to_barter": entry.open_to_barter,
            "trade_group": entry.trade_group,
            "place": {"kind": entry.place_kind, "value": entry.place_value},
            "space": entry.place_value if entry.place_kind == "space" else None,
        })
    return cards


class SearchLimiter:
    """At most ``limit`` searches per member and minute, counted in the database so every
    worker process of the node shares the count (``network_search_counts``)."""

    def __init__(self, limit: int = 60) -> None:
        self.limit = limit

    def check(self, session: Session, member_id: int, now: datetime | None = None) -> None:
        """Count one search (atomic upsert, flushed; the caller commits); RateLimited beyond the
        limit, and then the count is left to the rollback."""
        now = now or utcnow()
        minute = int(now.timestamp() // 60)
        dialect = session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        table = NetworkSearchCount.__table__
        statement = insert(table).values(member_id=member_id, minute=minute, count=1)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.member_id, table.c.minute],
            set_={"count": table.c.count + 1},
        ).returning(table.c.count)
        count = session.execute(statement).scalar_one()
        if count > self.limit:
            raise RateLimited(N_("Too many searches. Please wait a moment."))
        if count == 1:  # a new minute: the member's older counters are no longer needed
            session.execute(delete(NetworkSearchCount).where(
                NetworkSearchCount.member_id == member_id, NetworkSearchCount.minute < minute))


def register(registry: HandlerRegistry) -> None:
    """The network directory's copies of peers' entries: one ``directory.entry`` item (a sync
    page goes to :mod:`.copies`), their leases, and what a resync no longer sends."""
    registry.on_feed_item(ITEM_TYPE, _on_directory_item)
    registry.lease_expirer(expire_copies)
    registry.on_resync_complete(drop_unseen_copies)
