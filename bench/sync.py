"""``python -m bench sync [--entries 100000] [--changes 10] [--transport-only] [--no-worker]
[--quick]``:
federation sync throughput (100 000 entries is the documented size; ``--quick`` is a smoke run).

In one run: the end-to-end initial sync of ``--entries`` signed directory entries from node A
to node B — two real nodes on loopback, each with its own SQLite database, over HTTP, A served
by a process of its own (as a peer is: only B's work shares this interpreter), every item
verified and applied by the registered handlers with its cursor, and the round's upkeep at its
end — then an incremental sync of ``--changes`` changes, timed apart from the round's upkeep
that follows it (printed too). Both nodes are set up as deployed (``coworknet init`` gives each
a pseudonym secret, so each shares its directory), and B has ``--members`` members of its own
who share their skills (300: the cooperative of the mission statement). Prints entries/s, the
ratios to the raw Ed25519 verify rate of this machine, and the incremental cost in % of the
full sync.

B checks the signatures of a long pull in a worker process of its own, as deployed on a
machine of more than one core (:mod:`federation.verifier`; ``--no-worker``: in the syncing
process, as on one core). The sync then keeps more than one core busy while the raw rate is
one core's: the CPU time of each process per entry is printed too, so the ratio is read for
what it is (the entries a node takes in per second, against what one core verifies).

The raw verify rate is measured twice, and both ratios are printed:

* **during the sync, in the same conditions**: after each page, a short window of
  verifications on the syncing thread (after a few untimed ones that warm the caches up).
  Both nodes share this machine, and a virtual machine's speed swings by ±10 % over seconds;
  these windows see the very conditions the sync's own verifications see. Their time is
  counted in the sync's time (so the next page's request, sent ahead, gets no free time from
  them): the entries/s are, if anything, understated.
* **on the quiet machine**, before and after the sync: windows of a tight loop; their mean,
  and the best window of all (the most severe one-core baseline: the machine at its fastest).

And once with every core verifying at once (a process per core), the ratio to which is the
one to read for the sync's use of the whole machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text

from bench.verifyrate import all_cores_rate, signed_messages, verify_rate
from federation.canonical import canonical_dumps
from federation.keys import now_ms
from federation.messages import DIRECTORY_ENTRY, build_feed_item, make_object_id
from federation.pseudonyms import current_epoch, pseudonym
from node.accounts import accounts
from node.federation import feed, sync
from node.members import profiles
from node.models import FeedEntry
from tests.livenodes import LiveNetwork

SEED_CHUNK = 5000


class SyncWindows:
    """The verify rate sampled during a sync: called after each page (as the sync's progress
    callback), it verifies ``warm_up`` signatures, then ``per_window`` timed ones, on the
    syncing thread (the warm-up refills the caches the page's work emptied, so a window
    measures the verify call and not its cold start)."""

    def __init__(self, per_window: int = 50, warm_up: int = 10) -> None:
        self._public, signed = signed_messages()
        self._warm_up, self._timed = signed[:warm_up], signed[warm_up:warm_up + per_window]
        self.count, self.seconds = 0, 0.0

    def __call__(self, _peer: str, _items: int) -> None:
        for signature, message in self._warm_up:
            self._public.verify(signature, message)
        started = time.perf_counter()
        for signature, message in self._timed:
            self._public.verify(signature, message)
        self.seconds += time.perf_counter() - started
        self.count += len(self._timed)

    @property
    def rate(self) -> float:
        return self.count / self.seconds


class CpuClock:
    """CPU seconds used since it was made: by this process (all its threads), by its children
    waited for since (the signature worker, joined when its sync ends), and by ``pid`` (read
    from ``/proc``; None elsewhere)."""

    def __init__(self, pid: int) -> None:
        self._pid = pid
        self._start = self._read()

    def _read(self) -> tuple[float, float, float | None]:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        try:
            fields = Path(f"/proc/{self._pid}/stat").read_text().rsplit(")", 1)[1].split()
            other = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            other = None
        return time.process_time(), children.ru_utime + children.ru_stime, other

    def used(self) -> tuple[float, float, float | None]:
        now = self._read()
        other = None if now[2] is None or self._start[2] is None else now[2] - self._start[2]
        return now[0] - self._start[0], now[1] - self._start[1], other


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def entry_content(owner: str, recipient: str, i: int) -> dict:
    return {
        "pseudonym": pseudonym(b"bench-secret-" + b"x" * 32, current_epoch(), recipient, i),
        "concepts": [{"concept": "accounting", "level_band": "expert", "generalised": False},
                     {"concept": "tax", "level_band": "confirmed", "generalised": False}],
        "languages": ["fr", "en"], "open_to_help": True, "open_to_paid": i % 2 == 0,
        "open_to_barter": False, "trade_group": None,
        "place": {"kind": "city", "value": "Aix-en-Provence"},
        "lease_until_ts": now_ms() + 7 * 86_400_000, "named": False,
    }


def seed(node, recipient: str, count: int) -> None:
    """Fill ``node``'s outbox with ``count`` signed entries for ``recipient`` (bulk insert)."""
    key = node.runtime.signing_key()
    with node.session() as session:
        for start in range(1, count + 1, SEED_CHUNK):
            rows = []
            for seq in range(start, min(start + SEED_CHUNK, count + 1)):
                object_id = make_object_id(node.url, f"directory/{seq}")
                item = build_feed_item(owner=node.url, seq=seq, item_type=DIRECTORY_ENTRY,
                                       object_id=object_id, key=key,
                                       content=entry_content(node.url, recipient, seq))
                rows.append({"seq": seq, "item_type": DIRECTORY_ENTRY, "object_id": object_id,
                             "recipient": recipient, "is_deleted": False,
                             "item_json": canonical_dumps(item).decode("utf-8")})
            session.execute(insert(FeedEntry), rows)
            session.commit()
        if session.get_bind().dialect.name == "postgresql":
            # Explicit seqs do not move the sequence; later publications must follow them.
            session.execute(text("SELECT setval(pg_get_serial_sequence('feed_items', 'seq'), "
                                 ":n)"), {"n": count})
            session.commit()


