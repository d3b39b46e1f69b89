"""Per-peer pseudonyms for directory entries.

The same member gets a different, stable pseudonym for each recipient node and each epoch,
so two peers cannot link entries, and a peer cannot follow a person across epochs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time

from federation.nodeid import normalize_node_id

logger = logging.getLogger(__name__)

DOMAIN_TAG = b"coworknet/directory-pseudonym/v1"
DAY_MS = 24 * 3600 * 1000
PSEUDONYM_BYTES = 20
MIN_SECRET_BYTES = 32


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def pseudonym(node_secret: bytes, epoch: int, recipient_node_id: str, member_id: str | int) -> str:
    """32 lowercase base32 characters of HMAC-SHA256(secret, tag ‖ epoch ‖ recipient ‖ member).

    Every field is length-prefixed so no two inputs share an encoding; ``member_id`` 7 and
    ``"7"`` are the same member.
    """
    if len(node_secret) < MIN_SECRET_BYTES:
        raise ValueError("the pseudonym secret must be at least 32 bytes")
    if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
        raise ValueError("epoch must be a non-negative integer")
    recipient = normalize_node_id(recipient_node_id)
    message = (
        _field(DOMAIN_TAG)
        + epoch.to_bytes(8, "big")
        + _field(recipient.encode("utf-8"))
        + _field(str(member_id).encode("utf-8"))
    )
    digest = hmac.new(node_secret, message, hashlib.sha256).digest()[:PSEUDONYM_BYTES]
    return base64.b32encode(digest).decode("ascii").lower()


def current_epoch(now: int | None = None, epoch_days: int = 90) -> int:
    """The pseudonym epoch for ``now`` (UNIX milliseconds): one epoch every ``epoch_days``."""
    if epoch_days < 1:
        raise ValueError("epoch_days must be positive")
    ts = time.time_ns() // 1_000_000 if now is None else now
    return ts // (epoch_days * DAY_MS)
