"""A lossy TCP proxy for the fault suite: it stands on a node's public port and forwards each
connection to the port the node really listens on, dropping, cutting or delaying connections
as the test says (:meth:`LossyProxy.set`), with counters of what it did.

Faults, each decided per connection:

* ``drop``: the connection is accepted and closed at once, before any byte reaches the node
  (the sender sees a reset or an empty answer; the node never saw the request);
* ``cut``: the request reaches the node, which handles it, and the answer is cut after its
  first bytes (the sender never learns what the node did: the hard case for idempotency);
* ``delay``: the connection waits up to ``delay`` seconds before it is forwarded.

Plain sockets and threads, nothing else: it carries HTTP/1.1 with keep-alive as bytes."""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass

CHUNK = 65536


@dataclass
class ProxyStats:
    connections: int = 0
    dropped: int = 0
    cut: int = 0
    delayed: int = 0


class LossyProxy:
    """Listens on ``127.0.0.1:listen_port`` and forwards to ``127.0.0.1:target_port``."""

    def __init__(self, listen_port: int, target_port: int, *, seed: int = 19) -> None:
        self.target_port = target_port
        self.drop = self.cut = self.delay = 0.0
        self.stats = ProxyStats()
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._open: set[socket.socket] = set()
        self._listener = socket.create_server(("127.0.0.1", listen_port), reuse_port=False)
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, name=f"proxy-{self.port}",
                                        daemon=True)
        self._thread.start()

    def set(self, *, drop: float = 0.0, cut: float = 0.0, delay: float = 0.0) -> None:
        """From now on: drop (probability), cut (probability), delay (seconds at most)."""
        with self._lock:
            self.drop, self.cut, self.delay = drop, cut, delay

    def clear(self) -> None:
        """A clean link again (connections already open are left alone)."""
        self.set()

    def _decide(self) -> tuple[str, float]:
        with self._lock:
            self.stats.connections += 1
            roll = self._random.random()
            wait = self._random.uniform(0, self.delay) if self.delay else 0.0
            if roll < self.drop:
                self.stats.dropped += 1
                return "drop", 0.0
            if wait:
                self.stats.delayed += 1
            if roll < self.drop + self.cut:
                self.stats.cut += 1
                return "cut", wait
            return "pass", wait

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        fate, wait = self._decide()
        if fate == "drop":
            _hard_close(client)
            return
        if wait:
            time.sleep(wait)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            _hard_close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        forward = threading.Thread(target=_pump, args=(client, upstream, None), daemon=True)
        forward.start()
        # A cut answer: only its first bytes reach the sender, then both ends are closed.
        _pump(upstream, client, self._random.randint(1, 64) if fate == "cut" else None)
        forward.join(timeout=1)
        with self._lock:
            self._open.difference_update((client, upstream))

    def close(self) -> None:
        self._closing.set()
        self._listener.close()
        self._thread.join(timeout=2)
        with self._lock:
            for sock in list(self._open):
                _hard_close(sock)
            self._open.clear()


def _pump(source: socket.socket, sink: socket.socket, limit: int | None) -> None:
    """Copy bytes from ``source`` to ``sink`` until either side closes (or ``limit`` bytes,
    after which both are closed: a connection cut in the middle of an answer)."""
    sent = 0
    try:
        while True:
            data = source.recv(CHUNK)
            if not data:
                break
            if limit is not None and sent + len(data) >= limit:
                sink.sendall(data[:limit - sent])
                break
            sink.sendall(data)
            sent += len(data)
    except OSError:
        pass
    _hard_close(source)
    _hard_close(sink)


def _hard_close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
