"""Round trips and time per request of the intake, in-process (no HTTP): what each notification
sends to the database.

``python -m bench.roundtrips [--backend sqlite|postgresql] [--requests N] [--sizes 1,100]
[--statements] [--pyinstrument]`` stores each notification as the webhook does
(``intake_queue.accept``) and applies it as the intake worker does, one delivery per batch
(``intake_queue.apply_pending``), with the ingest benchmark's bodies
(``bench.ingest.body_template``) on a fresh, migrated database (a SQLite temp file, a fresh
PostgreSQL database next to ``OPSBOT_BENCH_POSTGRES_URL``) and counts, per request, the SQL
statements SQLAlchemy executes, the ``BEGIN``/``COMMIT`` and the pool
pre-pings (each one database round trip; an ``executemany`` counts as one statement), and the
wall time. ``--statements`` lists the statements of one request of each case with their time;
``--pyinstrument`` prints a pyinstrument profile of each case (``pip install pyinstrument``).
A diagnostic for ``bench.ingest``'s fixed cost: not run by ``python -m bench``.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench._harness import DEFAULT_PG_ADMIN_URL, emit_json, postgres_database, print_table
from bench.ingest import POLICY_YAML, _bodies, body_template
from bot.domain.alertmanager import AMNotification
from bot.policy import Policy
from bot.services.intake_queue import accept, apply_pending
from storage import Database, upgrade

__all__ = ["main"]


@dataclass
class _Counter:
    """Statements (and their time) seen on an engine, plus BEGIN, COMMIT and pre-pings."""

    statements: list[tuple[str, float]] = field(default_factory=list)
    begins: int = 0
    commits: int = 0
    pings: int = 0
    _started: float = 0.0

    def attach(self, db: Database) -> None:
        engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def before(*_args: Any) -> None:
            self._started = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.statements.append((statement, time.perf_counter() - self._started))

        @event.listens_for(engine, "begin")
        def begin(_conn: Any) -> None:
            self.begins += 1

        @event.listens_for(engine, "commit")
        def commit(_conn: Any) -> None:
            self.commits += 1

        ping = engine.dialect.do_ping

        def counted_ping(dbapi_connection: Any) -> bool:
            self.pings += 1
            return bool(ping(dbapi_connection))

        engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]

    def reset(self) -> None:
        self.statements.clear()
        self.begins = self.commits = self.pings = 0

    @property
    def round_trips(self) -> int:
        return len(self.statements) + self.begins + self.commits + self.pings


@contextlib.contextmanager
def _database(backend: str, tmp: Path) -> Iterator[Database]:
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp / 'opsbot.db'}"
        else:
            url = stack.enter_context(postgres_database(DEFAULT_PG_ADMIN_URL))
        db = Database(url)
        stack.callback(db.dispose)
        upgrade(db.engine)
        yield db


def _short(statement: str) -> str:
    return " ".join(statement.split())[:110]


def _run(backend: str, sizes: list[int], requests: int, *, statements: bool,
         profile: bool) -> list[dict[str, Any]]:  # fmt: skip
    import yaml

    policy = Policy.model_validate(yaml.safe_load(POLICY_YAML))
    results = []
    with (
        tempfile.TemporaryDirectory(prefix="opsbot-rt-") as tmp,
        _database(backend, Path(tmp)) as db,
    ):
        counter = _Counter()
        counter.attach(db)
        tokens = itertools.count(1)
        clock = itertools.count()
        for size, mode in itertools.product(sizes, ("new", "repeat")):
            bodies = _bodies(body_template(size), mode, tokens)

            def one(bodies: Callable[[], bytes] = bodies) -> None:
                raw = bodies()
                note = AMNotification.model_validate(json.loads(raw))
                now = datetime(2026, 11, 28, 9, tzinfo=UTC) + timedelta(seconds=next(clock))
                delivery = accept(db, note=note, body=raw.decode(), now=now)
                apply_pending(db, policy=policy, clock=lambda: now, slack=False,
                              notes={delivery: note}, limit=1)  # fmt: skip

            for _ in range(3):  # warm-up: caches, prepared statements, the repeat group
                one()
            counter.reset()
            profiler = _profiler() if profile else None
            started = time.perf_counter()
            for _ in range(requests):
                one()
            elapsed = time.perf_counter() - started
            if profiler is not None:
                profiler.stop()
                print(profiler.output_text(unicode=True, color=False, show_all=False))
            kinds = Counter(_short(s).split(" ")[0] for s, _ in counter.statements)
            sql_s = sum(t for _, t in counter.statements)
            results.append({
                "backend": backend, "alerts": size, "mode": mode, "requests": requests,
                "ms_per_request": round(elapsed * 1000 / requests, 2),
                "sql_ms_per_request": round(sql_s * 1000 / requests, 2),
                "statements": round(len(counter.statements) / requests, 2),
                "round_trips": round(counter.round_trips / requests, 2),
                "begin_commit_ping": [counter.begins, counter.commits, counter.pings],
                "kinds": dict(kinds),
            })  # fmt: skip
            if statements:
                counter.reset()
                one()
                print(f"-- {backend} {size} {mode}: one request")
                for statement, seconds in counter.statements:
                    print(f"  {seconds * 1000:7.2f} ms  {_short(statement)}")
    return results


def _profiler() -> Any:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    return profiler


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.roundtrips``: see the module docstring."""
    parser = argparse.ArgumentParser(prog="python -m bench.roundtrips", description=__doc__)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=100, help="per case (default 100)")
    parser.add_argument("--sizes", default="1,100", help="alerts per request (default 1,100)")
    parser.add_argument("--statements", action="store_true", help="list one request's SQL")
    parser.add_argument("--pyinstrument", action="store_true", help="profile each case")
    args = parser.parse_args(argv)
    results = []
    for backend in args.backend or ["sqlite", "postgresql"]:
        sizes = [int(s) for s in args.sizes.split(",")]
        results += _run(backend, sizes, args.requests, statements=args.statements,
                        profile=args.pyinstrument)  # fmt: skip
    headers = ["backend", "alerts", "mode", "requests", "ms/req", "SQL ms/req", "statements",
               "round trips"]  # fmt: skip
    print_table(headers, [[r["backend"], r["alerts"], r["mode"], r["requests"],
                           r["ms_per_request"], r["sql_ms_per_request"], r["statements"],
                           r["round_trips"]] for r in results])  # fmt: skip
    emit_json("roundtrips", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
