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
from sqlalchemy.exc import IntegrityError

from federation.errors import FederationError, PayloadTooLarge
from federation.feed import parse_feed_query

from ..db import db
from ..federation import feed, inbox, keyring, peers, rate_limits
from ..federation.keyring import RUNTIME_INFO_KEY, FederationRuntime
from ..http.security import public

logger = logging.getLogger(__name__)

bp = Blueprint("federation", __name__)
T = TypeVar("T")
MAX_BODY_BYTES = peers.MAX_BODY_BYTES


def runtime() -> FederationRuntime:
    return current_app.extensions[RUNTIME_INFO_KEY]


def _incoming() -> peers.IncomingRequest:
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
    return jsonify(exc.to_dict()), exc.http_status


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
    db.session.commit()  # the nonce
    return Response(page.to_json(), mimetype="application/json")


@bp.route("/federation/v1/inbox", methods=["POST"])
@public
def inbox_post():
    # A feed.hint only marks its peer as asking for a pull (inbox.on_feed_hint); the
    # scheduler's short loop pulls it: no pull ever runs inside a web request.
    fed, incoming = runtime(), _incoming()
    try:
        answer, status, _peer, _type = _refetching_keys(
            lambda refetch: inbox.receive(db.session, fed, incoming, refetch))
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        answer, status = inbox.answer_after_conflict(db.session, incoming)
        return jsonify(answer), status
    return jsonify(answer), status
