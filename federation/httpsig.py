"""Signed HTTP requests between nodes, in the spirit of RFC 9421 (HTTP Message Signatures).

Every request carries::

    Content-Digest: sha-256=:<base64 SHA-256 of the body>:
    Coworknet-Origin: <sender node id>
    Coworknet-Destination: <receiver node id>
    Signature-Input: cwn=("@method" "@authority" "@path" "@query" "content-digest"
        "coworknet-origin" "coworknet-destination");created=..;expires=..;nonce="..";keyid=".."
    Signature: cwn=:<base64 Ed25519 signature over the signature base>:

Times (``created``, ``expires``, ``now``) are integer UNIX seconds, as in RFC 9421.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from federation.encoding import b64_std_decode, b64_std_encode
from federation.errors import (
    BadRequest,
    BadSignature,
    DestinationMismatch,
    ExpiredSignature,
    ReplayedNonce,
    UnknownKey,
)
from federation.keys import KeyRecord, SigningKey
from federation.nodeid import authority_of, normalize_node_id

logger = logging.getLogger(__name__)

LABEL = "cwn"
ORIGIN_HEADER = "Coworknet-Origin"
DESTINATION_HEADER = "Coworknet-Destination"
COVERED_COMPONENTS = (
    "@method",
    "@authority",
    "@path",
    "@query",
    "content-digest",
    "coworknet-origin",
    "coworknet-destination",
)
REQUIRED_PARAMS = ("created", "expires", "nonce", "keyid")
#: The one parameter a signer MAY add (RFC 9421 §2.3): the algorithm, which can only be ours.
OPTIONAL_PARAMS = {"alg": "ed25519"}
DEFAULT_WINDOW = 60
DEFAULT_MAX_EXPIRES = 300
_NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_KEYID_RE = re.compile(r"^[A-Za-z0-9_:-]{1,64}$")

KeyLookup = Callable[[str, str], KeyRecord | None]


class NonceStore(Protocol):
    """Remembers nonces per signer until they expire; shared by every worker of a node."""

    def remember(self, signer: str, nonce: str, expires_at: int) -> bool:
        """Record ``nonce``; return False if it was already recorded (a replay)."""
        ...


class MemoryNonceStore:
    """In-process nonce store for tests and single-process tools."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._seen: dict[tuple[str, str], int] = {}
        self._clock = clock

    def remember(self, signer: str, nonce: str, expires_at: int) -> bool:
        """Record ``nonce`` for ``signer``; False when it is a replay."""
        now = int(self._clock())
        self._seen = {k: v for k, v in self._seen.items() if v >= now}
        if (signer, nonce) in self._seen:
            return False
        self._seen[(signer, nonce)] = expires_at
        return True


@dataclass(frozen=True)
class VerifiedRequest:
    signer: str
    key_id: str
    created: int
    nonce: str


# --- content digest ---------------------------------------------------------------------


def content_digest(body: bytes) -> str:
    """The ``Content-Digest`` value (RFC 9530) of ``body``: ``sha-256=:<b64>:``."""
    return f"sha-256=:{b64_std_encode(hashlib.sha256(body).digest())}:"


# --- a small strict parser for the RFC 8941 dictionaries we use ------------------------

_SF_KEY_RE = re.compile(r"[a-z*][a-z0-9_.*-]*")
_SF_INT_RE = re.compile(r"-?[0-9]{1,15}")
_SF_TOKEN_RE = re.compile(r"[A-Za-z*][A-Za-z0-9!#$%&'*+.^_`|~:/-]*")
_SF_BYTES_RE = re.compile(r":([A-Za-z0-9+/=]*):")

SfValue = int | str | bytes | bool
SfParams = dict[str, SfValue]


@dataclass(frozen=True)
class SfMember:
    value: SfValue | tuple[SfValue, ...]
    params: SfParams


