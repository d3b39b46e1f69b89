"""What the live-node benchmarks (``bench propagation``, ``bench network``) share: a free
loopback port, a read-only look into a node's SQLite database, and the :class:`Watcher` that
times each change's arrival at every peer by polling the peers' cursors on the origin's feed."""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo


class LiveNode(Protocol):
    url: str
    database: Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30, check_same_thread=False)


def local(moment: datetime) -> str:
    """A moment as the API's forms take it: Paris wall-clock time, to the minute."""
    return moment.astimezone(ZoneInfo("Europe/Paris")).replace(tzinfo=None).isoformat(timespec="minutes")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Watcher:
    """Polls, every ``poll`` seconds, the cursor on ``origin``'s feed of every peer that still
    waits for a change, and times each change's arrival at each peer (``samples`` per kind)."""

    def __init__(self, origin: LiveNode, targets: Sequence[LiveNode], kinds: Iterable[str],
                 poll: float = 0.02) -> None:
        self._origin = read_only(origin.database)
        self._targets = list(targets)
        self._peers = [read_only(node.database) for node in self._targets]
        self._url = origin.url
        self._poll = poll
        self._lock = threading.Lock()
        self._waiting: list[tuple[str, float, int, int]] = []  # kind, t0, peer, target seq
        self.samples: dict[str, list[float]] = {kind: [] for kind in kinds}
        self.unchanged = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def visible(self) -> list[int]:
        """For each peer, the last seq of the origin's feed it may read (shared or addressed)."""
        return [self._origin.execute(
            "SELECT COALESCE(MAX(seq), 0) FROM feed_items WHERE recipient IS NULL OR "
            "recipient = ?", (node.url,)).fetchone()[0] for node in self._targets]

    def expect(self, kind: str, started: float, before: list[int]) -> None:
        """A change of ``kind`` made at ``started`` (monotonic); ``before``: :meth:`visible`
        just before it. Each peer for which the feed moved is waited for."""
        after = self.visible()
        with self._lock:
            for index, (old, new) in enumerate(zip(before, after, strict=True)):
                if new <= old:
                    self.unchanged += 1  # nothing new for this peer: not a sample
                    continue
                self._waiting.append((kind, started, index, new))

    def cursor(self, index: int) -> int:
        row = self._peers[index].execute(
            "SELECT last_applied_seq FROM peers WHERE node_id = ?", (self._url,)).fetchone()
        return row[0] if row else 0

    def _run(self) -> None:
        while not self._stop.wait(self._poll):
            with self._lock:
                waiting = list(self._waiting)
            if not waiting:
                continue
            cursors = {i: self.cursor(i) for i in {w[2] for w in waiting}}
            now = time.monotonic()
            arrived = [w for w in waiting if cursors[w[2]] >= w[3]]
            with self._lock:
                for item in arrived:
                    self.samples[item[0]].append(now - item[1])
                    self._waiting.remove(item)

    def settle(self, timeout: float) -> int:
        """Wait until every change reached every peer (or ``timeout``); how many did not."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if not self._waiting:
                    return 0
            time.sleep(0.05)
        with self._lock:
            return len(self._waiting)

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._peers:
            conn.close()
        self._origin.close()
