"""Protocol v1 message types: signed feed items (pull) and inbox messages (push).

Both kinds obey origin binding: the signer is the owner/origin and owns every object id it
sends (an object id is the owner's node id followed by ``/`` and a local part).

The type names (``DIRECTORY_ENTRY``, ``FEED_HINT``, ...) are defined once, with the wire schemas
(``schemas.federation``), and re-exported here for the library's users.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError

from federation.canonical import CanonicalObject, canonical_dumps
from federation.envelope import (
    KeyLookup,
    is_redacted,
    sign_object,
    sign_redactable,
    verify_object,
    verify_redactable,
)
from federation.errors import (
    BadRequest,
    DestinationMismatch,
    ExpiredSignature,
    FederationError,
    OriginMismatch,
    PayloadTooLarge,
)
from federation.keys import SigningKey
from federation.nodeid import normalize_node_id
from federation.plausibility import check_plausible
from federation.schemacheck import fast_check
from federation.verifier import VerifiedSignatures
from schemas.federation import (  # noqa: F401
    CONNECTOR_DEAL,
    CONNECTOR_REQUEST,
    CONNECTOR_RESPONSE,
    CONTENT_SCHEMAS,
    DIRECTORY_ENTRY,
    EVENT_REGIONAL,
    EVENT_SESSION,
    FEED_HINT,
    FEED_ITEM_TYPES,
    INBOX_MESSAGE_TYPES,
    INTRODUCTION_REQUEST,
    INTRODUCTION_RESPONSE,
    NETWORK_ROSTER,
    PEER_STATS,
    PEERING_REQUEST,
    PROTOCOL_VERSION,
    REGIONAL_ANSWER,
    REGIONAL_INVITATION,
    REGIONAL_REPORT,
    REGISTRATION_DIGEST,
    REGISTRATION_REQUEST,
    REGISTRATION_RESPONSE,
    FeedItemSchema,
    InboxMessageSchema,
)

logger = logging.getLogger(__name__)

MAX_ITEM_BYTES = 64 * 1024
MAX_CLOCK_SKEW_MS = 5 * 60 * 1000
MAX_INBOX_AGE_MS = 7 * 24 * 3600 * 1000
DEFAULT_LEASE_MS = 7 * 24 * 3600 * 1000
_LOCAL_ID_RE = re.compile(r"^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~:-]+)*$")
#: Content fields that name the item's owner and MUST equal it (PROTOCOL §6.1, §8): an item
#: whose ``organiser``/``host`` is another node speaks for that node, and fails its page.
OWNER_FIELDS: dict[str, str] = {EVENT_REGIONAL: "organiser", EVENT_SESSION: "host"}


def make_object_id(owner: str, local_id: str) -> str:
    """A globally unique object id: ``<owner node id>/<local id>``."""
    owner = normalize_node_id(owner)
    if not _LOCAL_ID_RE.match(local_id) or len(local_id) > 200:
        raise BadRequest("invalid local object id")
    return f"{owner}/{local_id}"


def object_owner(object_id: str) -> str:
    """The node id that owns ``object_id``; raises :class:`BadRequest` when malformed."""
    scheme, sep, rest = object_id.partition("://")
    authority, slash, local = rest.partition("/")
    if not sep or not slash or not _LOCAL_ID_RE.match(local):
        raise BadRequest("malformed object id")
    base = f"{scheme}://{authority}"
    if normalize_node_id(base) != base:
        raise BadRequest("object id is not prefixed by a normalised node id")
    return base


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


_schemas = threading.local()


def _schema(schema_cls: type, *, many: bool = False) -> Any:
    """One instance per schema class (and ``many``) and thread: building a marshmallow schema
    costs more than loading an item with it, and instances are not shared across threads."""
    cache = getattr(_schemas, "cache", None)
    if cache is None:
        cache = _schemas.cache = {}
    instance = cache.get((schema_cls, many))
    if instance is None:
        instance = cache[(schema_cls, many)] = schema_cls(many=many)
    return instance


def _validate_content(message_type: str, content: Mapping[str, Any]) -> None:
    try:
        _schema(CONTENT_SCHEMAS[message_type]).load(dict(content))
    except ValidationError as exc:
        fields = (
            ", ".join(sorted(str(k) for k in exc.messages_dict))
            if isinstance(exc.messages, dict)
            else "content"
        )
        raise BadRequest(f"invalid {message_type} content ({fields})") from exc


def _check_shape(schema_cls: type, obj: Mapping[str, Any], what: str) -> None:
    try:
        _schema(schema_cls).load(dict(obj))
    except ValidationError as exc:
        fields = ", ".join(sorted(str(k) for k in exc.messages_dict))
        raise BadRequest(f"malformed {what} ({fields})") from exc


@dataclass(frozen=True)
class FeedItem:
    """A verified feed item. ``content`` is None for tombstones and redacted items."""

    seq: int
    type: str
    id: str
    owner: str
    origin_ts: int
    deleted: bool
    content: dict[str, Any] | None
    is_redacted: bool
    raw: dict[str, Any]
    #: ``raw`` as canonical JSON (encoded once while verifying; store it as is).
    raw_json: bytes = b""


@dataclass(frozen=True)
class InboxMessage:
    """A verified inbox message."""

    type: str
    id: str
    origin: str
    destination: str
    origin_ts: int
    content: dict[str, Any]
    raw: dict[str, Any]


def build_feed_item(
    *,
    owner: str,
    seq: int,
    item_type: str,
    object_id: str,
    key: SigningKey,
    content: Mapping[str, Any] | None = None,
    deleted: bool = False,
    origin_ts: int | None = None,
) -> dict[str, Any]:
    """Build and sign one feed item (a tombstone when ``deleted``) as its owner."""
    owner = normalize_node_id(owner)
    if item_type not in FEED_ITEM_TYPES:
        raise BadRequest(f"unknown feed item type {item_type}")
    if object_owner(object_id) != owner:
        raise OriginMismatch("object id is not owned by the item owner")
    if deleted == (content is not None):
        raise BadRequest("a tombstone has no content; a live item must have content")
    item_ts = _now_ms() if origin_ts is None else origin_ts
    if content is not None:
        _validate_content(item_type, content)
        _check_owned_content(item_type, content, owner)
        check_plausible(item_type, content, item_ts)
    item: dict[str, Any] = {
        "seq": seq,
        "type": item_type,
        "id": object_id,
        "owner": owner,
        "origin_ts": item_ts,
        "deleted": deleted,
    }
    if content is not None:
        item["content"] = dict(content)
    signed = sign_redactable(item, owner, key)
    if len(canonical_dumps(signed)) > MAX_ITEM_BYTES:
        raise PayloadTooLarge("feed item exceeds 64 KiB")
    return signed


def verify_feed_item(
    item: Mapping[str, Any],
    peer_node_id: str,
    lookup_key: KeyLookup,
    *,
    now_ms: int | None = None,
) -> FeedItem:
    """Verify a feed item pulled from ``peer_node_id``: shape, origin binding, signature.

    Raises OriginMismatch when the peer is not the owner of the item or of its object id.
    """
    return verify_feed_page([item], peer_node_id, lookup_key, now_ms=now_ms)[0]


def verify_feed_page(
    items: Sequence[Mapping[str, Any]],
    peer_node_id: str,
    lookup_key: KeyLookup,
    *,
    now_ms: int | None = None,
    checked: bool = False,
    encoded: Sequence[CanonicalObject] | None = None,
    checks: VerifiedSignatures | None = None,
) -> list[FeedItem]:
    """Verify every item of a page pulled from ``peer_node_id`` as :func:`verify_feed_item`
    does, one item after the other: the first item that fails raises the error that item
    alone would raise. The schemas run once per page (one ``many=True`` load per schema).

    ``checked``: the items were parsed by :func:`federation.canonical.canonical_loads` (they
    already passed the canonical JSON checks) and are not walked again. ``encoded``: each
    item's canonical form, when the parser already produced it (implies ``checked``).
    ``checks``: the page's signatures already verified by a worker process
    (:mod:`federation.verifier`); every other check is made here as without it.
    """
    if encoded is not None and len(encoded) != len(items):
        raise ValueError("one encoded form per item")
    peer = normalize_node_id(peer_node_id)
    now = _now_ms() if now_ms is None else now_ms
    failures: dict[int, FederationError] = {}
    raw_forms: dict[int, bytes] = {}
    for index, item in enumerate(items):
        if type(item) is not dict and not isinstance(item, Mapping):
            failures[index] = BadRequest("feed item must be an object")
            continue
        try:  # the one full canonical check of the item (done by the parser when ``checked``)
            raw_json = encoded[index].data if encoded is not None else canonical_dumps(
                item if checked else dict(item), checked=checked)
        except FederationError as exc:
            failures[index] = exc
            continue
        if len(raw_json) > MAX_ITEM_BYTES:
            failures[index] = PayloadTooLarge("feed item exceeds 64 KiB")
            continue
        raw_forms[index] = raw_json
    for index, fields in _page_errors(FeedItemSchema, items, list(raw_forms)).items():
        failures[index] = BadRequest(f"malformed feed item ({fields})")
    # Contents are validated ahead, but an item's content error is raised only after its
    # signature verified (as for a lone item): a forged item reports the forgery.
    content_failures = _content_errors(items, [i for i in raw_forms if i not in failures])
    result: list[FeedItem] = []
    for index, item in enumerate(items):
        if index in failures:
            raise failures[index]
        if item["owner"] != peer:
            raise OriginMismatch("feed item owner is not the peer that served it")
        if object_owner(item["id"]) != peer:
            raise OriginMismatch("feed item object id is not owned by the peer")
        if item["origin_ts"] > now + MAX_CLOCK_SKEW_MS:
            raise ExpiredSignature("feed item is dated in the future")
        verified = verify_redactable(item, peer, lookup_key, item["origin_ts"], checked=True,
                                     form=None if encoded is None else encoded[index],
                                     checks=checks)
        redacted = is_redacted(item)
        content = verified.get("content")
        if not redacted:
            if item["deleted"] and content is not None:
                raise BadRequest("a tombstone must not carry content")
            if not item["deleted"]:
                if content is None:
                    raise BadRequest("a live feed item must carry content")
                if index in content_failures:
                    raise content_failures[index]
                _check_owned_content(verified["type"], content, peer)
                check_plausible(verified["type"], content, verified["origin_ts"])
        result.append(FeedItem(
            seq=verified["seq"],
            type=verified["type"],
            id=verified["id"],
            owner=verified["owner"],
            origin_ts=verified["origin_ts"],
            deleted=verified["deleted"],
            content=None if redacted or verified["deleted"] else content,
            is_redacted=redacted,
            raw=dict(item),
            raw_json=raw_forms[index],
        ))
    return result


def _check_owned_content(item_type: str, content: Mapping[str, Any], owner: str) -> None:
    """The content's ``organiser``/``host`` is the item's owner (``origin_mismatch``)."""
    name = OWNER_FIELDS.get(item_type)
    if name is not None and content.get(name) != owner:
        raise OriginMismatch(f"{item_type} {name} is not the owner of the item")


def _content_errors(items: Sequence[Mapping[str, Any]],
                    indexes: list[int]) -> dict[int, BadRequest]:
    """The content errors of the live items at ``indexes`` (well-formed items), with one
    schema load per item type; each as :func:`_validate_content` words it."""
    by_type: dict[str, list[int]] = {}
    for index in indexes:
        item = items[index]
        if not item["deleted"] and isinstance(item.get("content"), Mapping):
            by_type.setdefault(item["type"], []).append(index)
    errors: dict[int, BadRequest] = {}
    for message_type, group in by_type.items():
        contents = [items[index]["content"] for index in group]
        for position, fields in _page_errors(CONTENT_SCHEMAS[message_type], contents).items():
            errors[group[position]] = BadRequest(f"invalid {message_type} content ({fields})")
    return errors


_fast_checks: dict[type, Callable[[Any], bool] | None] = {}


def _fast_check(schema_cls: type) -> Callable[[Any], bool] | None:
    if schema_cls not in _fast_checks:
        _fast_checks[schema_cls] = fast_check(schema_cls)
    return _fast_checks[schema_cls]


def _page_errors(schema_cls: type, objects: Sequence[Any],
                 indexes: list[int] | None = None) -> dict[int, str]:
    """Validate ``objects`` (those at ``indexes`` only, when given) against the schema;
    returns the failing indexes, each with its invalid fields named and sorted. What the
    schema's compiled check accepts is valid; marshmallow decides the rest with one
    ``many=True`` load and words the errors."""
    chosen = list(range(len(objects))) if indexes is None else indexes
    accept = _fast_check(schema_cls)
    if accept is not None:
        chosen = [index for index in chosen if not accept(objects[index])]
    if not chosen:
        return {}
    try:
        _schema(schema_cls, many=True).load([dict(objects[index]) for index in chosen])
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        return {chosen[position]: (", ".join(sorted(str(k) for k in problem))
                                   if isinstance(problem, dict) else "content")
                for position, problem in messages.items() if isinstance(position, int)}
    return {}


def build_inbox_message(
    *,
    message_type: str,
    origin: str,
    destination: str,
    content: Mapping[str, Any],
    key: SigningKey,
    message_id: str | None = None,
    origin_ts: int | None = None,
) -> dict[str, Any]:
    """Build and sign an inbox message; ``message_id`` is its idempotency key."""
    origin = normalize_node_id(origin)
    destination = normalize_node_id(destination)
    if message_type not in INBOX_MESSAGE_TYPES:
        raise BadRequest(f"unknown inbox message type {message_type}")
    _validate_content(message_type, content)
    message_id = message_id or make_object_id(origin, "msg/" + secrets.token_urlsafe(16))
    if object_owner(message_id) != origin:
        raise OriginMismatch("message id is not owned by the origin")
    message = {
        "type": message_type,
        "id": message_id,
        "origin": origin,
        "destination": destination,
        "origin_ts": _now_ms() if origin_ts is None else origin_ts,
        "content": dict(content),
    }
    return sign_object(message, origin, key)


def verify_inbox_message(
    message: Mapping[str, Any],
    *,
    peer_node_id: str,
    our_node_id: str,
    lookup_key: KeyLookup,
    now_ms: int | None = None,
) -> InboxMessage:
    """Verify an inbox message received from ``peer_node_id`` (the HTTP-signature signer)."""
    peer = normalize_node_id(peer_node_id)
    ours = normalize_node_id(our_node_id)
    if not isinstance(message, Mapping):
        raise BadRequest("inbox message must be an object")
    _check_shape(InboxMessageSchema, message, "inbox message")
    if message["origin"] != peer:
        raise OriginMismatch("message origin is not the signer of the request")
    if object_owner(message["id"]) != peer:
        raise OriginMismatch("message id is not owned by its origin")
    if message["destination"] != ours:
        raise DestinationMismatch("message is addressed to another node")
    now = _now_ms() if now_ms is None else now_ms
    if message["origin_ts"] > now + MAX_CLOCK_SKEW_MS:
        raise ExpiredSignature("message is dated in the future")
    if message["origin_ts"] < now - MAX_INBOX_AGE_MS:
        raise ExpiredSignature("message is older than the inbox retention")
    verified = verify_object(message, peer, lookup_key, message["origin_ts"])
    _validate_content(verified["type"], verified["content"])
    check_plausible(verified["type"], verified["content"], verified["origin_ts"])
    return InboxMessage(
        type=verified["type"],
        id=verified["id"],
        origin=verified["origin"],
        destination=verified["destination"],
        origin_ts=verified["origin_ts"],
        content=verified["content"],
        raw=dict(message),
    )
