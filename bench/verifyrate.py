"""The machine's raw Ed25519 verify rate: one core's, and all cores' at once."""

from __future__ import annotations

import multiprocessing
import os
import time
from typing import Any

from federation.keys import SigningKey, VerifyKey


def signed_messages() -> tuple[VerifyKey, list[tuple[bytes, bytes]]]:
    """256 signed 100-byte messages (about a feed item's skeleton) and their public key."""
    key = SigningKey.from_seed(bytes(range(32)))
    messages = [bytes([i % 256]) * 100 for i in range(256)]
    return key.public(), [(key.sign(m), m) for m in messages]


def verify_rate(seconds: float = 1.0, windows: int = 4) -> list[float]:
    """The quiet machine's verify rate: Ed25519 verifications per second of one core on
    100-byte messages, in ``windows`` equal windows of a tight loop over ``seconds``."""
    public, signed = signed_messages()
    rates = []
    for _ in range(windows):
        count, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / windows:
            for signature, message in signed:
                public.verify(signature, message)
            count += len(signed)
        rates.append(count / (time.perf_counter() - start))
    return rates


def _one_of_all(barrier: Any, seconds: float, results: Any) -> None:
    barrier.wait()  # every process starts its loop at once
    results.put(verify_rate(seconds, windows=1)[0])


def all_cores_rate(seconds: float = 1.0) -> float:
    """Verifications per second of the whole machine: one tight loop per core, all at once,
    each in a process of its own."""
    context = multiprocessing.get_context("spawn")
    count = os.cpu_count() or 1
    barrier, results = context.Barrier(count), context.Queue()
    processes = [context.Process(target=_one_of_all, args=(barrier, seconds, results))
                 for _ in range(count)]
    for process in processes:
        process.start()
    try:
        return sum(results.get(timeout=60 + seconds) for _ in processes)
    finally:
        for process in processes:
            process.join(timeout=30)
