"""``python -m bench.lifecycle [--quick | --smoke]``: the incident-lifecycle benchmarks in turn.

``bench.ack`` (Slack acknowledgement under 50 clients and slow integrations), ``bench.timers``
(tick cost and fire lag as armed timers grow) and ``bench.storm`` (an alert storm: Slack calls
per incident, peak RSS). Each prints its own table and ``BENCH_JSON`` line; the exit status is
the worst of theirs. Each also runs alone: ``python -m bench.ack --quick``."""

from __future__ import annotations

import argparse
import sys

from bench import ack, storm, timers

__all__ = ["BENCHMARKS", "main"]

BENCHMARKS = {"ack": ack.main, "timers": timers.main, "storm": storm.main}


def main(argv: list[str] | None = None) -> int:
    """Run ack, timers and storm with the same size flag (and ``--backend``, when given)."""
    parser = argparse.ArgumentParser(prog="python -m bench.lifecycle", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="each in well under a minute")
    size.add_argument("--smoke", action="store_true", help="tiny runs, SQLite only")
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), help="repeatable")
    args = parser.parse_args(argv)
    flags = ["--quick"] if args.quick else ["--smoke"] if args.smoke else []
    for backend in args.backend or []:
        flags += ["--backend", backend]
    status = 0
    for name, run in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"== bench.{name}", flush=True)
        status = max(status, int(run(flags)))
    return status


if __name__ == "__main__":
    sys.exit(main())
