"""A hostile, approved peer sends well-signed items and messages whose *content* lies:
implausible figures, objects of another owner, bodies that are not JSON, query parameters
given twice, signatures by a key it revoked. Each case gets the error PROTOCOL.md documents
for it, and the victim's whole database (every row of every table, but the error and backoff
a failed pull records on the peer) is the same after as before."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from federation import plausibility as bounds
from federation.canonical import canonical_dumps
from federation.keys import now_ms
from federation.messages import (
    CONNECTOR_DEAL,
    DIRECTORY_ENTRY,
    EVENT_REGIONAL,
    EVENT_SESSION,
    FEED_HINT,
    PEER_STATS,
    REGIONAL_REPORT,
    REGISTRATION_RESPONSE,
)
from schemas.federation import MAX_SAFE_INTEGER
from tests.livenodes import LiveNetwork

from .helpers import event_content
from .hostile import (
    FEED,
    INBOX,
    PEERING,
    message,
    post_message,
    refusal,
    serve,
    signed_headers,
    signed_item,
    snapshot,
)

DAY_MS = 86_400_000


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """``victim`` and ``hostile`` are approved peers; ``third`` is the victim's other peer
    (the hostile peer names it as if it were its own). Shared by the module's cases: each
    leaves the victim as it found it, which is what it checks."""
    network = LiveNetwork(tmp_path_factory.mktemp("hostile-content"))
    victim, hostile, third = network(3, names=["victim", "hostile", "third"])
    network.peer(victim, hostile)
    network.peer(victim, third)
    yield victim, hostile, third
    network.close()


#: A period of figures (its bounds do not depend on today: only its order and length count).
PERIOD_START, PERIOD_END = date(2026, 1, 1), date(2026, 6, 30)


def stats(**changes) -> dict:
    content = {"members_active": 54, "directory_entries": 31, "events_upcoming": 3,
               "period_start": PERIOD_START.isoformat(),
               "period_end": PERIOD_END.isoformat(), "referrals": 4, "deals_confirmed": 2,
               "business_cents": 125_075, "regulars": 12,
               "segments": {"engaged": 10, "occasional": 20, "tenant": 5, "dormant": 19}}
    content.update(changes)
    return content


def session_content(host: str, organiser: str, **changes) -> dict:
    content = {**{k: v for k, v in event_content(organiser).items() if k != "organiser"},
               "regional_event_id": f"{organiser}/regional/1", "host": host,
               "venue": {"name": "La Forge", "city": "Fontainebleau"}, "capacity": 12,
               "seats_left": 4}
    content.update(changes)
    return content


def entry(**changes) -> dict:
    content = {"pseudonym": "lccezhbravgzbmjk2gxxquszlz3q5kbw",
               "concepts": [{"concept": "accounting", "level_band": "expert",
                             "generalised": False}],
               "languages": ["fr"], "open_to_help": True, "open_to_paid": False,
               "open_to_barter": False, "trade_group": None,
               "place": {"kind": "city", "value": "Aix-en-Provence"},
               "lease_until_ts": now_ms() + 7 * DAY_MS, "named": False}
    content.update(changes)
    return content


# --- plausibility of the figures of feed items (PROTOCOL §6.3): the page fails -------------

STATS_FIELDS = ("members_active", "directory_entries", "events_upcoming", "referrals",
                "deals_confirmed", "business_cents", "regulars")


def _stats_case(name: str, value: int) -> dict:
    changes = {name: value}
    if name == "directory_entries":  # keep it below members_active: only the bound fails
        changes["members_active"] = bounds.MAX_MEMBERS
    return stats(**changes)


IMPLAUSIBLE_ITEMS = {
    **{f"stats {name} above its bound": (PEER_STATS, lambda n=name: _stats_case(
        n, bounds.BOUNDS[(PEER_STATS, n)] + 1)) for name in STATS_FIELDS},
    **{f"stats {name} at 2^53-1": (PEER_STATS, lambda n=name: _stats_case(n, MAX_SAFE_INTEGER))
       for name in STATS_FIELDS},
    **{f"stats segment {segment} above its bound": (PEER_STATS, lambda s=segment: stats(
        segments={**stats()["segments"], s: bounds.MAX_MEMBERS + 1}))
       for segment in ("engaged", "occasional", "tenant", "dormant")},
    "stats segments adding up above the bound": (PEER_STATS, lambda: stats(segments={
        "engaged": bounds.MAX_MEMBERS, "occasional": 1, "tenant": 0, "dormant": 0})),
    "stats more directory entries than members": (PEER_STATS, lambda: stats(
        members_active=3, directory_entries=4)),
    "stats period ending before it starts": (PEER_STATS, lambda: stats(
        period_start=PERIOD_END.isoformat(),
        period_end=(PERIOD_END - timedelta(days=1)).isoformat())),
    "stats period longer than a year": (PEER_STATS, lambda: stats(
        period_start=(PERIOD_END - timedelta(days=367)).isoformat())),
    "session capacity above its bound": (EVENT_SESSION, lambda: "capacity"),
    "session seats left above capacity": (EVENT_SESSION, lambda: "seats_left"),
    "session seats left without capacity": (EVENT_SESSION, lambda: "uncapped"),
    "session seats left at 2^53-1": (EVENT_SESSION, lambda: "huge_left"),
    "session lasting 40 days": (EVENT_SESSION, lambda: "long"),
    "regional event lasting 40 days": (EVENT_REGIONAL, lambda: "long"),
    "directory lease 367 days ahead": (DIRECTORY_ENTRY, lambda: entry(
        lease_until_ts=now_ms() + 367 * DAY_MS)),
    "directory lease for ever": (DIRECTORY_ENTRY, lambda: entry(lease_until_ts=MAX_SAFE_INTEGER)),
}

_LONG = {"starts_at": "2026-05-01T09:00:00+02:00", "ends_at": "2026-06-10T12:00:00+02:00"}


def _content(item_type: str, made, hostile) -> dict:
    value = made()
    if isinstance(value, dict):
        return value
    if item_type == EVENT_REGIONAL:
        return {**event_content(hostile.url), **_LONG}
    base = session_content(hostile.url, hostile.url)
    return {"capacity": dict(base, capacity=bounds.MAX_SEATS + 1, seats_left=1),
            "seats_left": dict(base, capacity=12, seats_left=13),
            "uncapped": dict(base, capacity=None, seats_left=3),
            "huge_left": dict(base, capacity=12, seats_left=MAX_SAFE_INTEGER),
            "long": dict(base, **_LONG)}[value]


def assert_pull_refused(victim, hostile, code: str, before: dict) -> None:
    (result,) = [r for r in victim.sync() if r.peer == hostile.url]
    assert result.error == code and result.applied == 0
    assert victim.peer_row(hostile).last_error.startswith(code)
    assert snapshot(victim) == before


@pytest.mark.parametrize("case", sorted(IMPLAUSIBLE_ITEMS))
def test_an_implausible_figure_fails_the_page(pair, case):
    victim, hostile, _third = pair
    item_type, made = IMPLAUSIBLE_ITEMS[case]
    serve(hostile, [signed_item(hostile, item_type, f"hostile/{item_type}",
                                _content(item_type, made, hostile), seq=1)])
    before = snapshot(victim)
    assert_pull_refused(victim, hostile, "implausible_value", before)


@pytest.mark.parametrize("position", ["first", "last"])
def test_one_implausible_item_fails_a_page_of_valid_ones(pair, position):
    victim, hostile, _third = pair
    bad = stats(business_cents=MAX_SAFE_INTEGER)
    good = [event_content(hostile.url, title=f"Atelier {n}") for n in range(3)]
    contents = [(PEER_STATS, bad), *[(EVENT_REGIONAL, c) for c in good]]
    if position == "last":
        contents.reverse()
    serve(hostile, [signed_item(hostile, kind, f"hostile/{seq}", content, seq=seq)
                    for seq, (kind, content) in enumerate(contents, start=1)])
    before = snapshot(victim)
    assert_pull_refused(victim, hostile, "implausible_value", before)


def test_the_bounds_let_a_real_space_through(live_nodes):
    """The control of the cases above: the same items within bounds are applied."""
    victim, hostile = live_nodes(2, names=["victim", "hostile"])
    live_nodes.peer(victim, hostile)
    items = [(PEER_STATS, stats(business_cents=bounds.MAX_BUSINESS_CENTS)),
             (EVENT_SESSION, session_content(hostile.url, hostile.url,
                                             capacity=bounds.MAX_SEATS, seats_left=0)),
             (EVENT_REGIONAL, event_content(hostile.url)),
             (DIRECTORY_ENTRY, entry(lease_until_ts=now_ms() + 365 * DAY_MS))]
    serve(hostile, [signed_item(hostile, kind, f"ok/{seq}", content, seq=seq)
                    for seq, (kind, content) in enumerate(items, start=1)])
    (result,) = victim.sync()
    assert result.error is None and result.applied == 4


# --- plausibility of the figures of inbox messages: 400 implausible_value ---------------------

def _report(**changes) -> dict:
    return {"sessions": 2, "registrations": 30, "remote_registrations": 4, "attendance": 25,
            "introductions": 3, **changes}


IMPLAUSIBLE_MESSAGES = {
    **{f"report {name} above its bound": (REGIONAL_REPORT, {name: bounds.MAX_REPORT_COUNT + 1})
       for name in ("sessions", "registrations", "attendance", "introductions")},
    "report remote registrations above their bound": (REGIONAL_REPORT, {
        "registrations": bounds.MAX_REPORT_COUNT, "remote_registrations":
        bounds.MAX_REPORT_COUNT + 1}),
    "report more remote registrations than registrations": (REGIONAL_REPORT, {
        "registrations": 3, "remote_registrations": 4}),
    "registration waitlist position above its bound": (REGISTRATION_RESPONSE, {}),
    "deal worth more than ten million euros": (CONNECTOR_DEAL, {}),
}


def _message_content(victim, hostile, message_type: str, changes: dict) -> dict:
    if message_type == REGIONAL_REPORT:
        return {"regional_event_id": f"{victim.url}/regional/1", **_report(**changes)}
    if message_type == REGISTRATION_RESPONSE:
        return {"session_id": f"{hostile.url}/session/1", "idempotency_key": "reg-8f3a2c91",
                "status": "waitlisted", "position": bounds.MAX_SEATS + 1}
    return {"response_id": f"{hostile.url}/connector/response/1",
            "deal_id": f"{victim.url}/connector/deal/1",
            "amount_cents": bounds.MAX_DEAL_CENTS + 1, "status": "confirmed"}


@pytest.mark.parametrize("case", sorted(IMPLAUSIBLE_MESSAGES))
def test_an_implausible_message_is_refused(pair, case):
    victim, hostile, _third = pair
    message_type, changes = IMPLAUSIBLE_MESSAGES[case]
    signed = message(hostile, victim, message_type,
                     _message_content(victim, hostile, message_type, changes),
                     local_id=f"msg/{abs(hash(case))}")
    before = snapshot(victim)
    assert refusal(post_message(hostile, victim, signed)) == (400, "implausible_value")
    assert snapshot(victim) == before


# --- items of another owner fail the page (PROTOCOL §6.1, §8) ---------------------------------

def _others(victim, hostile, third) -> dict[str, str]:
    scheme, rest = hostile.url.split("://")
    return {"the victim": victim.url, "a third peer": third.url,
            "a stranger": "https://elsewhere.example", "itself with a slash": hostile.url + "/",
            "itself upper-cased": f"{scheme.upper()}://{rest}"}


OWNER_CASES = [(kind, who) for kind in (EVENT_REGIONAL, EVENT_SESSION)
               for who in ("the victim", "a third peer", "a stranger", "itself with a slash",
                           "itself upper-cased")]


@pytest.mark.parametrize(("item_type", "who"), OWNER_CASES)
def test_an_item_naming_another_owner_fails_the_page(pair, item_type, who):
    victim, hostile, third = pair
    other = _others(victim, hostile, third)[who]
    if item_type == EVENT_REGIONAL:
        content = event_content(other)
    else:
        content = session_content(other, hostile.url)
    good = signed_item(hostile, EVENT_REGIONAL, "hostile/fine", event_content(hostile.url), seq=1)
    serve(hostile, [good, signed_item(hostile, item_type, "hostile/other", content, seq=2)])
    before = snapshot(victim)
    assert_pull_refused(victim, hostile, "origin_mismatch", before)


# --- what a request must look like (PROTOCOL §7) -----------------------------------------------

CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data",
                 "application/json; charset=latin-1", "application/jsonx", None]


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
def test_an_inbox_body_that_is_not_json_is_refused(pair, content_type):
    victim, hostile, _third = pair
    body = canonical_dumps(message(hostile, victim, FEED_HINT, {"latest_seq": 0},
                                   local_id="msg/media"))
    before = snapshot(victim)
    response = victim.post_raw(INBOX, body, signed_headers(hostile, victim, INBOX, body,
                                                           content_type=content_type))
    assert refusal(response) == (415, "unsupported_media_type")
    assert snapshot(victim) == before


def test_a_peering_body_that_is_not_json_is_refused(pair):
    victim, hostile, _third = pair
    body = b'{"type": "peering.request"}'
    before = snapshot(victim)
    response = victim.post_raw(PEERING, body, signed_headers(hostile, victim, PEERING, body,
                                                             content_type="text/plain"))
    assert refusal(response) == (415, "unsupported_media_type")
    # The peering rate limit counts every request, refused or not (§7.1): only its window.
    after = snapshot(victim)
    after.pop("federation_rate_limits"), before.pop("federation_rate_limits")
    assert after == before


@pytest.mark.parametrize("query", ["after=0&after=5", "limit=5&limit=6", "resync=1&resync=1",
                                   "after=0&limit=5&after=0"])
def test_a_query_parameter_given_twice_is_refused(pair, query):
    victim, hostile, _third = pair
    before = snapshot(victim)
    headers = signed_headers(hostile, victim, FEED, b"", method="GET", query=query,
                             content_type=None)
    response = victim.post_raw(f"{FEED}?{query}", b"", headers, method="GET")
    assert refusal(response) == (400, "bad_request")
    assert snapshot(victim) == before


def test_a_correct_json_request_still_goes_through(pair):
    """The control: the same hint, as JSON with its charset, is accepted."""
    victim, hostile, _third = pair
    signed = message(hostile, victim, FEED_HINT, {"latest_seq": 0}, local_id="msg/fine-json")
    response = post_message(hostile, victim, signed,
                            content_type="application/json; charset=utf-8")
    assert response.status_code == 202
