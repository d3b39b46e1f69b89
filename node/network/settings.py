"""The network directory's settings (from the node's config, attached to every session) and
which profile visibilities share a member with the network."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

SETTINGS_INFO_KEY = "coworknet.network"
SHARED_VISIBILITIES = ("network_anonymous", "network_named")


@dataclass(frozen=True)
class NetworkSettings:
    """The network directory's settings; attached to every session of the app."""

    pseudonym_secret: bytes = field(repr=False)
    k: int = 3
    lease: timedelta = timedelta(days=7)
    renew_before: timedelta = timedelta(days=2)
    epoch_days: int = 90
    introduction_ttl: timedelta = timedelta(days=14)
    introductions_per_day: int = 10

    @classmethod
    def from_config(cls, config) -> NetworkSettings | None:
        """None when the node has no ``PSEUDONYM_SECRET`` (it then shares nothing)."""
        secret = str(config["PSEUDONYM_SECRET"] or "")
        if len(secret) < 32:
            return None
        try:
            raw = bytes.fromhex(secret)
        except ValueError:
            raw = secret.encode("utf-8")
        return cls(pseudonym_secret=raw, k=int(config["NETWORK_K"]),
                   introductions_per_day=int(config["NETWORK_INTRODUCTIONS_PER_DAY"]))


def settings_of(session: Session) -> NetworkSettings | None:
    """The settings the application factory gives every session (``SETTINGS_INFO_KEY``)."""
    return session.info.get(SETTINGS_INFO_KEY)
