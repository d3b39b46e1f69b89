"""Request nonces remembered in the database, so a replay is refused by every worker.

The nonce row is written in the request's own transaction: a request rejected after the
signature check (not a peer, bad body) rolls back and leaves nothing behind; two concurrent
copies of one request collide on the unique (signer, nonce) constraint.
"""

from __future__ import annotations

import logging

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .models import SeenNonce

logger = logging.getLogger(__name__)


class DatabaseNonceStore:
    """``federation.httpsig.NonceStore`` over the ``federation_nonces`` table."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def remember(self, signer: str, nonce: str, expires_at: int) -> bool:
        """Record ``nonce`` of ``signer`` until ``expires_at`` (UNIX s); False on a replay."""
        seen = self.session.scalar(
            select(SeenNonce.id).where(SeenNonce.signer == signer, SeenNonce.nonce == nonce)
        )
        if seen is not None:
            return False
        self.session.add(SeenNonce(signer=signer, nonce=nonce, expires_ms=expires_at * 1000))
        try:
            self.session.flush()
        except IntegrityError:
            # Another worker recorded it first; the caller rejects and rolls back.
            logger.info("concurrent replay of a nonce from %s", signer)
            return False
        return True


def purge_nonces(session: Session, now_ms: int) -> int:
    """Forget nonces whose signature window has passed; returns how many."""
    result = session.execute(delete(SeenNonce).where(SeenNonce.expires_ms < now_ms - 1000))
    return result.rowcount or 0
