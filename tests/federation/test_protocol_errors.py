"""The node answers only the error codes PROTOCOL.md §7.4 lists, and the table lists only
codes the node (or its client) can produce.

The codes are gathered from the code itself: every ``FederationError`` class of the protocol
library, every protocol code a feature's refusal is mapped to on the federation endpoints
(``node.api.federation.DOMAIN_CODES``), and what the application answers on those paths for
a route or method that does not exist and for a crash. Real requests then show each kind of
answer with its code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from federation import errors as federation_errors
from federation.messages import FEED_HINT
from node import errors as domain
from node.api import federation as federation_api

from .helpers import replace_handler
from .hostile import INBOX, message, post_message, refusal, snapshot

ROOT = Path(__file__).resolve().parents[2]
#: What the application's own error handlers answer on /federation/ paths (node/errors_http.py).
APPLICATION_CODES = {"not_found", "method_not_allowed", "server_error"}


def spec_codes() -> dict[str, int]:
    text = (ROOT / "docs" / "PROTOCOL.md").read_text(encoding="utf-8")
    section = text[text.index("### 7.4 Errors"):text.index("## 8.")]
    return {code: int(status) for code, status in
            re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", section, re.M)}


def library_codes() -> dict[str, int]:
    classes = [cls for cls in vars(federation_errors).values()
               if isinstance(cls, type) and issubclass(cls, federation_errors.FederationError)
               and cls is not federation_errors.FederationError]
    return {cls.code: cls.http_status for cls in classes}


def node_codes() -> dict[str, int]:
    return {code: status for _cls, code, status in federation_api.DOMAIN_CODES}


def test_every_code_the_node_can_answer_is_in_the_table_with_its_status():
    table = spec_codes()
    produced = {**library_codes(), **node_codes()}
    for code, status in produced.items():
        assert table.get(code) == status, code
    assert APPLICATION_CODES <= set(table)
    # And the table holds nothing else.
    assert set(table) == set(produced) | APPLICATION_CODES


def test_every_domain_error_class_maps_to_a_protocol_code():
    classes = [cls for cls in vars(domain).values()
               if isinstance(cls, type) and issubclass(cls, domain.DomainError)]
    for cls in classes:
        instance = cls("x", code="some_feature_code")
        assert any(isinstance(instance, mapped) for mapped, _c, _s in federation_api.DOMAIN_CODES)


@pytest.mark.parametrize(("method", "path", "expected"), [
    ("GET", "/federation/v1/nothing-here", (404, "not_found")),
    ("DELETE", INBOX, (405, "method_not_allowed")),
    ("GET", INBOX, (405, "method_not_allowed")),
    ("PUT", "/federation/v1/feed", (405, "method_not_allowed")),
])
def test_routing_errors_answer_listed_codes(live_nodes, method, path, expected):
    (a,) = live_nodes(1, names=["aix"])
    response = a.post_raw(path, b"", {}, method=method)
    assert refusal(response) == expected
    assert expected[1] in spec_codes()


RAISED = {
    "forbidden": (domain.Forbidden("not invited"), 403),
    "not_found": (domain.NotFound("no such session"), 404),
    "conflict": (domain.Conflict("hosted here", code="local_session"), 409),
    "bad_request": (domain.ValidationError("bad", code="validation_error"), 400),
    "rate_limited": (domain.RateLimited("slow down"), 429),
    "server_error": (RuntimeError("a bug"), 500),
}


@pytest.mark.parametrize("code", sorted(RAISED))
def test_a_handlers_refusal_answers_a_listed_code_and_changes_nothing(live_nodes, monkeypatch,
                                                                       code):
    exc, status = RAISED[code]

    def refuse(session, peer, msg):
        session.add(peer)  # whatever the handler did before failing is rolled back
        peer.name = "changed by a handler that then failed"
        raise exc

    a, b = live_nodes(2, names=["aix", "brest"])
    live_nodes.peer(a, b)
    replace_handler(monkeypatch, "inbox", FEED_HINT, refuse, nodes=[a])
    signed = message(b, a, FEED_HINT, {"latest_seq": 0}, local_id=f"msg/refused/{code}")
    before = snapshot(a)
    assert refusal(post_message(b, a, signed)) == (status, code)
    assert spec_codes()[code] == status
    assert snapshot(a) == before
