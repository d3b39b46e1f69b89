"""Fixtures for the federation library tests: fixed-seed keys and a key registry."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from federation.keys import KeyRecord, SigningKey

AIX = "https://aix.example"
FONTAINEBLEAU = "https://fontainebleau.example"
T0_MS = 1_700_000_000_000
T0_S = T0_MS // 1000


@pytest.fixture
def aix_key() -> SigningKey:
    return SigningKey.from_seed(bytes(range(32)))


@pytest.fixture
def fontainebleau_key() -> SigningKey:
    return SigningKey.from_seed(bytes(range(32, 64)))


@pytest.fixture
def registry() -> dict[tuple[str, str], KeyRecord]:
    return {}


@pytest.fixture
def add_key(registry: dict[tuple[str, str], KeyRecord]) -> Callable[..., KeyRecord]:
    """``add_key(signer, key, **record_fields)`` registers a key record for ``signer``."""

    def _add(signer: str, key: SigningKey, **fields: int | None) -> KeyRecord:
        record = KeyRecord.for_key(key)
        if fields:
            record = KeyRecord(record.key_id, record.public_key_b64, **fields)  # type: ignore[arg-type]
        registry[(signer, record.key_id)] = record
        return record

    return _add


@pytest.fixture
def lookup_key(
    registry: dict[tuple[str, str], KeyRecord],
) -> Callable[[str, str], KeyRecord | None]:
    return lambda signer, key_id: registry.get((signer, key_id))
