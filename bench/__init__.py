"""opsbot benchmarks: each module (``bench.ingest`` ...) starts opsbot as a real process and
prints a table plus one ``BENCH_JSON`` line. ``python -m bench`` runs them all; see
``docs/benchmarks.md``."""
