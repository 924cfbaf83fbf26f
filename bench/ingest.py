"""Alert ingest benchmark: ``POST /webhooks/alertmanager`` against a real ``opsbot serve``.

For each backend (SQLite file, fresh PostgreSQL database) one opsbot process is started; then
every case (group size x new/repeat x concurrency) sends webhook bodies in Alertmanager's v4
shape and measures requests/s, alerts/s, p50/p99 latency and errors. ``--quick`` and
``--smoke`` shrink the load. Prints a table, then one ``BENCH_JSON`` line. Exit status 1 when a
request failed, 2 when the benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import contextlib
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

import httpx

from bench._harness import (
    DEFAULT_PG_ADMIN_URL,
    PostgresUnavailable,
    Sample,
    Server,
    emit_json,
    interrupt_on_signals,
    opsbot_server,
    percentile,
    post_load,
    postgres_database,
    print_table,
    run_async,
    tail,
)

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

    @classmethod
    def of(cls, backend: str, size: int, mode: str, concurrency: int, sample: Sample) -> Result:
        """Summarise one measured load run."""
        ok = len(sample.latencies) - len(sample.errors)
        ms = sorted(x * 1000 for x in sample.latencies)
        return cls(
            backend, size, mode, concurrency, len(ms), len(sample.errors),
            round(sample.seconds, 3), round(ok / sample.seconds, 2),
            round(ok * size / sample.seconds, 1), round(percentile(ms, 50), 2),
            round(percentile(ms, 99), 2), round(ms[-1] if ms else float("nan"), 2),
            sample.errors[0] if sample.errors else None,
        )  # fmt: skip

    def row(self) -> list[object]:
        """The table row."""
        return [
            self.backend, self.group_size, self.mode, self.concurrency, self.requests,
            self.errors, self.requests_per_s, self.alerts_per_s, self.p50_ms, self.p99_ms,
        ]  # fmt: skip


HEADERS = ["backend", "alerts/req", "mode", "conc", "requests", "errors", "req/s", "alerts/s",
           "p50 ms", "p99 ms"]  # fmt: skip


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


def _problem(response: httpx.Response) -> str | None:
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if b'"stored":"failed"' in response.content:  # answered 200, but the intake raised
        return f"stored as failed: {response.text[:200]}"
    return None


async def _bench_backend(server: Server, backend: str, profile: Profile) -> list[Result]:
    tokens = itertools.count(1)
    results = []
    url = f"{server.url}/webhooks/alertmanager"
    headers = {"authorization": f"Bearer {server.alertmanager_token}"}
    headers["content-type"] = "application/json"
    limits = httpx.Limits(max_connections=max(profile.concurrencies), keepalive_expiry=60)
    async with httpx.AsyncClient(limits=limits, timeout=120) as client:
        load = functools.partial(post_load, client, url, headers, problem=_problem)
        small = body_template(1)
        for size in profile.group_sizes:
            template = body_template(size)
            for mode in MODES:
                bodies = _bodies(template, mode, tokens)
                # Warm-up, not measured: this body one at a time (for "repeat" it creates the
                # group and its incident) and, before a concurrent case, one round of small
                # requests at that concurrency so every worker thread and pooled connection exists.
                await load(bodies, concurrency=1, max_requests=profile.warmup, max_seconds=60)
                for concurrency in profile.concurrencies:
                    if concurrency > 1:
                        primer = _bodies(small, "new", tokens)
                        await load(primer, concurrency=concurrency, max_requests=concurrency,
                                   max_seconds=60)  # fmt: skip
                    sample = await load(
                        bodies,
                        concurrency=concurrency,
                        max_requests=profile.max_requests[size],
                        max_seconds=profile.max_seconds,
                    )
                    if server.process.poll() is not None:
                        raise RuntimeError(f"opsbot exited with {server.process.returncode}:\n"
                                           + tail(server.log_path))  # fmt: skip
                    result = Result.of(backend, size, mode, concurrency, sample)
                    results.append(result)
                    print(f"  {backend} {size} {mode} c={concurrency}: {result.requests} requests,"
                          f" {result.requests_per_s:.1f}/s, p99 {result.p99_ms:.1f} ms",
                          file=sys.stderr, flush=True)  # fmt: skip
    return results


def run(profile_name: str, backends: tuple[str, ...] | None = None) -> int:
    """Run the benchmark, print the table and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    admin_url = os.environ.get("OPSBOT_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    results: list[Result] = []
    skipped: dict[str, str] = {}
    load = os.getloadavg()  # the machine may be busy with other work: say so in the JSON
    print(f"opsbot ingest benchmark ({profile_name}): {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}", file=sys.stderr, flush=True)  # fmt: skip
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
                    results += run_async(_bench_backend(server, backend, profile))
            except PostgresUnavailable as exc:
                skipped[backend] = str(exc)
                print(f"skipping {backend}: {exc}", flush=True)
    _report(profile_name, results, skipped, [round(x, 2) for x in load + os.getloadavg()])
    return 1 if any(r.errors for r in results) else 0


def _report(
    profile_name: str, results: list[Result], skipped: dict[str, str], load: list[float]
) -> None:
    print_table(HEADERS, [r.row() for r in results])
    for r in results:
        if r.first_error:
            print(f"first error, {r.backend} {r.group_size} {r.mode} c={r.concurrency}: "
                  f"{r.first_error}")  # fmt: skip
    emit_json(
        "ingest",
        [asdict(r) for r in results],
        profile=profile_name,
        cpus=os.cpu_count(),
        python=platform.python_version(),
        load_average_before_after=load,  # 1, 5 and 15 minutes before, then after
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
    interrupt_on_signals()
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