SKILLS = ("expert-comptable", "traduction", "développement web", "fiscalité", "graphisme")


def add_members(node, count: int) -> None:
    """``count`` members of ``node``'s own, each sharing two skills with the network."""
    hasher = node.app.extensions["coworknet.passwords"]
    with node.session() as session:
        for i in range(count):
            member = accounts.create_member(
                session, hasher, email=f"member{i}@{node.name}.example",
                display_name=f"Membre {i}", password=f"bench passphrase {i} for {node.name}")
            profiles.update_profile(session, member, {
                "skills": [{"label": SKILLS[i % 5], "level": "expert"},
                           {"label": SKILLS[(i + 2) % 5], "level": "confirme"}],
                "visibility": "network_anonymous"})
            session.commit()


def serve_apart(node) -> subprocess.Popen:
    """Move ``node`` out of this process: the same app (settings, database, keys) served by a
    process of its own on the same port, so only the reader's work is measured here."""
    settings = {}
    for name, value in node.app.config.items():
        try:
            json.dumps(value)
        except TypeError:
            continue  # Flask's own defaults (timedeltas): the new app sets them again
        settings[name] = value
    node.stop()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.node_process", str(node.port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(json.dumps(settings))
    process.stdin.close()
    if process.stdout.readline().strip() != "ready":
        process.kill()
        raise RuntimeError("the serving node did not start")
    return process


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench sync", description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--changes", type=int, default=10)
    parser.add_argument("--members", type=int, default=300,
                        help="members of B's own, sharing their skills")
    parser.add_argument("--no-worker", action="store_true",
                        help="B verifies every signature in its syncing process")
    parser.add_argument("--transport-only", action="store_true",
                        help="measure without the feature areas' directory handler")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run (60 entries, 3 changes) for the test suite")
    args = parser.parse_args(argv)
    if args.quick:
        args.entries, args.changes, args.members = 60, 3, 3
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("node").setLevel(logging.WARNING)

    baseline_seconds = 0.2 if args.quick else 2.0
    os.sync()
    quiet = verify_rate(baseline_seconds)
    print(f"raw Ed25519 verify rate, quiet machine: {max(quiet):,.0f} verifications/s (one "
          f"core, best of {len(quiet)} windows; load average {_load()})", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-sync-") as root:
        network = LiveNetwork(Path(root))
        serving: subprocess.Popen | None = None
        try:
            settings = {"FEDERATION_VERIFY_WORKER": not args.no_worker}
            if args.quick:  # pages of 20: the worker takes the second and third
                settings.update(FEDERATION_PAGE_LIMIT=20, FEDERATION_VERIFY_WORKER_AFTER=20)
            a, b = (network.add(name, {"PSEUDONYM_SECRET": secrets.token_hex(32), **settings})
                    for name in ("aix", "fontainebleau"))
            network.peer(a, b)
            if args.transport_only:  # B keeps the copies, its directory area sees nothing
                b.runtime.registry.feed_handlers.pop(DIRECTORY_ENTRY, None)
                b.runtime.registry.feed_page_handlers.pop(DIRECTORY_ENTRY, None)
            started = time.perf_counter()
            add_members(b, args.members)
            seed(a, b.url, args.entries)
            print(f"seeded {args.entries:,} signed entries on A and {args.members} members on "
                  f"B in {time.perf_counter() - started:.1f} s (not measured)", flush=True)
            serving = serve_apart(a)

            windows = SyncWindows()
            clock = CpuClock(serving.pid)
            started = time.perf_counter()
            result = sync.sync_all(b.runtime, force=True, progress=windows)[0]
            full = time.perf_counter() - started
            used = clock.used()
            assert result.error is None and result.applied == args.entries, result
            rate = args.entries / full
            print(f"initial sync: {args.entries:,} entries in {full:.1f} s = {rate:,.0f} "
                  f"entries/s over {result.pages} pages (load average {_load()})", flush=True)
            per_entry = [None if seconds is None else f"{1e6 * seconds / args.entries:.0f} µs"
                         for seconds in used]
            busy = sum(seconds or 0.0 for seconds in used) / full
            print(f"CPU time per entry: B's syncing process {per_entry[0]}, its signature "
                  f"worker {per_entry[1]} ({'none' if args.no_worker else 'past the first page'}"
                  f"), A's serving process {per_entry[2]}; {busy:.2f} of {os.cpu_count()} "
                  f"cores busy on average", flush=True)
            print(f"raw Ed25519 verify rate during the sync: {windows.rate:,.0f}/s "
                  f"({windows.count:,} verifications timed after the pages, counted in the "
                  f"sync's time with their warm-up)", flush=True)
            os.sync()  # the sync's writes are flushed first, not while the baseline runs
            quiet += verify_rate(baseline_seconds)
            best, mean = max(quiet), sum(quiet) / len(quiet)
            print(f"raw Ed25519 verify rate, quiet machine, before and after the sync: best "
                  f"window {best:,.0f}/s, mean {mean:,.0f}/s", flush=True)
            machine = all_cores_rate(baseline_seconds / 2)
            print(f"raw Ed25519 verify rate of all {os.cpu_count()} cores at once: "
                  f"{machine:,.0f}/s", flush=True)
            print(f"ratio of the initial sync to the verify rate: {rate / windows.rate:.2f} "
                  f"during the sync (same conditions); quiet machine: {rate / mean:.2f} to "
                  f"its mean, {rate / best:.2f} to its best window (one core); "
                  f"{rate / machine:.2f} to all cores at once", flush=True)

            with a.session() as session:
                for i in range(1, args.changes + 1):
                    feed.publish(session, item_type=DIRECTORY_ENTRY, local_id=f"directory/{i}",
                                 content=entry_content(a.url, b.url, i), recipient=b.url)
                session.commit()
            started = time.perf_counter()
            result = sync.sync_peer(b.runtime, b.peer_row(a).id)  # the pull alone
            incremental = time.perf_counter() - started
            started = time.perf_counter()
            sync.expire_leases(b.runtime)  # then the rest of a round
            upkeep = time.perf_counter() - started
            assert result.error is None and result.applied == args.changes, result
            print(f"incremental sync of {args.changes} changes: {incremental * 1000:.0f} ms = "
                  f"{100 * incremental / full:.2f} % of the initial sync; then the round's "
                  f"upkeep (copies' leases, B's directory exports re-checked against "
                  f"{args.entries:,} copies): {upkeep * 1000:.0f} ms", flush=True)
        finally:
            if serving is not None:
                serving.terminate()
                serving.wait(timeout=30)
            network.close()
    return 0
