"""Restore benchmark: how long ``opsbot restore`` takes for a database of 10,000 incidents.

For each backend (SQLite file, fresh PostgreSQL database): bulk-insert the incidents, each with
3 alerts, 4 timeline entries, a commander, an ack timer and 2 outbox effects (11 rows per
incident); ``backup`` it; then ``restore`` it

- **fresh**: into a new, empty database (a disaster recovery), median of several runs;
- **over**: with ``force`` over the database it came from (every table dropped and reloaded);
- **cli**: ``python -m bot.cli restore --force PATH`` as a process, once (interpreter start
  and imports included: what a person waits for).

The in-process times are the wall time of ``bot.backup.restore``: the checks of the file, the
copy (SQLite's backup API, or ``pg_restore`` in one transaction), the upgrade to head and the
row counts. Every restore's row counts are checked against the backup's. Prints a table, then
one ``BENCH_JSON`` line. Exit status 2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert

from bench._harness import _clean_env, emit_json, guarded, interrupt_on_signals, print_table
from bench._sandboxes import BACKENDS, PostgresUnavailable, database_url, load_average
from bot.backup import BackupInfo, backup, restore
from bot.clock import utcnow
from storage import Database, upgrade
from storage.tables import AlertRow, IncidentRoleRow, IncidentRow, OutboxRow, TimelineRow, TimerRow

__all__ = ["main"]


@dataclass(frozen=True)
class Profile:
    """Sizes and repetitions."""

    backends: tuple[str, ...]
    incidents: int
    runs: int  # restores into a fresh database (the median is reported)
    cli: bool  # also time ``opsbot restore`` as a process


PROFILES = {
    "full": Profile(BACKENDS, 10_000, 3, True),
    "quick": Profile(BACKENDS, 10_000, 1, True),
    "smoke": Profile(("sqlite",), 100, 1, True),
}


def populate(db: Database, incidents: int) -> float:
    """Bulk-insert ``incidents`` incidents and what hangs off them; the seconds it took."""
    started, t0 = time.perf_counter(), utcnow().replace(microsecond=0) - timedelta(days=30)
    for first in range(1, incidents + 1, 1000):
        batch: dict[type[Any], list[dict[str, Any]]] = {}
        for n in range(first, min(first + 1000, incidents + 1)):
            for row_type, values in _incident(n, t0 + timedelta(minutes=n)):
                batch.setdefault(row_type, []).append(values)
        with db.session() as session:
            for row_type, rows in batch.items():
                session.execute(insert(row_type), rows)
    return time.perf_counter() - started


def _incident(n: int, at: datetime) -> Iterator[tuple[type[Any], dict[str, Any]]]:
    """Incident ``n`` and its 3 alerts, 4 timeline entries, role, timer and 2 outbox effects."""
    service, later = f"svc-{n % 20}", at + timedelta(minutes=40)
    yield IncidentRow, {
        "id": n, "title": f"bench incident {n}: checkout 5xx", "severity": "S2",
        "status": "resolved", "service": service, "opened_at": at, "last_seen_at": at,
        "acknowledged_at": at + timedelta(minutes=3), "resolved_at": later,
        "truncated_alerts": 0, "summary": "Error rate above 5% on checkout for 10 minutes.",
    }  # fmt: skip
    for a in range(3):
        yield AlertRow, {
            "incident_id": n, "fingerprint": f"{n:08x}{a:08x}", "starts_at": at,
            "ends_at": later, "status": "resolved", "severity": "S2", "name": f"Alert{a}",
            "labels": {"service": service, "alertname": f"Alert{a}"},
            "annotations": {"summary": "5xx above 5%"}, "generator_url": "http://prom/",
            "first_seen_at": at, "last_seen_at": at,
        }  # fmt: skip
    for k, kind in enumerate(("opened", "acknowledged", "update", "resolved")):
        yield TimelineRow, {
            "incident_id": n, "at": at + timedelta(minutes=k), "kind": kind,
            "actor": "U0BENCH", "surface": "slack", "text": f"{kind} (bench)",
        }  # fmt: skip
    yield IncidentRoleRow, {"incident_id": n, "role": "commander", "user_id": "U0BENCH",
                            "assigned_at": at}  # fmt: skip
    yield TimerRow, {"incident_id": n, "kind": "ack", "attempt": 1, "due_at": at,
                     "status": "fired", "fired_at": at, "armed_at": at}  # fmt: skip
    for kind in ("card.post", "card.edit"):
        yield OutboxRow, {
            "incident_id": n, "kind": kind, "payload": {"incident": n}, "status": "done",
            "priority": 1, "lane": "slack", "attempts": 1, "next_attempt_at": at,
            "created_at": at, "done_at": later,
        }  # fmt: skip


def _check(made: BackupInfo, tables: dict[str, int], what: str) -> None:
    if tables != made.tables:
        wrong = {k: (made.tables.get(k), v) for k, v in tables.items() if made.tables.get(k) != v}
        raise RuntimeError(f"{what}: rows differ from the backup's (backup, restored): {wrong}")


def _cli_restore(url: str, path: Path, workdir: Path) -> float:
    env = _clean_env({"DATABASE_URL": url, "LOG_LEVEL": "WARNING"})
    command = [sys.executable, "-m", "bot.cli", "restore", "--force", str(path)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=workdir, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"opsbot restore exited with {done.returncode}: {done.stderr[-500:]}")
    return time.perf_counter() - started


def bench_backend(backend: str, workdir: Path, profile: Profile) -> dict[str, Any]:
    """Populate, back up and restore on one backend; the result row."""
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(database_url(backend, workdir))
        db = Database(url)
        try:
            upgrade(db.engine)
            setup = populate(db, profile.incidents)
        finally:
            db.dispose()
        made = backup(url, workdir / f"{backend}.backup")
        print(f"  {backend}: {sum(made.tables.values()):,} rows, backup {made.seconds:.2f} s",
              file=sys.stderr, flush=True)  # fmt: skip
        fresh = []
        for run in range(profile.runs):
            with contextlib.ExitStack() as target:
                if backend == "sqlite":
                    target_url = f"sqlite:///{workdir / f'fresh{run}.db'}"
                else:
                    target_url = target.enter_context(database_url(backend, workdir))
                done = restore(target_url, made.path)
                _check(made, done.tables, "restore into a fresh database")
                fresh.append(done.seconds)
        over = restore(url, made.path, force=True)
        _check(made, over.tables, "restore over the database")
        cli = _cli_restore(url, made.path, workdir) if profile.cli else None
    return {
        "backend": backend, "incidents": profile.incidents, "rows": sum(made.tables.values()),
        "setup_s": round(setup, 2), "backup_s": round(made.seconds, 3),
        "backup_mb": round(made.size_bytes / 2**20, 2),
        "restore_fresh_s": round(statistics.median(fresh), 3), "restore_fresh_runs": len(fresh),
        "restore_over_s": round(over.seconds, 3),
        "restore_cli_s": round(cli, 3) if cli is not None else None,
    }  # fmt: skip


HEADERS = ["backend", "incidents", "rows", "backup ms", "backup MB", "restore ms (fresh)",
           "restore ms (over)", "opsbot restore ms (process)"]  # fmt: skip


def run(profile_name: str, backends: tuple[str, ...] | None = None) -> int:
    """Run the benchmark, print the table and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    load = load_average()
    print(f"opsbot restore benchmark ({profile_name}): {profile.incidents:,} incidents, "
          f"{os.cpu_count()} CPUs, load {load}", file=sys.stderr, flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-restore-") as tmp:
        for backend in backends or profile.backends:
            try:
                results.append(bench_backend(backend, Path(tmp), profile))
            except PostgresUnavailable as exc:
                skipped[backend] = str(exc)
                print(f"skipping {backend}: {exc}", flush=True)
    print_table(HEADERS, [
        [r["backend"], r["incidents"], r["rows"], _ms(r["backup_s"]), r["backup_mb"],
         _ms(r["restore_fresh_s"]), _ms(r["restore_over_s"]), _ms(r["restore_cli_s"])]
        for r in results])  # fmt: skip
    for r in results:
        print(f"{r['backend']}: restoring {r['incidents']:,} incidents ({r['rows']:,} rows) "
              f"took {r['restore_fresh_s']:.2f} s into a fresh database")  # fmt: skip
    emit_json("restore", results, profile=profile_name, cpus=os.cpu_count(),
              python=platform.python_version(), load_average_before_after=load + load_average(),
              skipped=skipped)  # fmt: skip
    return 0


def _ms(seconds: float | None) -> float | str:
    return "-" if seconds is None else round(seconds * 1000, 1)


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.restore [--quick | --smoke] [--backend sqlite|postgresql]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.restore", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="one restore per backend")
    size.add_argument("--smoke", action="store_true", help="tiny run: SQLite, 100 incidents")
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="repeatable")
    parser.add_argument("--incidents", type=int, help="instead of the profile's count")
    args = parser.parse_args(argv)
    interrupt_on_signals()
    name = "smoke" if args.smoke else "quick" if args.quick else "full"
    if args.incidents:
        PROFILES[name] = Profile(PROFILES[name].backends, args.incidents, PROFILES[name].runs,
                                 PROFILES[name].cli)  # fmt: skip
    return guarded(lambda: run(name, tuple(args.backend) if args.backend else None))


if __name__ == "__main__":
    sys.exit(main())
