"""``python -m bench [--quick]``: run every benchmark module in ``bench/`` in turn.

A benchmark is a module of this package whose name does not start with ``_`` and which has
``main(argv) -> int``. The exit status is the worst of theirs."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from pathlib import Path


def benchmarks() -> list[str]:
    """Names of the benchmark modules, sorted."""
    here = [str(Path(__file__).parent)]
    # lifecycle re-runs ack/timers/storm; peers are helpers; roundtrips and paired are tools
    skip = {"lifecycle", "peers", "roundtrips", "paired"}
    found = pkgutil.iter_modules(here)
    return sorted(m.name for m in found if not m.name.startswith("_") and m.name not in skip)


def main(argv: list[str] | None = None) -> int:
    """Run each benchmark with the same ``--quick`` flag."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a short run of every benchmark")
    args = parser.parse_args(argv)
    status = 0
    for name in benchmarks():
        print(f"== bench.{name}", flush=True)
        module = importlib.import_module(f"bench.{name}")
        status = max(status, int(module.main(["--quick"] if args.quick else [])))
    return status


if __name__ == "__main__":
    sys.exit(main())
