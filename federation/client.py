"""HTTP client for talking to peers: discover a node, pull its feed, push to its inbox.

Every request is signed (see :mod:`federation.httpsig`). Responses are read as a stream under
a byte cap, whatever ``Content-Length`` says. Redirects are followed by hand (at most
``max_redirects``, same origin only) and every hop's address is checked: private, loopback,
link-local, multicast and reserved addresses are refused unless the peer is allow-listed.
"""

from __future__ import annotations

import dataclasses
import email.utils
import ipaddress
import json
import logging
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from marshmallow import ValidationError
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from federation.canonical import (
    CanonicalObject,
    canonical_dumps,
    canonical_loads,
    canonical_object,
    check_value,
    is_plain,
    is_too_deep,
    reject_constant,
    reject_float,
)
from federation.errors import (
    BadRequest,
    CanonicalJsonError,
    PayloadTooLarge,
    PeerError,
    PeerUnavailable,
    PullBudgetSpent,
    UnsafeAddress,
)
from federation.feed import check_feed_page
from federation.httpsig import sign_request
from federation.keys import SigningKey, verify_node_document
from federation.nodeid import normalize_node_id
from federation.schemacheck import fast_check
from schemas.federation import FeedPageSchema

logger = logging.getLogger(__name__)

WELL_KNOWN_PATH = "/.well-known/coworknet"
PEERING_PATH = "/federation/v1/peering"
FEED_PATH = "/federation/v1/feed"
INBOX_PATH = "/federation/v1/inbox"
USER_AGENT = "coworknet-federation/1"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})

Resolver = Callable[[str, int], Iterable[str]]
#: Parses a response body strictly (raises CanonicalJsonError).
Decoder = Callable[[bytes], Any]


def _date_header_ms(value: str | None) -> int | None:
    """The peer's clock from an HTTP ``Date`` header (whole seconds), or None."""
    if not value:
        return None
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp() * 1000)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _Retryable(Exception):
    """Internal: a failure worth another attempt."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def default_resolver(host: str, port: int) -> list[str]:
    """Resolve ``host`` to every address a connection might use."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """True only for globally routable unicast addresses."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_global
        and not ip.is_multicast
        and not ip.is_reserved
        and not ip.is_loopback
        and not ip.is_link_local
        and not ip.is_private
        and not ip.is_unspecified
    )


class _DecodedPage(dict):
    """A parsed feed page that remembers its items' canonical forms."""

    canonical_items: list[CanonicalObject] | None = None


# Floats, NaN and Infinity are refused while parsing (the hooks cost nothing when absent).
_decode_json = json.JSONDecoder(parse_float=reject_float, parse_constant=reject_constant).decode
#: An item sits at this depth of its page (page, items, item).
_ITEM_DEPTH = 2


def _parse(data: bytes) -> Any:
    """``data`` parsed for the fast path (floats, NaN and Infinity refused), or None."""
    try:
        return _decode_json(data.decode("utf-8"))
    except (ValueError, RecursionError, CanonicalJsonError):
        return None


def decode_feed_page(data: bytes) -> Any:
    """Parse a feed page as strictly as :func:`canonical_loads`, faster when the body is
    canonical JSON: parsed with hooks that cost nothing unless a float or NaN appears, each
    item encoded canonically member by member, and the page rebuilt from those bytes must
    equal the body, which rules out duplicate keys and any other form. The remaining rules
    are walked only for an item whose bytes do not rule them out
    (:func:`federation.canonical.is_plain`, asked of the whole page at once when it can, and
    :func:`~federation.canonical.is_too_deep`). Anything else goes to :func:`canonical_loads`, which decides and words the error."""
    value = _parse(data)
    if (isinstance(value, dict) and isinstance(value.get("items"), list)
            and all(type(item) is dict for item in value["items"])):
        try:
            forms = [canonical_object(item, checked=True) for item in value["items"]]
            members = [canonical_dumps(key) + b":" + (
                b"[" + b",".join(form.data for form in forms) + b"]" if key == "items"
                else canonical_dumps(element))
                for key, element in sorted(value.items()) if key.isascii()]
            if len(members) == len(value) and b"{" + b",".join(members) + b"}" == data:
                plain = is_plain(data)  # then every item is
                for item, form in zip(value["items"], forms, strict=True):
                    if ((not plain and not is_plain(form.data))
                            or is_too_deep(form.data, depth=_ITEM_DEPTH)):
                        check_value(item, depth=_ITEM_DEPTH)
                page = _DecodedPage(value)
                page.canonical_items = forms
                return page
        except (CanonicalJsonError, TypeError, ValueError, RecursionError):
            pass
    return canonical_loads(data)


