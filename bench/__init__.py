"""Benchmarks, one command: ``python -m bench`` (or ``make bench``) runs them all; each prints
its figures next to a naive baseline measured in the same run."""

#: name -> module (each has ``main(argv) -> int``), run in this order by ``python -m bench``.
BENCHMARKS = {
    "search": "bench.network_search",
    "sync": "bench.sync",
    "quality": "bench.quality",
    "privacy": "bench.privacy",
    "pass": "bench.passes",
    "propagation": "bench.propagation",
    "faults": "bench.faults",
    "load": "bench.load",
    "network": "bench.network",
}
