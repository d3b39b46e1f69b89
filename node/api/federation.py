"""Federation endpoints: the node document, peering requests, the feed and the inbox.

These routes are public at the HTTP level: each one authenticates its caller by the request
signature (docs/PROTOCOL.md §5) and answers every refusal as ``{"error": {"code", "message"}}``
with the protocol's codes. Bodies are capped at 1 MB before they are read.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.exc import DataError, IntegrityError

from federation.errors import (
    BadRequest,
    ExpiredSignature,
    FederationError,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from federation.feed import parse_feed_query
from federation.keys import now_ms

from ..db import db
from ..errors import Conflict, DomainError, Forbidden, NotFound, RateLimited
from ..federation import feed, inbox, keyring, peers, rate_limits
from ..federation.keyring import RUNTIME_INFO_KEY, FederationRuntime
from ..http.security import public

logger = logging.getLogger(__name__)

bp = Blueprint("federation", __name__)
T = TypeVar("T")
MAX_BODY_BYTES = peers.MAX_BODY_BYTES


def runtime() -> FederationRuntime:
    return current_app.extensions[RUNTIME_INFO_KEY]


def check_form() -> None:
    """What PROTOCOL §7 asks of every request before anything else: no query parameter given
    twice (``bad_request``: two readers could take different ones), and a body, when there
    is one, declared ``application/json`` (``unsupported_media_type``)."""
    if any(len(values) > 1 for values in request.args.listvalues()):
        raise BadRequest("a query parameter is given more than once")
    has_body = request.method == "POST" or bool(request.content_length)
    if has_body and request.mimetype != "application/json":
        raise UnsupportedMediaType("the body must be application/json")
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower() != "utf-8":
        raise UnsupportedMediaType("the body must be UTF-8")


def _incoming() -> peers.IncomingRequest:
    check_form()
    declared = request.content_length
    if declared is not None and declared > MAX_BODY_BYTES:
        raise PayloadTooLarge("body exceeds 1 MB")
    body = request.stream.read(MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        raise PayloadTooLarge("body exceeds 1 MB")
    return peers.IncomingRequest(
        method=request.method, authority=request.host, path=request.path,
        query=request.query_string.decode("latin-1"), headers=dict(request.headers), body=body)


def _refetching_keys(handle: Callable[[str], T]) -> T:
    """Run ``handle(refetch)``; when it meets a peer's key this node does not know and may
    refetch (``KeyRefetchWanted``), roll the request's transaction back, fetch the peer's
    document with no transaction of the request open (the rate limit recorded first, in its
    own transaction), and handle the request once more without fetching. No request holds a
    write transaction while it fetches anything over the network."""
    try:
        return handle(keyring.REFETCH_DEFERRED)
    except keyring.KeyRefetchWanted as wanted:
        db.session.rollback()
        keyring.refetch_outside_request(runtime(), wanted.peer_id)
        return handle(keyring.REFETCH_NEVER)


@bp.errorhandler(FederationError)
def _federation_error(exc: FederationError):
    db.session.rollback()
    body = exc.to_dict()
    if isinstance(exc, ExpiredSignature):
        # Our clock, so that the sender can tell how far apart the clocks are (PROTOCOL §7.4).
        body["error"]["server_time_ms"] = now_ms()
    return jsonify(body), exc.http_status


#: A feature's refusal, as the protocol's codes (PROTOCOL §7.4): whatever code a feature gave
#: its error for its own pages, a peer gets one of these (the first class that matches).
DOMAIN_CODES: tuple[tuple[type[DomainError], str, int], ...] = (
    (Forbidden, "forbidden", 403),
    (NotFound, "not_found", 404),
    (Conflict, "conflict", 409),
    (RateLimited, "rate_limited", 429),
    (DomainError, "bad_request", 400),
)


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError):
    """A handler refused a message (an unknown session, a node not invited, ...): the
    protocol's error body, with the feature's message (in English: peers are machines)."""
    db.session.rollback()
    code, status = next((code, status) for cls, code, status in DOMAIN_CODES
                        if isinstance(exc, cls))
    return jsonify({"error": {"code": code, "message": exc.message}}), status


@bp.errorhandler(DataError)
@bp.errorhandler(OverflowError)
def _unstorable(exc: Exception):
    """A value the schemas let through but the database cannot store: the sender's fault."""
    db.session.rollback()
    logger.warning("federation input refused by the database: %s", exc.__class__.__name__)
    return jsonify(BadRequest("a value cannot be stored").to_dict()), 400


@bp.route("/.well-known/coworknet")
@public
def node_document():
    document = keyring.node_document(db.session, runtime())
    db.session.commit()
    return jsonify(document)


@bp.route("/federation/v1/peering", methods=["POST"])
@public
def peering():
    config = current_app.config
    rate_limits.check_peering_rate(
        db.session, request.remote_addr or "unknown",
        per_source=rate_limits.Limit(int(config["FEDERATION_PEERING_RATE_PER_ADDRESS"]),
                                     600_000),
        overall=rate_limits.Limit(int(config["FEDERATION_PEERING_RATE_GLOBAL"]),
                                  600_000))
    incoming = _incoming()
    answer = _refetching_keys(
        lambda refetch: peers.receive_peering_request(db.session, runtime(), incoming, refetch))
    db.session.commit()
    return jsonify(answer), 202


@bp.route("/federation/v1/feed")
@public
def feed_page():
    after, limit, resync = parse_feed_query(request.args.to_dict())
    incoming = _incoming()
    _verified, peer = _refetching_keys(
        lambda refetch: peers.verify_from_peer(db.session, runtime(), incoming, refetch))
    page = feed.feed_page(db.session, peer.node_id, after, limit, resync=resync)
    # The peer is up (it is pulling us): what waits for it in our queue is due now.
    inbox.bring_forward(db.session, peer.node_id, now_ms())
    db.session.commit()  # the nonce
    return Response(page.to_json(), mimetype="application/json")


@bp.route("/federation/v1/inbox", methods=["POST"])
@public
def inbox_post():
    # A feed.hint only marks its peer as asking for a pull (inbox.on_feed_hint); the
    # scheduler's short loop pulls it: no pull ever runs inside a web request.
    # A unique-constraint clash means a concurrent worker wrote the same rows: the same
    # message (its stored answer is given), or another path inserting the same object (the
    # feed item of the event a regional invitation carries). The message is then handled
    # once more in a fresh transaction; a second clash answers 503 ``busy`` (retried by the
    # sender), never a permanent refusal (PROTOCOL §7.3).
    fed, incoming = runtime(), _incoming()
    for attempt in range(2):
        try:
            answer, status, _peer, _type = _refetching_keys(
                lambda refetch: inbox.receive(db.session, fed, incoming, refetch))
            db.session.commit()
            return jsonify(answer), status
        except IntegrityError:
            db.session.rollback()
            stored = inbox.answer_after_conflict(db.session, incoming, final=attempt == 1)
            if stored is not None:
                return jsonify(stored[0]), stored[1]
    raise AssertionError("unreachable")  # pragma: no cover