#: FeedPageSchema's rules as plain checks (a page of a thousand items is a thousand dicts).
_page_accepted = fast_check(FeedPageSchema) or (lambda _page: False)


def _keep_body(data: bytes) -> bytes:
    """The decoder of :meth:`FederationClient.fetch_feed_body`: the body as it came."""
    return data


def canonical_items(page: Mapping[str, Any]) -> list[CanonicalObject] | None:
    """The canonical forms of the items of a page from :meth:`FederationClient.get_feed`,
    when its body was canonical JSON (None otherwise)."""
    return getattr(page, "canonical_items", None)


@dataclass(frozen=True)
class PeerBackoff:
    """Delivery backoff state of one peer; pure and serialisable so the node can persist it.

    There is no give-up: after the cap the peer is simply retried every ``cap_ms``.
    """

    peer_node_id: str
    failures: int = 0
    next_attempt_at: int = 0
    last_error: str | None = None

    def is_due(self, now_ms: int) -> bool:
        return now_ms >= self.next_attempt_at

    def record_failure(
        self,
        now_ms: int,
        error_code: str,
        *,
        base_ms: int = 30_000,
        cap_ms: int = 3_600_000,
        rng: Callable[[float, float], float] = random.uniform,
    ) -> PeerBackoff:
        """Next state after a failure: exponential backoff with full jitter, capped."""
        failures = self.failures + 1
        ceiling = min(cap_ms, base_ms * 2 ** min(failures - 1, 32))
        delay = int(rng(ceiling / 2, ceiling))
        return dataclasses.replace(
            self, failures=failures, next_attempt_at=now_ms + delay, last_error=error_code
        )

    def record_success(self) -> PeerBackoff:
        return PeerBackoff(self.peer_node_id)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PeerBackoff:
        return cls(
            peer_node_id=str(data["peer_node_id"]),
            failures=int(data.get("failures", 0)),
            next_attempt_at=int(data.get("next_attempt_at", 0)),
            last_error=data.get("last_error"),
        )


