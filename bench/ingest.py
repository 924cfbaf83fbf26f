"""Alert ingest benchmark: ``POST /webhooks/alertmanager`` against a real ``opsbot serve``.

For each backend (SQLite file, fresh PostgreSQL database) one opsbot process is started; then
every case (group size x new/repeat x concurrency) sends webhook bodies in Alertmanager's v4
shape and measures requests/s, alerts/s, p50/p99 latency and errors. ``--quick`` and
``--smoke`` shrink the load. Prints a table, then one ``BENCH_JSON`` line. Exit status 1 when a
request failed, 2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    DEFAULT_PG_ADMIN_URL,
    PostgresUnavailable,
    Server,
    emit_json,
    exit_on_sigterm,
    opsbot_server,
    percentile,
    postgres_database,
    print_table,
)

__all__ = ["main"]

POLICY_YAML = """\
# written by bench/ingest.py: no storm guard, room for 1,000-alert bodies
alerting:
  max_new_incidents_per_minute: 1000000
  max_body_bytes: 16777216
"""
_TOKEN = "@@TOKEN@@"  # replaced per request: fixed width, so every body of a case has one size
_TOKEN_WIDTH = 10


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
        ("sqlite", "postgresql"), (1, 100, 1000), (1, 8), {1: 5000, 100: 1000, 1000: 150}, 6.0, 5
    ),
    "quick": Profile(
        ("sqlite", "postgresql"), (1, 100, 1000), (1, 8), {1: 500, 100: 100, 1000: 12}, 0.8, 2
    ),
    "smoke": Profile(("sqlite",), (1, 100), (1,), {1: 5, 100: 5}, 30.0, 1),
}
MODES = ("new", "repeat")


@dataclass(frozen=True)
class Result:
    """One case's figures (rates count successful requests only)."""

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


