"""Errors raised by the federation protocol library.

Every error has a stable machine ``code`` and the ``http_status`` a receiving node answers
with. Messages are meant for humans and never carry secrets, keys or personal data.
"""

from __future__ import annotations


class FederationError(Exception):
    """Base class of every protocol error."""

    code: str = "federation_error"
    http_status: int = 400

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message()
        super().__init__(self.message)

    @classmethod
    def default_message(cls) -> str:
        return cls.code.replace("_", " ")

    def to_dict(self) -> dict[str, dict[str, str]]:
        """The wire error body: ``{"error": {"code": ..., "message": ...}}``."""
        return {"error": {"code": self.code, "message": self.message}}


class BadRequest(FederationError):
    code = "bad_request"
    http_status = 400


class CanonicalJsonError(FederationError):
    code = "bad_canonical_json"
    http_status = 400


class UnsupportedMediaType(FederationError):
    """A request body that is not declared ``application/json`` (PROTOCOL §7)."""

    code = "unsupported_media_type"
    http_status = 415


class CursorInFuture(FederationError):
    code = "cursor_in_future"
    http_status = 400


class BadSignature(FederationError):
    code = "bad_signature"
    http_status = 401


class UnknownKey(FederationError):
    code = "unknown_key"
    http_status = 401


class ExpiredSignature(FederationError):
    """Outside the time window (or a key not valid then). A receiver's answer carries its own
    clock (``server_time_ms``, PROTOCOL §7.4) so that the sender can tell how far apart the
    two clocks are."""

    code = "expired_signature"
    http_status = 401


class ReplayedNonce(FederationError):
    code = "replayed_nonce"
    http_status = 401


class DestinationMismatch(FederationError):
    code = "destination_mismatch"
    http_status = 401


class ImplausibleValue(FederationError):
    """A figure of an item or message is out of the bounds of PROTOCOL §6.3 (a count, a
    sum of money, seats, a lease): the item (and its page) or the message is refused."""

    code = "implausible_value"
    http_status = 400


class OriginMismatch(FederationError):
    code = "origin_mismatch"
    http_status = 403


class NotPeer(FederationError):
    code = "not_peer"
    http_status = 403


class PayloadTooLarge(FederationError):
    code = "payload_too_large"
    http_status = 413


class RateLimited(FederationError):
    """Too many requests of this kind from this source (or from everyone) in the window."""

    code = "rate_limited"
    http_status = 429


class Busy(FederationError):
    """The receiver met a concurrent change of the same rows and could not handle the message
    now; nothing was changed and the sender retries later (PROTOCOL §7.4, transient)."""

    code = "busy"
    http_status = 503


class PeerUnavailable(FederationError):
    """Raised by the client when a peer cannot be reached or keeps failing."""

    code = "peer_unavailable"
    http_status = 502


class PeerError(FederationError):
    """Raised by the client when a peer answers with an error or an unusable body."""

    code = "peer_error"
    http_status = 502

    def __init__(
        self, message: str, *, peer_status: int | None = None, peer_code: str | None = None,
        server_time_ms: int | None = None,
    ) -> None:
        super().__init__(message)
        self.peer_status = peer_status
        self.peer_code = peer_code
        #: The peer's clock when it refused (``expired_signature``), if it said.
        self.server_time_ms = server_time_ms


class UnsafeAddress(FederationError):
    """Raised by the client when a peer resolves to an address it must not contact."""

    code = "unsafe_address"
    http_status = 502


class FeedStalled(PeerError):
    """Reader side (PROTOCOL §7.2): the peer says "more to come" but serves no item, so the
    cursor cannot move; the reader stops this peer for the round and backs it off."""

    code = "feed_stalled"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class ResyncLoop(PeerError):
    """Reader side (PROTOCOL §7.2): the peer asked for a full resync more often in one round
    than the reader allows; the reader stops this peer for the round and backs it off."""

    code = "resync_loop"

    def __init__(self, message: str) -> None:
        super().__init__(message)


class PullBudgetSpent(PeerError):
    """Reader side (PROTOCOL §7.2): one peer's pull used its time budget for the round; what
    was applied stays, the reader goes on from its cursor at a later round."""

    code = "pull_budget"

    def __init__(self, message: str) -> None:
        super().__init__(message)


ALL_ERRORS: tuple[type[FederationError], ...] = (
    BadRequest,
    CanonicalJsonError,
    CursorInFuture,
    UnsupportedMediaType,
    ImplausibleValue,
    BadSignature,
    UnknownKey,
    ExpiredSignature,
    ReplayedNonce,
    DestinationMismatch,
    OriginMismatch,
    NotPeer,
    PayloadTooLarge,
    Busy,
    PeerUnavailable,
    PeerError,
    UnsafeAddress,
    FeedStalled,
    ResyncLoop,
    PullBudgetSpent,
)
