"""Alert ingest benchmark: ``POST /webhooks/alertmanager`` against a real ``opsbot serve``.

For each backend (SQLite file, fresh PostgreSQL database) one opsbot process is started; then
every case (group size x new/repeat x concurrency) sends webhook bodies in Alertmanager's v4
shape and measures requests/s, alerts/s, p50/p99 latency and errors. With ``--peers`` (the
default, except with ``--smoke``) the same cases, bodies and load generator then run against
alerta-server's ``POST /webhooks/prometheus`` (``bench/peers/alerta.py``, installed on demand in
its own venv) and a bare FastAPI floor (``bench/peers/floor.py``), each on a fresh database of
the same PostgreSQL, and the ratios opsbot/alerta and opsbot/floor are printed with the
issue's targets. ``--quick`` and ``--smoke`` shrink the load. Prints tables, then one
``BENCH_JSON`` line. Exit status 1 when a request failed, 2 when the benchmark itself could not
run; a missed target is printed, not an error.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import itertools
import json
import os
import platform
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._compare import compare, print_comparison
from bench._harness import (
    DEFAULT_PG_ADMIN_URL,
    PostgresUnavailable,
    Sample,
    emit_json,
    guarded,
    interrupt_on_signals,
    percentile,
    post_load,
    print_table,
    run_async,
)
from bench._targets import Target, machine, planned

__all__ = ["main"]

POLICY_YAML = """\
# written by bench/ingest.py: no storm guard, room for 1,000-alert bodies
alerting:
  max_new_incidents_per_minute: 1000000
  max_body_bytes: 16777216
"""
_TOKEN = "@@TOKEN@@"  # replaced per group: fixed width, so every body of a case has one size
_TOKEN_WIDTH = 10
_STARTS = "@@STARTS@@"  # each group's alerts start together, one second after the previous group's
_EPOCH = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Profile:
    """How much load: cases to run and how each is bounded (count AND time)."""

    backends: tuple[str, ...]
    group_sizes: tuple[int, ...]
    concurrencies: tuple[int, ...]
    max_requests: dict[int, int]  # per group size
    max_seconds: float
    warmup: int


PROFILES = {
    "full": Profile(
        ("sqlite", "postgresql"), (1, 100, 1000), (1, 8), {1: 5000, 100: 1000, 1000: 100}, 5.0, 3
    ),
    "quick": Profile(
        ("sqlite", "postgresql"), (1, 100, 1000), (1, 8), {1: 500, 100: 100, 1000: 8}, 0.3, 1
    ),
    "smoke": Profile(("sqlite",), (1, 100), (1,), {1: 5, 100: 5}, 30.0, 1),
}
MODES = ("new", "repeat")


@dataclass(frozen=True)
class Result:
    """One case's figures; the rates count successful requests only."""

    system: str  # opsbot, alerta or floor
    backend: str
    group_size: int
    mode: str
    concurrency: int
    requests: int
    errors: int
    seconds: float
    requests_per_s: float
    alerts_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    first_error: str | None
    drain_s: float  # after the last answer, until every delivery was applied (opsbot)
    applied_alerts_per_s: float  # alerts over the load's time plus the drain

    @classmethod
    def of(
        cls, target: Target, size: int, mode: str, concurrency: int, sample: Sample, drain: float
    ) -> Result:
        """Summarise one measured load run."""
        ok = len(sample.latencies) - len(sample.errors)
        ms = sorted(x * 1000 for x in sample.latencies)
        return cls(
            target.system, target.backend, size, mode, concurrency, len(ms), len(sample.errors),
            round(sample.seconds, 3), round(ok / sample.seconds, 2),
            round(ok * size / sample.seconds, 1), round(percentile(ms, 50), 2),
            round(percentile(ms, 99), 2), round(ms[-1] if ms else float("nan"), 2),
            sample.errors[0] if sample.errors else None, round(drain, 3),
            round(ok * size / (sample.seconds + drain), 1),
        )  # fmt: skip

    def row(self) -> list[object]:
        """The table row."""
        return [
            self.system, self.backend, self.group_size, self.mode, self.concurrency, self.requests,
            self.errors, self.requests_per_s, self.alerts_per_s, self.p50_ms, self.p99_ms,
            self.drain_s, self.applied_alerts_per_s,
        ]  # fmt: skip


