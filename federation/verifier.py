"""Signature checks done ahead, by another process, while this one does the rest of the work.

A long pull sync spends about half of its time in the Ed25519 verify call, which holds the
interpreter lock, and the other half parsing, checking and writing. A worker process (one
more core) checks the signatures of the next page while this process applies the current
one: :class:`SignatureWorker` takes a page's body as it came, and returns the signatures that
verified, each as an exact triple (public key, signature, signed bytes).

Nothing is taken on trust beyond that triple: :class:`VerifiedSignatures` skips the verify
call only for the very key, signature and bytes that verified, which is what verifying them
again would answer (Ed25519 verification is deterministic). Every other rule (the key's
record and validity, the content hash, origin binding, schemas, the order of errors) is
still applied here, item by item, as without a worker; a signature the worker did not
verify is verified here, and fails here with its own error. A worker that crashes or is
not there costs speed, never a check.
"""

from __future__ import annotations

import ctypes
import json
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from federation.canonical import canonical_object
from federation.encoding import b64url_decode
from federation.envelope import MAX_SIGNATURES_PER_SIGNER, SKELETON_MEMBERS
from federation.errors import BadRequest
from federation.keys import VerifyKey

logger = logging.getLogger(__name__)

Triple = tuple[bytes, bytes, bytes]
"""A verified signature: (public key, signature, signed bytes)."""


class VerifiedSignatures:
    """Signatures known to verify; :meth:`verify` checks any other one itself."""

    __slots__ = ("_seen",)

    def __init__(self, triples: Iterable[Triple] = ()) -> None:
        self._seen = frozenset(triples)

    def __len__(self) -> int:
        return len(self._seen)

    def verify(self, key: VerifyKey, signature: bytes, data: bytes) -> None:
        """As ``key.verify(signature, data)``, without the call for a triple known to hold."""
        if (key.public_bytes, signature, data) not in self._seen:
            key.verify(signature, data)


def page_signatures(body: bytes, signer: str, keys: Mapping[str, bytes]) -> list[Triple]:
    """The skeleton signatures by ``signer`` that verify in a feed page's ``body``, with the
    public keys ``keys`` (key id → 32 bytes). Anything odd in an item (a wrong shape, an
    unknown key, a bad signature) leaves that signature out: the page's reader decides."""
    try:
        page = json.loads(body)
        items = page["items"]
    except (ValueError, TypeError, KeyError, RecursionError):
        return []
    if not isinstance(items, list):
        return []
    verify_keys: dict[str, VerifyKey] = {}
    for key_id, public in keys.items():
        try:
            verify_keys[key_id] = VerifyKey(public)
        except (BadRequest, ValueError):
            continue
    verified: list[Triple] = []
    for item in items:
        try:
            own = item["signatures"][signer]
            if not isinstance(own, dict) or len(own) > MAX_SIGNATURES_PER_SIGNER:
                continue
            data = canonical_object({k: item[k] for k in SKELETON_MEMBERS if k in item},
                                    checked=True).data
            for key_id, text in own.items():
                key = verify_keys.get(key_id)
                if key is None or not isinstance(text, str):
                    continue
                signature = b64url_decode(text)
                key.verify(signature, data)
                verified.append((key.public_bytes, signature, data))
        except Exception:  # noqa: BLE001, S112 - any oddity: the reader checks this item itself
            continue
    return verified


def _ready() -> bool:
    return True


#: ``prctl`` option asking the kernel for a signal when the parent (thread) ends (Linux).
PR_SET_PDEATHSIG = 1
#: How often a worker looks whether its parent is still there (where ``prctl`` is not).
PARENT_WATCH_SECONDS = 0.5


def die_with_parent(parent_pid: int) -> None:
    """Initializer of a worker process: end it when its parent ends, however the parent ends
    (``kill -9`` included), so that no worker outlives the scheduler that started it, nor
    keeps multiprocessing's resource tracker alive. On Linux the kernel sends SIGKILL
    (``prctl(PR_SET_PDEATHSIG)``); everywhere, a thread looks every half second whether the
    parent is still there (a parent gone, the worker is re-parented: ``getppid`` changes)."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl to be had: the watchdog below does it
            pass
    if os.getppid() != parent_pid:  # the parent died before the request took effect
        os._exit(0)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                     name="parent-watch").start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_WATCH_SECONDS)
    os._exit(0)


def _succeeded(future: Future[Any]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


class SignatureWorker:
    """One worker process that checks pages' signatures (:func:`page_signatures`).

    Started with ``spawn``: a fresh interpreter, safe to start from a threaded server, which
    imports this library (and, as ``spawn`` does, the parent's main module). It dies with its
    parent (:func:`die_with_parent`): a scheduler killed mid-pull leaves no orphan. :meth:`submit`
    returns a future of the verified triples; a worker that died makes that future fail, and
    the caller verifies the page itself."""

    def __init__(self) -> None:
        self._pool = ProcessPoolExecutor(max_workers=1,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=die_with_parent, initargs=(os.getpid(),))
        self._started = time.monotonic()
        self._ready = self._pool.submit(_ready)  # starts the process now
        self._ready.add_done_callback(self._log_ready)

    @property
    def ready(self) -> bool:
        """Whether the process is up (a new interpreter takes about a second to start)."""
        return _succeeded(self._ready)

    def _log_ready(self, future: Future[Any]) -> None:
        if _succeeded(future):
            logger.info("signature worker ready after %.2f s", time.monotonic() - self._started)

    def submit(self, body: bytes, signer: str, keys: Mapping[str, bytes]) -> Future[Any]:
        """The future of :func:`page_signatures` in the worker; it fails (never this call)
        when the worker cannot take the page."""
        try:
            return self._pool.submit(page_signatures, body, signer, dict(keys))
        except Exception as exc:  # a broken or closed pool: the future says so
            failed: Future[Any] = Future()
            failed.set_exception(exc)
            return failed

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> SignatureWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