class _SfParser:
    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise BadSignature("structured header is not ASCII")
        self.text = text
        self.pos = 0

    def fail(self, what: str) -> BadSignature:
        return BadSignature(f"malformed signature header: {what}")

    def skip_ows(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def skip_sp(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def key(self) -> str:
        match = _SF_KEY_RE.match(self.text, self.pos)
        if not match:
            raise self.fail("expected a key")
        self.pos = match.end()
        return match.group()

    def bare_item(self) -> SfValue:
        char = self.peek()
        if char == '"':
            self.pos += 1
            out = []
            while True:
                if self.pos >= len(self.text):
                    raise self.fail("unterminated string")
                char = self.text[self.pos]
                self.pos += 1
                if char == "\\":
                    if self.peek() not in ('"', "\\"):
                        raise self.fail("bad escape in string")
                    out.append(self.text[self.pos])
                    self.pos += 1
                elif char == '"':
                    return "".join(out)
                elif not " " <= char <= "~":
                    raise self.fail("bad character in string")
                else:
                    out.append(char)
        if char == ":":
            match = _SF_BYTES_RE.match(self.text, self.pos)
            if not match:
                raise self.fail("bad byte sequence")
            self.pos = match.end()
            try:
                return b64_std_decode(match.group(1))
            except BadRequest as exc:
                raise self.fail("bad base64 in byte sequence") from exc
        if char == "?":
            value = self.text[self.pos : self.pos + 2]
            if value not in ("?0", "?1"):
                raise self.fail("bad boolean")
            self.pos += 2
            return value == "?1"
        match = _SF_INT_RE.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            if self.peek() == ".":
                raise self.fail("decimals are not supported")
            return int(match.group())
        match = _SF_TOKEN_RE.match(self.text, self.pos)
        if match:
            self.pos = match.end()
            return match.group()
        raise self.fail("expected an item")

    def params(self) -> SfParams:
        params: SfParams = {}
        while self.peek() == ";":
            self.pos += 1
            self.skip_sp()
            name = self.key()
            value: SfValue = True
            if self.peek() == "=":
                self.pos += 1
                value = self.bare_item()
            if name in params:
                raise self.fail(f"duplicate parameter {name}")
            params[name] = value
        return params

    def member_value(self) -> SfMember:
        if self.peek() == "(":
            self.pos += 1
            items: list[SfValue] = []
            while True:
                self.skip_sp()
                if self.peek() == ")":
                    self.pos += 1
                    break
                items.append(self.bare_item())
                if self.params():
                    raise self.fail("component parameters are not supported")
                if self.peek() not in (" ", ")"):
                    raise self.fail("expected space or ) in inner list")
            return SfMember(tuple(items), self.params())
        return SfMember(self.bare_item(), self.params())

    def dictionary(self) -> dict[str, SfMember]:
        result: dict[str, SfMember] = {}
        self.skip_sp()
        while self.pos < len(self.text):
            name = self.key()
            if self.peek() == "=":
                self.pos += 1
                member = self.member_value()
            else:
                member = SfMember(True, self.params())
            # RFC 8941: a repeated key overrides; for signatures that is ambiguous, refuse.
            if name in result:
                raise self.fail(f"duplicate label {name}")
            result[name] = member
            self.skip_ows()
            if self.pos >= len(self.text):
                break
            if self.peek() != ",":
                raise self.fail("expected a comma")
            self.pos += 1
            self.skip_ows()
            if self.pos >= len(self.text):
                raise self.fail("trailing comma")
        return result


def _sf_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- signature base -----------------------------------------------------------------------


def signature_params(
    components: tuple[str, ...], created: int, expires: int, nonce: str, key_id: str,
    *, order: tuple[str, ...] = REQUIRED_PARAMS, alg: str | None = None,
) -> str:
    """The serialised ``@signature-params`` value, identical in Signature-Input: the
    parameters in ``order`` (ours: created, expires, nonce, keyid; a receiver keeps the order
    it received, as RFC 9421 §2.3 does), with ``alg`` when it was given."""
    inner = " ".join(_sf_string(c) for c in components)
    values = {"created": str(created), "expires": str(expires), "nonce": _sf_string(nonce),
              "keyid": _sf_string(key_id)}
    if alg is not None:
        values["alg"] = _sf_string(alg)
    return f"({inner})" + "".join(f";{name}={values[name]}" for name in order)


def signature_base(component_values: Mapping[str, str], params: str) -> bytes:
    """Build the RFC 9421 §2.5 signature base from covered component values."""
    lines = []
    for name in COVERED_COMPONENTS:
        value = component_values[name]
        if "\n" in value or "\r" in value:
            raise BadSignature("component value contains a line break")
        lines.append(f"{_sf_string(name)}: {value}")
    lines.append(f'"@signature-params": {params}')
    try:
        return "\n".join(lines).encode("ascii")
    except UnicodeEncodeError as exc:
        raise BadSignature("signature base is not ASCII") from exc


def _query_component(query: str) -> str:
    return "?" + query


def sign_request(
    method: str,
    url: str,
    body: bytes,
    signer: str,
    key: SigningKey,
    now: int | None = None,
    nonce: str | None = None,
    expires_in: int = DEFAULT_WINDOW,
) -> dict[str, str]:
    """Sign an outgoing request; returns the headers to add to it.

    ``url`` must be exactly the URL that is sent (already percent-encoded).
    """
    parts = urlsplit(url)
    if parts.fragment or parts.username or parts.password:
        raise BadRequest("cannot sign a URL with a fragment or user information")
    destination = normalize_node_id(f"{parts.scheme}://{parts.netloc}")
    origin = normalize_node_id(signer)
    created = int(time.time()) if now is None else now
    nonce = nonce or secrets.token_urlsafe(18)
    if not _NONCE_RE.match(nonce):
        raise BadRequest("nonce must be 16-64 base64url characters")
    digest = content_digest(body)
    values = {
        "@method": method.upper(),
        "@authority": authority_of(destination),
        "@path": parts.path or "/",
        "@query": _query_component(parts.query),
        "content-digest": digest,
        "coworknet-origin": origin,
        "coworknet-destination": destination,
    }
    params = signature_params(COVERED_COMPONENTS, created, created + expires_in, nonce, key.key_id)
    signature = key.sign(signature_base(values, params))
    return {
        "Content-Digest": digest,
        ORIGIN_HEADER: origin,
        DESTINATION_HEADER: destination,
        "Signature-Input": f"{LABEL}={params}",
        "Signature": f"{LABEL}=:{b64_std_encode(signature)}:",
    }


def _header(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    found = [v for k, v in headers.items() if k.lower() == lowered]
    if len(found) > 1:
        raise BadSignature(f"header {name} appears more than once")
    return found[0].strip() if found else None


def _required_header(headers: Mapping[str, str], name: str) -> str:
    value = _header(headers, name)
    if value is None or value == "":
        raise BadSignature(f"missing required header {name}")
    return value


def verify_request(
    method: str,
    authority: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    our_node_id: str,
    lookup_key: KeyLookup,
    nonce_store: NonceStore,
    now: int | None = None,
    window: int = DEFAULT_WINDOW,
    max_expires: int = DEFAULT_MAX_EXPIRES,
) -> VerifiedRequest:
    """Verify a signed incoming request; on success its nonce is recorded in ``nonce_store``.

    ``authority`` is the request's Host (``host[:port]``), ``query`` the raw query string
    without ``?``. Nothing is recorded when any check fails.
    """
    now = int(time.time()) if now is None else now
    our_node_id = normalize_node_id(our_node_id)

    # 1. Parse the signature headers; only our label counts.
    inputs = _SfParser(_required_header(headers, "Signature-Input")).dictionary()
    sigs = _SfParser(_required_header(headers, "Signature")).dictionary()
    if LABEL not in inputs or LABEL not in sigs:
        raise BadSignature(f"no signature labelled {LABEL}")
    member = inputs[LABEL]
    signature = sigs[LABEL].value
    if not isinstance(signature, bytes) or sigs[LABEL].params:
        raise BadSignature("signature is not a byte sequence")
    components = member.value
    if not isinstance(components, tuple) or not all(isinstance(c, str) for c in components):
        raise BadSignature("signature input is not a list of components")
    if components != COVERED_COMPONENTS:
        raise BadSignature("signature must cover exactly the required components, in order")
    params = member.params
    order = tuple(params)
    optional = set(order) - set(REQUIRED_PARAMS)
    if (len(order) != len(set(order)) or not set(REQUIRED_PARAMS) <= set(order)
            or not optional <= set(OPTIONAL_PARAMS)):
        raise BadSignature("signature parameters must be created, expires, nonce, keyid "
                           "(and alg at most)")
    if any(params[name] != OPTIONAL_PARAMS[name] for name in optional):
        raise BadSignature("the only algorithm is ed25519")
    created, expires = params["created"], params["expires"]
    nonce, key_id = params["nonce"], params["keyid"]
    if not (
        isinstance(created, int)
        and not isinstance(created, bool)
        and isinstance(expires, int)
        and not isinstance(expires, bool)
    ):
        raise BadSignature("created and expires must be integers")
    if not isinstance(nonce, str) or not _NONCE_RE.match(nonce):
        raise BadSignature("nonce must be 16-64 base64url characters")
    if not isinstance(key_id, str) or not _KEYID_RE.match(key_id):
        raise BadSignature("malformed keyid")

    # 2. Time window.
    if created > now + window:
        raise ExpiredSignature("signature created in the future")
    if created < now - window:
        raise ExpiredSignature("signature is too old")
    if expires <= created or expires > created + max_expires:
        raise ExpiredSignature("signature lifetime is invalid or too long")
    if now > expires:
        raise ExpiredSignature("signature has expired")

    # 3. The body digest, recomputed from the bytes actually received.
    digest = _required_header(headers, "Content-Digest")
    if digest != content_digest(body):
        raise BadSignature("content digest does not match the body")

    # 4. Origin and destination.
    origin_raw = _required_header(headers, ORIGIN_HEADER)
    destination_raw = _required_header(headers, DESTINATION_HEADER)
    try:
        signer = normalize_node_id(origin_raw)
    except BadRequest as exc:
        raise BadSignature("origin is not a valid node id") from exc
    if signer != origin_raw:
        raise BadSignature("origin must be a normalised node id")
    if destination_raw != our_node_id:
        raise DestinationMismatch("request is addressed to another node")
    if authority.lower() != authority_of(our_node_id):
        raise DestinationMismatch("request authority is not ours")

    # 5. The key of the claimed origin, valid at the signing time.
    record = lookup_key(signer, key_id)
    if record is None:
        raise UnknownKey("unknown key for this origin")
    if record.key_id != key_id:
        raise UnknownKey("key lookup returned another key")
    record.check_valid_at(created * 1000)

    # 6. The signature itself.
    values = {
        "@method": method.upper(),
        "@authority": authority.lower(),
        "@path": path or "/",
        "@query": _query_component(query[1:] if query.startswith("?") else query),
        "content-digest": digest,
        "coworknet-origin": origin_raw,
        "coworknet-destination": destination_raw,
    }
    # Re-serialise the parameters (in the order received, RFC 9421 §2.3) from the values we
    # checked: the signed bytes are exactly what we checked.
    params_text = signature_params(COVERED_COMPONENTS, created, expires, nonce, key_id,
                                   order=order, alg=params.get("alg"))
    base = signature_base(values, params_text)
    record.verify_key().verify(signature, base)

    # 7. Only now consume the nonce: a forged request must not burn a legitimate nonce.
    expires_at = min(expires, created + window)
    if not nonce_store.remember(signer, nonce, expires_at):
        raise ReplayedNonce("nonce already used")
    return VerifiedRequest(signer=signer, key_id=key_id, created=created, nonce=nonce)
