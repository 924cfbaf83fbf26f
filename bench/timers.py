"""Timer benchmark: what a timer tick costs, and how late timers fire, as armed timers grow.

For each backend (SQLite file, fresh PostgreSQL database) and 100, 1,000 and 10,000 armed
``ack`` timers (one open S2 incident each, bulk-inserted) of which 100 are due:

- **tick cost**: the wall time of ``fire_due(limit=200)`` (the service the scheduler calls)
  when the 100 are due and when none is, median over several ticks (and its CPU time, which a
  busy machine disturbs less than the wall time); between ticks the 100 are
  re-armed and what the tick wrote (follow-up timers, timeline, outbox) is deleted;
- **fire lag**: the real ``TimerRunner`` (APScheduler, one tick a second) runs in this
  process's event loop; the 100 timers fall due together at a known moment, several rounds;
  lag = the tick's clock minus ``due_at`` (``Fired.lag``, read back as ``fired_at - due_at``),
  and "done" = when the tick's transaction had committed, minus ``due_at``.

Prints a table, the ratio tick(10,000)/tick(100) (target <= 1.5) and lag p99 (target < 1.5 s),
then one ``BENCH_JSON`` line. Exit status 2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, text, update
from sqlmodel import col

from bench._harness import (
    emit_json,
    guarded,
    interrupt_on_signals,
    percentile,
    print_table,
    run_async,
)
from bench._sandboxes import BACKENDS, PostgresUnavailable, database_url, load_average
from bot.clock import utcnow
from bot.metrics import Metrics
from bot.policy import Policy
from bot.services.timer_fire import fire_due
from bot.services.timer_runner import TimerRunner
from storage import Database, upgrade
from storage.tables import IncidentRow, OutboxRow, TimelineRow, TimerRow

__all__ = ["main"]

DUE = 100
TARGET_RATIO = 1.5
TARGET_LAG_P99_S = 1.5


@dataclass(frozen=True)
class Profile:
    """Sizes, repetitions and bounds."""

    backends: tuple[str, ...]
    sizes: tuple[int, ...]
    ticks: int  # measured ticks per case (plus one warm-up)
    lag_rounds: int  # rounds of the fire-lag measurement
    round_timeout_s: float
    lag_sizes: tuple[int, ...]  # where fire lag is measured


PROFILES = {
    "full": Profile(BACKENDS, (100, 1000, 10000), 9, 8, 15.0, (100, 10000)),
    "quick": Profile(BACKENDS, (100, 10000), 2, 2, 10.0, (10000,)),
    "smoke": Profile(("sqlite",), (100, 200), 2, 1, 10.0, (200,)),
}


class Fixture:
    """The database and the ids of the 100 timers that fall due."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.incidents = 0
        self.due_ids: list[int] = []
        # Due timers are due at t0; the others a day or more after it (and after the real now,
        # so the real TimerRunner of ``fire_lag`` never sees them due).
        self.t0 = utcnow().replace(microsecond=0)

    def grow(self, total: int) -> None:
        """Bulk-insert open incidents with one armed ack timer each until ``total`` are armed;
        the first 100 are due at ``t0``, the rest days later."""
        rows, timers = [], []
        for n in range(self.incidents + 1, total + 1):
            opened = self.t0 - timedelta(minutes=15)
            rows.append({"id": n, "title": f"bench timer incident {n}", "severity": "S2",
                         "status": "open", "service": "bench", "opened_at": opened,
                         "last_seen_at": opened, "truncated_alerts": 0})  # fmt: skip
            due = self.t0 if n <= DUE else self.t0 + timedelta(days=1, seconds=n)
            timers.append({"incident_id": n, "kind": "ack", "attempt": 1, "due_at": due,
                           "status": "armed", "armed_at": opened})  # fmt: skip
        with self.db.session() as session:
            for start in range(0, len(rows), 2000):
                session.execute(insert(IncidentRow), rows[start : start + 2000])
                session.execute(insert(TimerRow), timers[start : start + 2000])
        self.incidents = total
        with self.db.session() as session:
            query = select(col(TimerRow.id)).where(col(TimerRow.incident_id) <= DUE)
            self.due_ids = [int(i) for i in session.execute(query.where(col(TimerRow.attempt) == 1))
                            .scalars()]  # fmt: skip
        with self.db.engine.connect() as conn:  # fresh planner statistics, as in production
            conn.execute(text("ANALYZE"))
            conn.commit()

    def marks(self) -> tuple[int, int, int]:
        """The highest timer, timeline and outbox ids (what a tick adds comes after them)."""
        with self.db.session() as session:
            return tuple(  # type: ignore[return-value]
                int(session.execute(select(func.coalesce(func.max(c), 0))).scalar_one())
                for c in (TimerRow.id, TimelineRow.id, OutboxRow.id)
            )

    def rearm(self, due_at: datetime, marks: tuple[int, int, int]) -> None:
        """Arm the 100 again (due at ``due_at``) and drop what earlier ticks wrote."""
        with self.db.session() as session:
            session.execute(delete(TimerRow).where(col(TimerRow.id) > marks[0]))
            session.execute(delete(TimelineRow).where(col(TimelineRow.id) > marks[1]))
            session.execute(delete(OutboxRow).where(col(OutboxRow.id) > marks[2]))
            session.execute(update(TimerRow).where(col(TimerRow.id).in_(self.due_ids))
                            .values(status="armed", fired_at=None, due_at=due_at))  # fmt: skip