HEADERS = ["system", "backend", "alerts/req", "mode", "conc", "requests", "errors", "req/s",
           "alerts/s", "p50 ms", "p99 ms", "drain s", "applied/s"]  # fmt: skip


def body_template(group_size: int) -> bytes:
    """A webhook body of ``group_size`` firing alerts, shaped like Alertmanager 0.25's capture."""
    alerts = []
    for i in range(group_size):
        instance = f"10.0.{i // 250}.{i % 250 + 1}:9100"
        alerts.append(
            {
                "status": "firing",
                "labels": {
                    "alertname": f"BenchLoad{_TOKEN}",
                    "instance": instance,
                    "job": "node",
                    "service": "checkout-api",
                    "severity": "critical",
                },
                "annotations": {
                    "summary": f"load above 5 on {instance}",
                    "description": "1m load average above 5 for service checkout-api",
                    "runbook_url": "https://runbooks.example/load",
                },
                "startsAt": _STARTS,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=node_load1+%3E+5&g0.tab=1",
                "fingerprint": f"{_TOKEN}{i:04x}",
            }
        )
    group = {"alertname": f"BenchLoad{_TOKEN}"}
    body = {
        "receiver": "opsbot",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": group,
        "commonLabels": {**group, "job": "node", "service": "checkout-api", "severity": "critical"},
        "commonAnnotations": {},
        "externalURL": "http://127.0.0.1:9093",
        "version": "4",
        "groupKey": '{}:{alertname="BenchLoad' + _TOKEN + '"}',
        "truncatedAlerts": 0,
    }
    return json.dumps(body, separators=(",", ":")).encode()