class _DeadlineAdapter(HTTPAdapter):
    """An adapter that knows its open sockets, so a watchdog can cut a request whose whole
    exchange (connect, status line, headers, body) outlives the total deadline: the read
    timeout alone restarts at every byte, which a slow-loris peer exploits."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        registry = self.sockets

        class Connection(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                registry.add(self.sock)

        class SecureConnection(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                registry.add(self.sock)

        class Pool(HTTPConnectionPool):
            ConnectionCls = Connection

        class SecurePool(HTTPSConnectionPool):
            ConnectionCls = SecureConnection

        self.poolmanager.pool_classes_by_scheme = {"http": Pool, "https": SecurePool}

    def abort(self) -> None:
        """Shut every socket of this adapter down (the blocked read then fails at once)."""
        for sock in list(self.sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class FederationClient:
    """Signed HTTP client of one node (``node_id``, signing with ``key``)."""

    def __init__(
        self,
        node_id: str,
        key: SigningKey,
        *,
        allow_loopback_peers: Iterable[str] = frozenset(),
        timeout: tuple[float, float] = (3.05, 10),
        max_body: int = 1_000_000,
        max_redirects: int = 2,
        retries: int = 3,
        backoff_base: float = 0.5,
        backoff_cap: float = 30,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        resolver: Resolver = default_resolver,
        rng: Callable[[float, float], float] = random.uniform,
        total_timeout: float = 30,
    ) -> None:
        self.node_id = normalize_node_id(node_id)
        self.key = key
        self.allow_loopback_peers = frozenset(normalize_node_id(p) for p in allow_loopback_peers)
        self.timeout = timeout
        self.max_body = max_body
        self.max_redirects = max_redirects
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.session = session or requests.Session()
        self.session.trust_env = False
        self._adapter = _DeadlineAdapter()
        self.session.mount("http://", self._adapter)
        self.session.mount("https://", self._adapter)
        self._sleep = sleep
        self._resolver = resolver
        self._rng = rng
        self.total_timeout = total_timeout
        #: A ``time.monotonic()`` instant past which no attempt starts and none goes on (a
        #: pull's time budget, PROTOCOL §7.2): the call raises :class:`PullBudgetSpent`.
        self.deadline: float | None = None

    def _attempt_seconds(self) -> float:
        """How long one attempt may take: ``total_timeout``, or less before the deadline."""
        if self.deadline is None:
            return self.total_timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise PullBudgetSpent("this peer's pull took its whole time budget")
        return min(self.total_timeout, left)

    def close(self) -> None:
        self.session.close()

    # --- public operations --------------------------------------------------------------

    def fetch_node_document(self, base_url: str) -> dict[str, Any]:
        """Fetch ``/.well-known/coworknet`` and return it once its self-signature verifies."""
        node_id = normalize_node_id(base_url)
        document = self.get_signed(node_id, WELL_KNOWN_PATH, {})
        verify_node_document(document, expected_node_id=node_id)
        return document

    def get_feed(self, peer_node_id: str, after: int, limit: int, *,
                 resync: bool = False) -> dict[str, Any]:
        """Pull one feed page (items still need :func:`federation.messages.verify_feed_page`).
        Its items passed the canonical JSON checks; when the body was canonical JSON (as the
        reference node serves it), ``canonical_items(page)`` gives each item's canonical form."""
        return self.read_feed_page(
            self.fetch_feed_body(peer_node_id, after, limit, resync=resync), after, limit)

    def fetch_feed_body(self, peer_node_id: str, after: int, limit: int, *,
                        resync: bool = False) -> bytes:
        """The body of one feed page as received: the network half of :meth:`get_feed`.
        ``resync``: this reader is resynchronising from 0 (PROTOCOL §7.2)."""
        query = urlencode(sorted({"after": after, "limit": limit,
                                  **({"resync": 1} if resync else {})}.items()))
        body = self._call("GET", peer_node_id, FEED_PATH, query, b"", _keep_body)
        assert isinstance(body, bytes)
        return body

    @staticmethod
    def read_feed_page(body: bytes, after: int, limit: int) -> dict[str, Any]:
        """Parse and check a body from :meth:`fetch_feed_body` (the other half of
        :meth:`get_feed`); raises PeerError for anything but a well-formed page."""
        try:
            page = decode_feed_page(body)
        except CanonicalJsonError as exc:
            raise PeerError("peer sent invalid JSON", peer_status=200) from exc
        if not isinstance(page, dict):
            raise PeerError("peer answer is not a JSON object", peer_status=200)
        # What the compiled check does not accept, marshmallow decides (the check wants a
        # plain dict: the page's four members are copied, not its items).
        if not _page_accepted(dict(page)):
            try:
                FeedPageSchema().load(page)
            except ValidationError as exc:
                raise PeerError("peer sent a malformed feed page") from exc
        if len(page["items"]) > limit:  # more than we asked for
            raise PeerError("peer sent a malformed feed page")
        try:
            check_feed_page(page, after, limit)
        except BadRequest as exc:
            raise PeerError(exc.message) from exc
        return page

    def post_inbox(self, peer_node_id: str, message: Mapping[str, Any]) -> dict[str, Any]:
        """Deliver a signed inbox message; safe to retry because the inbox is idempotent."""
        return self.post_signed(peer_node_id, INBOX_PATH, message)

    def post_signed(self, peer: str, path: str, payload: Mapping[str, Any]) -> dict[str, Any]:
        """POST canonical JSON ``payload`` to ``peer`` + ``path`` as a signed request."""
        return self._call("POST", peer, path, "", canonical_dumps(dict(payload)))

    def get_signed(
        self, peer: str, path: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Signed GET of ``peer`` + ``path`` with query ``params``; returns the JSON object."""
        query = urlencode(sorted((params or {}).items()))
        return self._call("GET", peer, path, query, b"")

    # --- machinery ---------------------------------------------------------------------

    def _call(self, method: str, peer: str, path: str, query: str, body: bytes,
              decode: Decoder = canonical_loads) -> dict[str, Any]:
        peer = normalize_node_id(peer)
        if not path.startswith("/") or path.startswith("//") or "?" in path or "#" in path:
            raise BadRequest("path must be an absolute path without query")
        url = peer + path + (f"?{query}" if query else "")
        last_reason = "no attempt"
        for attempt in range(self.retries + 1):
            try:
                return self._follow_before_deadline(method, peer, url, body, decode)
            except _Retryable as exc:
                last_reason = exc.reason
                if attempt >= self.retries:
                    break
                delay = self._rng(0, min(self.backoff_cap, self.backoff_base * 2**attempt))
                if exc.retry_after is not None:
                    delay = max(delay, min(exc.retry_after, self.backoff_cap))
                if self.deadline is not None and time.monotonic() + delay >= self.deadline:
                    raise PullBudgetSpent(f"this peer's pull took its whole time budget "
                                          f"({exc.reason})") from None
                logger.info("peer %s: %s, retry %d in %.2fs", peer, exc.reason, attempt + 1, delay)
                self._sleep(delay)
        raise PeerUnavailable(f"peer unavailable after {self.retries + 1} attempts: {last_reason}")

    def _follow_before_deadline(self, method: str, peer: str, url: str, body: bytes,
                                decode: Decoder) -> dict[str, Any]:
        """One attempt, cut by a watchdog when it outlives ``total_timeout``."""
        expired = threading.Event()

        def cut() -> None:
            expired.set()
            self._adapter.abort()

        watchdog = threading.Timer(self._attempt_seconds(), cut)
        watchdog.daemon = True
        watchdog.start()
        try:
            return self._follow(method, peer, url, body, decode)
        except (_Retryable, PeerError, requests.RequestException) as exc:
            if expired.is_set():
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    raise PullBudgetSpent("this peer's pull took its whole time budget "
                                          "(response took too long)") from exc
                raise _Retryable("response took too long") from exc
            if isinstance(exc, requests.RequestException):
                raise _Retryable(type(exc).__name__) from exc
            raise
        finally:
            watchdog.cancel()

    def _follow(self, method: str, peer: str, url: str, body: bytes,
                decode: Decoder) -> dict[str, Any]:
        for _hop in range(self.max_redirects + 1):
            self._check_address(peer, url)
            response = self._send(method, url, body)
            try:
                if response.status_code not in REDIRECT_STATUSES:
                    return self._handle(response, decode)
                location = response.headers.get("Location")
            finally:
                response.close()
            if not location:
                raise PeerError("redirect without Location", peer_status=response.status_code)
            next_url = urljoin(url, location)
            parts = urlsplit(next_url)
            try:
                next_origin = normalize_node_id(f"{parts.scheme}://{parts.netloc}")
            except BadRequest as exc:
                raise PeerError("redirect to an invalid URL") from exc
            if next_origin != peer or parts.fragment:
                raise PeerError("redirect to another origin refused")
            if response.status_code in (301, 302, 303) and method != "GET":
                method, body = "GET", b""
            url = next_url
        raise PeerError(f"more than {self.max_redirects} redirects")

    def _check_address(self, peer: str, url: str) -> None:
        if peer in self.allow_loopback_peers:
            return
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            try:
                addresses = list(self._resolver(host, port))
            except OSError as exc:
                raise _Retryable("name resolution failed") from exc
        if not addresses:
            raise _Retryable("name resolution returned nothing")
        for address in addresses:
            if not is_public_address(address):
                logger.warning("refusing peer %s: non-public address", peer)
                raise UnsafeAddress(f"{peer} resolves to a non-public address")

    def _send(self, method: str, url: str, body: bytes) -> requests.Response:
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        headers["User-Agent"] = USER_AGENT
        if body:
            headers["Content-Type"] = "application/json"
        prepared = self.session.prepare_request(
            requests.Request(method, url, data=body or None, headers=headers)
        )
        sent_body = prepared.body or b""
        if isinstance(sent_body, str):
            sent_body = sent_body.encode("utf-8")
        assert prepared.url is not None
        prepared.headers.update(
            sign_request(method, prepared.url, sent_body, self.node_id, self.key)
        )
        try:
            return self.session.send(
                prepared, stream=True, timeout=self.timeout, allow_redirects=False
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(type(exc).__name__) from exc

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            raise PayloadTooLarge("peer announced a body over the limit")
        deadline = time.monotonic() + self._attempt_seconds()
        buffer = bytearray()
        try:
            for chunk in response.iter_content(chunk_size=65536):
                buffer += chunk
                if len(buffer) > self.max_body:
                    raise PayloadTooLarge("peer sent a body over the limit")
                if time.monotonic() > deadline:
                    raise _Retryable("response took too long")
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise _Retryable(type(exc).__name__) from exc
        except requests.RequestException as exc:
            raise _Retryable("broken response body") from exc
        return bytes(buffer)

    def _handle(self, response: requests.Response, decode: Decoder) -> dict[str, Any]:
        status = response.status_code
        if status in RETRYABLE_STATUSES:
            retry_after = response.headers.get("Retry-After", "")
            raise _Retryable(
                f"HTTP {status}", float(retry_after) if retry_after.isdigit() else None
            )
        data = self._read_capped(response)
        try:
            # A refusal is read strictly whatever ``decode`` does with an answer.
            payload = decode(data) if 200 <= status < 300 else canonical_loads(data)
        except CanonicalJsonError as exc:
            raise PeerError("peer sent invalid JSON", peer_status=status) from exc
        if not 200 <= status < 300:
            code, message, server_time = "unknown", f"HTTP {status}", None
            error = payload.get("error") if isinstance(payload, dict) else None
            if isinstance(error, dict):
                code = str(error.get("code", code))[:64]
                message = str(error.get("message", message))[:300]
                server_time = error.get("server_time_ms")
            if not isinstance(server_time, int) or isinstance(server_time, bool):
                server_time = _date_header_ms(response.headers.get("Date"))
            raise PeerError(f"peer refused: {message}", peer_status=status, peer_code=code,
                            server_time_ms=server_time)
        if not isinstance(payload, dict | bytes):
            raise PeerError("peer answer is not a JSON object", peer_status=status)
        return payload