def tick_cost(fx: Fixture, ticks: int) -> dict[str, Any]:
    """Median wall time of ``fire_due`` with the 100 due, and with none due."""
    marks = fx.marks()
    due_s, idle_s, cpu_s, fired = [], [], [], 0
    for i in range(ticks + 1):  # the first of each is a warm-up
        fx.rearm(fx.t0, marks)
        started = time.perf_counter()
        got = fire_due(db=fx.db, policy=Policy(), now=fx.t0 - timedelta(hours=1), slack=True)
        idle = time.perf_counter() - started
        started, cpu = time.perf_counter(), time.thread_time()
        done = fire_due(db=fx.db, policy=Policy(), now=fx.t0 + timedelta(seconds=1), slack=True,
                        limit=200)  # fmt: skip
        busy, busy_cpu = time.perf_counter() - started, time.thread_time() - cpu
        if i:
            due_s.append(busy)
            cpu_s.append(busy_cpu)
            idle_s.append(idle)
            fired += len(done)
        if got:
            raise RuntimeError(f"{len(got)} timers fired although none was due")
    fx.rearm(fx.t0, marks)
    return {"tick_due_ms": round(statistics.median(due_s) * 1000, 2),
            "tick_idle_ms": round(statistics.median(idle_s) * 1000, 2),
            "tick_due_cpu_ms": round(statistics.median(cpu_s) * 1000, 2),
            "fired_per_tick": fired / ticks}  # fmt: skip


async def fire_lag(fx: Fixture, rounds: int, timeout_s: float) -> dict[str, Any]:
    """Run the real ``TimerRunner``; each round the 100 fall due 1.5-2.5 s ahead."""
    marks = fx.marks()
    lags: list[float] = []
    done: list[float] = []
    committed: list[datetime] = []
    runner = TimerRunner(db=fx.db, policy=Policy(), clock=utcnow, metrics=Metrics(), slack=True,
                         on_fired=lambda: committed.append(utcnow()))  # fmt: skip
    fx.rearm(fx.t0 + timedelta(days=2), marks)  # not due while the runner starts
    runner.start()
    try:
        for r in range(rounds):
            due_at = utcnow() + timedelta(seconds=1.5 + r / max(rounds, 1))
            committed.clear()
            fx.rearm(due_at, marks)
            deadline = time.monotonic() + timeout_s
            rows: list[tuple[datetime, datetime]] = []
            while time.monotonic() < deadline and len(rows) < DUE:
                await asyncio.sleep(0.1)
                if committed:  # a tick fired something: read the database only then
                    rows = _fired(fx)
            if len(rows) < DUE:
                raise RuntimeError(f"only {len(rows)} of {DUE} timers fired in {timeout_s:.0f}s")
            lags += [(fired_at - due).total_seconds() for fired_at, due in rows]
            done += [(max(committed) - due_at).total_seconds()] if committed else []
        histogram = next(iter(runner.metrics.timer_lag.collect())).samples
    finally:
        await runner.stop()
        fx.rearm(fx.t0, marks)
    lags.sort()
    done.sort()
    count = next((s.value for s in histogram if s.name.endswith("_count")), 0.0)
    return {
        "lag_p50_s": round(percentile(lags, 50), 3),
        "lag_p99_s": round(percentile(lags, 99), 3),
        "lag_max_s": round(lags[-1], 3),
        "done_p50_s": round(percentile(done, 50), 3),
        "done_max_s": round(done[-1], 3) if done else None,
        "rounds": rounds,
        "histogram_count": count,
    }


def _fired(fx: Fixture) -> list[tuple[datetime, datetime]]:
    with fx.db.session() as session:
        query = select(col(TimerRow.fired_at), col(TimerRow.due_at))
        query = query.where(col(TimerRow.id).in_(fx.due_ids), col(TimerRow.status) == "fired")
        return [(f, d) for f, d in session.execute(query) if f is not None]