def body_template(group_size: int) -> bytes:
    """A webhook body of ``group_size`` firing alerts, shaped like Alertmanager 0.25's capture."""
    alerts = []
    for i in range(group_size):
        instance = f"10.0.{i // 250}.{i % 250 + 1}:9100"
        labels = {
            "alertname": f"BenchLoad{_TOKEN}",
            "instance": instance,
            "job": "node",
            "service": "checkout-api",
            "severity": "critical",
        }
        annotations = {
            "summary": f"load above 5 on {instance}",
            "description": "1m load average above 5 for service checkout-api",
            "runbook_url": "https://runbooks.example/load",
        }
        alerts.append(
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": "2026-11-28T08:38:25.84Z",
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
        return template.replace(_TOKEN.encode(), f"{n:0{_TOKEN_WIDTH}d}".encode())

    if mode == "repeat":
        same = make(next(tokens))
        return lambda: same
    return lambda: make(next(tokens))


async def _drive(
    client: httpx.AsyncClient,
    server: Server,
    bodies: Callable[[], bytes],
    *,
    concurrency: int,
    max_requests: int,
    max_seconds: float,
) -> tuple[list[float], int, float, str | None]:
    """Send up to ``max_requests`` for up to ``max_seconds``; latencies, errors, wall time."""
    url = f"{server.url}/webhooks/alertmanager"
    headers = {
        "authorization": f"Bearer {server.alertmanager_token}",
        "content-type": "application/json",
    }
    latencies: list[float] = []
    errors: list[str] = []
    issued = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def worker() -> None:
        nonlocal issued
        while issued < max_requests and time.perf_counter() < deadline:
            issued += 1
            body = bodies()
            sent = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
                problem = None
                if response.status_code != 200:
                    problem = f"HTTP {response.status_code}: {response.text[:200]}"
                elif b'"stored":"failed"' in response.content:
                    problem = f"stored as failed: {response.text[:200]}"
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            latencies.append(time.perf_counter() - sent)
            if problem is not None:
                errors.append(problem)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, len(errors), time.perf_counter() - started, (errors or [None])[0]


async def _bench_backend(server: Server, backend: str, profile: Profile) -> list[Result]:
    tokens = itertools.count(1)
    results = []
    limits = httpx.Limits(max_connections=max(profile.concurrencies), keepalive_expiry=60)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        for size in profile.group_sizes:
            template = body_template(size)
            for mode, concurrency in itertools.product(MODES, profile.concurrencies):
                bodies = _bodies(template, mode, tokens)
                await _drive(  # warm-up; for "repeat" this also creates the group and incident
                    client,
                    server,
                    bodies,
                    concurrency=concurrency,
                    max_requests=profile.warmup,
                    max_seconds=profile.max_seconds,
                )
                latencies, errors, seconds, first_error = await _drive(
                    client,
                    server,
                    bodies,
                    concurrency=concurrency,
                    max_requests=profile.max_requests[size],
                    max_seconds=profile.max_seconds,
                )
                result = _result(backend, size, mode, concurrency, latencies, errors, seconds)
                results.append(result if first_error is None else _with_error(result, first_error))
                print(
                    f"  {backend} size={size} {mode} c={concurrency}: {result.requests} requests,"
                    f" {result.requests_per_s:.1f}/s, p99 {result.p99_ms:.1f} ms",
                    file=sys.stderr,
                    flush=True,
                )
    return results


def _with_error(result: Result, first_error: str) -> Result:
    return Result(**{**asdict(result), "first_error": first_error})


def _result(
    backend: str,
    size: int,
    mode: str,
    concurrency: int,
    latencies: list[float],
    errors: int,
    seconds: float,
) -> Result:
    ok = len(latencies) - errors
    ordered = sorted(x * 1000 for x in latencies)
    return Result(
        backend=backend,
        group_size=size,
        mode=mode,
        concurrency=concurrency,
        requests=len(latencies),
        errors=errors,
        seconds=round(seconds, 3),
        requests_per_s=round(ok / seconds, 2),
        alerts_per_s=round(ok * size / seconds, 1),
        p50_ms=round(percentile(ordered, 50), 2),
        p99_ms=round(percentile(ordered, 99), 2),
        max_ms=round(ordered[-1], 2) if ordered else float("nan"),
        first_error=None,
    )


def run(profile_name: str, backends: tuple[str, ...] | None = None) -> int:
    """Run the benchmark, print the table and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    admin_url = os.environ.get("OPSBOT_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    results: list[Result] = []
    skipped: dict[str, str] = {}
    print(f"opsbot ingest benchmark ({profile_name}): {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-") as tmp:
        for backend in backends or profile.backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            try:
                with contextlib.ExitStack() as stack:
                    if backend == "sqlite":
                        url = f"sqlite:///{workdir / 'opsbot.db'}"
                    else:
                        url = stack.enter_context(postgres_database(admin_url))
                    server = stack.enter_context(
                        opsbot_server(url, workdir=workdir, policy_yaml=POLICY_YAML)
                    )
                    results += asyncio.run(_bench_backend(server, backend, profile))
            except PostgresUnavailable as exc:
                skipped[backend] = str(exc)
                print(f"skipping {backend}: {exc}", flush=True)
    _report(profile_name, results, skipped)
    return 1 if any(r.errors for r in results) else 0


def _report(profile_name: str, results: list[Result], skipped: dict[str, str]) -> None:
    headers = ["backend", "alerts/req", "mode", "conc", "requests", "errors", "req/s",
               "alerts/s", "p50 ms", "p99 ms"]  # fmt: skip
    rows = [
        [r.backend, r.group_size, r.mode, r.concurrency, r.requests, r.errors, r.requests_per_s,
         r.alerts_per_s, r.p50_ms, r.p99_ms]  # fmt: skip
        for r in results
    ]
    print_table(headers, rows)
    for r in results:
        if r.first_error:
            print(f"first error ({r.backend} {r.group_size} {r.mode} c={r.concurrency}): "
                  f"{r.first_error}")  # fmt: skip
    emit_json(
        "ingest",
        [asdict(r) for r in results],
        profile=profile_name,
        cpus=os.cpu_count(),
        python=platform.python_version(),
        skipped=skipped,
    )


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.ingest [--quick | --smoke] [--backend sqlite|postgresql]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="about 40 s instead of about 3 min")
    size.add_argument("--smoke", action="store_true", help="tiny run: SQLite, 5 requests a case")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="repeatable"
    )
    args = parser.parse_args(argv)
    exit_on_sigterm()
    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    try:
        return run(profile, tuple(args.backend) if args.backend else None)
    except KeyboardInterrupt:
        print("interrupted; everything started was stopped", file=sys.stderr)
        return 130
    except RuntimeError as exc:
        print(f"benchmark failed: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