def _bodies(template: bytes, mode: str, tokens: Iterator[int]) -> Callable[[], bytes]:
    """``new``: every call a body for a group never seen; ``repeat``: one body, again and again."""

    def make(n: int) -> bytes:
        starts = (_EPOCH + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        body = template.replace(_TOKEN.encode(), f"{n:0{_TOKEN_WIDTH}d}".encode())
        return body.replace(_STARTS.encode(), starts.encode())

    if mode == "repeat":
        same = make(next(tokens))
        return lambda: same
    return lambda: make(next(tokens))


async def _bench_target(target: Target, profile: Profile) -> list[Result]:
    tokens = itertools.count(1)
    results = []
    limits = httpx.Limits(max_connections=max(profile.concurrencies), keepalive_expiry=60)
    async with httpx.AsyncClient(limits=limits, timeout=900) as client:  # alerta: 1,000 x 8
        load = functools.partial(post_load, client, target.url, target.headers,
                                 problem=target.problem)  # fmt: skip
        small = body_template(1)
        for size in profile.group_sizes:
            template = body_template(size)
            for mode in MODES:
                bodies = _bodies(template, mode, tokens)
                # Warm-up, not measured: this body one at a time (for "repeat" it creates the
                # group and its incident) and, before a concurrent case, one round of small
                # requests at that concurrency so every worker thread and pooled connection exists.
                await load(bodies, concurrency=1, max_requests=profile.warmup, max_seconds=60)
                _, failed_before = await target.settle(client)
                for concurrency in profile.concurrencies:
                    if concurrency > 1:
                        primer = _bodies(small, "new", tokens)
                        await load(primer, concurrency=concurrency, max_requests=concurrency,
                                   max_seconds=60)  # fmt: skip
                        _, failed_before = await target.settle(client)
                    sample = await load(
                        bodies,
                        concurrency=concurrency,
                        max_requests=profile.max_requests[size],
                        max_seconds=profile.max_seconds,
                    )
                    # Every case starts on an empty queue and counts the time to empty it.
                    drain, failed = await target.settle(client)
                    sample.errors += ["delivery failed to apply"] * (failed - failed_before)
                    failed_before = failed
                    target.check_alive()
                    result = Result.of(target, size, mode, concurrency, sample, drain)
                    results.append(result)
                    print(f"  {target.system}/{target.backend} {size} {mode} c={concurrency}: "
                          f"{result.requests} requests, {result.requests_per_s:.1f}/s, "
                          f"{result.alerts_per_s:,.0f} alerts/s, p99 {result.p99_ms:.1f} ms, "
                          f"drained in {result.drain_s:.2f} s",
                          file=sys.stderr, flush=True)  # fmt: skip
    return results


def run(
    profile_name: str,
    backends: tuple[str, ...] | None = None,
    peers: bool = False,
    sizes: tuple[int, ...] | None = None,
    seconds: float | None = None,
) -> int:
    """Run the benchmark, print the tables and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    if sizes:
        profile = dataclasses.replace(profile, group_sizes=sizes)
    if seconds:
        profile = dataclasses.replace(profile, max_seconds=seconds)
    admin_url = os.environ.get("OPSBOT_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    results: list[Result] = []
    skipped: dict[str, str] = {}
    servers: dict[str, Any] = {}
    box = machine(admin_url)
    load = os.getloadavg()  # the machine may be busy with other work: say so in the JSON
    print(f"opsbot ingest benchmark ({profile_name}): {box['cpus']} CPUs ({box['cpu_model']}), "
          f"{box['memory']}, Python {box['python']}, PostgreSQL {box['postgresql']}, load "
          f"{load[0]:.2f}", file=sys.stderr, flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        plan = planned(backends or profile.backends, peers, Path(tmp), admin_url, POLICY_YAML)
        for label, start in plan:
            if isinstance(start, str):
                skipped[label] = start
                print(f"skipping {label}: {start}", flush=True)
                continue
            try:
                with start() as target:
                    servers[label] = target.info
                    results += run_async(_bench_target(target, profile))
            except PostgresUnavailable as exc:
                skipped[label] = str(exc)
                print(f"skipping {label}: {exc}", flush=True)
            except RuntimeError as exc:  # a peer that would not start or died: say so, go on
                if label.startswith("opsbot/"):
                    raise
                skipped[label] = f"{exc}".splitlines()[0]
                print(f"skipping {label}: {exc}", flush=True)
    after = os.getloadavg()
    _report(profile_name, results, skipped, [round(x, 2) for x in load + after],
            box=box, servers=servers)  # fmt: skip
    return 1 if any(r.errors for r in results) else 0


def _report(
    profile_name: str,
    results: list[Result],
    skipped: dict[str, str],
    load: list[float],
    *,
    box: dict[str, Any],
    servers: dict[str, Any],
) -> None:
    print_table(HEADERS, [r.row() for r in results])
    for r in results:
        if r.first_error:
            print(f"first error, {r.system}/{r.backend} {r.group_size} {r.mode} "
                  f"c={r.concurrency}: {r.first_error}")  # fmt: skip
    for label, reason in skipped.items():
        print(f"skipped {label}: {reason}")
    comparison = compare(results)
    print_comparison(comparison)
    emit_json(
        "ingest",
        [asdict(r) for r in results],
        profile=profile_name,
        cpus=os.cpu_count(),
        python=platform.python_version(),
        machine=box,
        load_average_before_after=load,  # 1, 5 and 15 minutes before, then after
        servers=servers,
        skipped=skipped,
        comparison=comparison,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.ingest [--quick | --smoke] [--backend sqlite|postgresql] [--sizes 1,100]
    [--seconds S] [--no-peers]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a short run (a few minutes with peers)")
    size.add_argument("--smoke", action="store_true", help="tiny run: SQLite, 5 requests a case")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"],
        help="opsbot's backend, repeatable (alerta and the floor always use PostgreSQL)",
    )  # fmt: skip
    parser.add_argument(
        "--sizes", help="comma-separated group sizes to run (default: the profile's 1,100,1000)",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, help="time bound per case (overrides the profile)")
    parser.add_argument(
        "--peers", action=argparse.BooleanOptionalAction, default=None,
        help="also run alerta and the floor and print the ratios (default: on, off with --smoke)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    interrupt_on_signals()
    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    peers = (profile != "smoke") if args.peers is None else args.peers
    sizes = tuple(int(s) for s in args.sizes.split(",")) if args.sizes else None
    if sizes and not set(sizes) <= set(PROFILES[profile].max_requests):
        parser.error(f"--sizes: choose among {sorted(PROFILES[profile].max_requests)}")
    backends = tuple(args.backend) if args.backend else None
    return guarded(lambda: run(profile, backends, peers, sizes, args.seconds))


if __name__ == "__main__":
    sys.exit(main())