def _bench_backend(backend: str, url: str, profile: Profile) -> list[dict[str, Any]]:
    db = Database(url)
    results = []
    try:
        upgrade(db.engine)
        fx = Fixture(db)
        for size in profile.sizes:
            started = time.perf_counter()
            fx.grow(size)
            setup = time.perf_counter() - started
            row: dict[str, Any] = {"backend": backend, "armed": size, "due": DUE,
                                   "setup_s": round(setup, 2)}  # fmt: skip
            row |= tick_cost(fx, profile.ticks)
            if size in profile.lag_sizes:
                row |= run_async(fire_lag(fx, profile.lag_rounds, profile.round_timeout_s))
            results.append(row)
            print(f"  {backend} {size} armed: tick {row['tick_due_ms']} ms"
                  f" (idle {row['tick_idle_ms']} ms)", file=sys.stderr, flush=True)  # fmt: skip
    finally:
        db.dispose()
    return results


def run(profile_name: str, backends: tuple[str, ...] | None = None) -> int:
    """Run the benchmark, print the table and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    load = load_average()
    print(f"opsbot timers benchmark ({profile_name}): {os.cpu_count()} CPUs",
          file=sys.stderr, flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-timers-") as tmp:
        for backend in backends or profile.backends:
            try:
                with contextlib.ExitStack() as stack:
                    url = stack.enter_context(database_url(backend, Path(tmp)))
                    results += _bench_backend(backend, url, profile)
            except PostgresUnavailable as exc:
                skipped[backend] = str(exc)
                print(f"skipping {backend}: {exc}", flush=True)
    verdicts = _verdicts(results)
    _report(profile_name, results, verdicts, skipped, load + load_average())
    return 0


def _verdicts(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for backend in dict.fromkeys(r["backend"] for r in results):
        rows = [r for r in results if r["backend"] == backend]
        ratio = rows[-1]["tick_due_ms"] / rows[0]["tick_due_ms"]
        cpu_ratio = rows[-1]["tick_due_cpu_ms"] / rows[0]["tick_due_cpu_ms"]
        lag = max(r.get("lag_p99_s", 0.0) for r in rows)
        out[backend] = {
            "tick_ratio": round(ratio, 2), "tick_cpu_ratio": round(cpu_ratio, 2),
            "sizes": [rows[0]["armed"], rows[-1]["armed"]],
            "ratio_target": "PASS" if ratio <= TARGET_RATIO else "FAIL",
            "lag_p99_s": lag, "lag_target": "PASS" if lag < TARGET_LAG_P99_S else "FAIL",
        }  # fmt: skip
    return out


HEADERS = ["backend", "armed", "due", "tick ms (100 due)", "CPU ms", "tick ms (0 due)",
           "lag p50 s", "lag p99 s", "done max s"]  # fmt: skip


def _report(profile_name: str, results: list[dict[str, Any]], verdicts: dict[str, Any],
            skipped: dict[str, str], load: list[float]) -> None:  # fmt: skip
    print_table(HEADERS, [
        [r["backend"], r["armed"], r["due"], r["tick_due_ms"], r["tick_due_cpu_ms"],
         r["tick_idle_ms"],
         r.get("lag_p50_s", "-"), r.get("lag_p99_s", "-"), r.get("done_max_s", "-")]
        for r in results])  # fmt: skip
    for backend, v in verdicts.items():
        small, big = v["sizes"]
        print(f"{backend}: tick({big:,})/tick({small:,}) = {v['tick_ratio']} (target <= "
              f"{TARGET_RATIO}: {v['ratio_target']}; CPU time {v['tick_cpu_ratio']}); "
              f"lag p99 {v['lag_p99_s']} s (target < "
              f"{TARGET_LAG_P99_S} s: {v['lag_target']})")  # fmt: skip
    emit_json("timers", results, profile=profile_name, cpus=os.cpu_count(),
              python=platform.python_version(), load_average_before_after=load,
              verdicts=verdicts, skipped=skipped)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.timers [--quick | --smoke] [--backend sqlite|postgresql]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="fewer ticks and lag rounds")
    size.add_argument("--smoke", action="store_true", help="tiny run: SQLite, 100 and 200 timers")
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="repeatable")
    args = parser.parse_args(argv)
    interrupt_on_signals()
    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    return guarded(lambda: run(profile, tuple(args.backend) if args.backend else None))


if __name__ == "__main__":
    sys.exit(main())
