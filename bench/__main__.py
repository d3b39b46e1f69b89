"""``python -m bench [name] [options]``: run every benchmark, or the one named."""

from __future__ import annotations

import importlib
import sys

from bench import BENCHMARKS


def main(argv: list[str]) -> int:
    if argv and argv[0] in BENCHMARKS:
        names, options = [argv[0]], argv[1:]
    else:
        names, options = list(BENCHMARKS), argv
    status = 0
    for name in names:
        print(f"== {name} ==", flush=True)
        status |= importlib.import_module(BENCHMARKS[name]).main(options)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
