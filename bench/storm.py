"""Alert storm benchmark: 5,000 alerts over 50 groups within a minute into a real ``opsbot serve``.

500 Alertmanager webhooks of 10 firing alerts each (group ``g`` gets every 50th webhook, so
every group's first webhook arrives in the first tenth of the storm) are paced evenly over the
spread (45 s full) by 4 concurrent senders, with the policy's storm guard at
``alerting.max_new_incidents_per_minute: 10`` and the sandbox Slack on loopback. Once the
outbox is empty (``opsbot_outbox_pending`` on ``/metrics``, bounded wait) it reports incidents
opened, the Slack Web API calls made (by method, from the sandbox journal), calls per incident
opened (target <= 5, the storm digest apart) and the opsbot process's peak RSS (target < 300 MB).
Prints a table and one ``BENCH_JSON`` line. Exit status 1 when a webhook failed, 2 when the
benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    Server,
    _stopping,
    emit_json,
    guarded,
    interrupt_on_signals,
    metric,
    print_table,
    run_async,
)
from bench._sandboxes import (
    BACKENDS,
    PostgresUnavailable,
    Sandboxes,
    database_url,
    load_average,
    opsbot_process,
    sandboxes,
    summary_ms,
    tree_memory_mb,
)

__all__ = ["main"]

LIMIT_PER_MINUTE = 10
POLICY_YAML = f"""\
# written by bench/storm.py
slack: {{incidents_channel: C0INCIDENTS, alerts_channel: C0ALERTS}}
alerting:
  max_new_incidents_per_minute: {LIMIT_PER_MINUTE}
"""
TARGET_CALLS_PER_INCIDENT = 5.0
TARGET_RSS_MB = 300.0
IGNORED = {"auth.test", "response_url"}  # start-up identity; answers to users, not the storm


@dataclass(frozen=True)
class Profile:
    """Storm size and bounds."""

    backends: tuple[str, ...]
    groups: int
    webhooks: int
    alerts_per_webhook: int
    spread_s: float
    concurrency: int
    drain_timeout_s: float


PROFILES = {
    "full": Profile(BACKENDS, 50, 500, 10, 45.0, 4, 90.0),
    "quick": Profile(("sqlite",), 50, 500, 10, 15.0, 4, 45.0),
    "smoke": Profile(("sqlite",), 5, 20, 10, 2.0, 4, 20.0),
}


def webhook(j: int, profile: Profile, epoch: datetime) -> bytes:
    """Webhook ``j``: group ``j % groups``, its batch ``j // groups`` of new firing alerts."""
    group, batch = j % profile.groups, j // profile.groups
    name = f"StormGroup{group:02d}"
    labels = {"alertname": name, "service": "storm-api", "severity": "critical"}
    alerts = []
    for i in range(profile.alerts_per_webhook):
        n = batch * profile.alerts_per_webhook + i
        instance = f"10.1.{group}.{n}:9100"
        alerts.append({
            "status": "firing", "labels": {**labels, "instance": instance, "job": "node"},
            "annotations": {"summary": f"{name}: error rate high on {instance}"},
            "startsAt": (epoch + timedelta(seconds=n)).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://127.0.0.1:9090/graph",
            "fingerprint": f"{group:04x}{n:08x}",
        })  # fmt: skip
    body = {"receiver": "opsbot", "status": "firing", "alerts": alerts,
            "groupLabels": {"alertname": name}, "commonLabels": labels, "commonAnnotations": {},
            "externalURL": "http://127.0.0.1:9093", "version": "4",
            "groupKey": '{}:{alertname="' + name + '"}', "truncatedAlerts": 0}  # fmt: skip
    return json.dumps(body, separators=(",", ":")).encode()


async def _storm(server: Server, profile: Profile) -> dict[str, Any]:
    """Send the webhooks at their planned moments; sample opsbot's RSS meanwhile."""
    epoch = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    bodies = [webhook(j, profile, epoch) for j in range(profile.webhooks)]
    headers = {"authorization": f"Bearer {server.alertmanager_token}",
               "content-type": "application/json"}  # fmt: skip
    latencies: list[float] = []
    errors: list[str] = []
    rss: list[float] = []
    step = profile.spread_s / profile.webhooks
    next_j = 0
    started = time.perf_counter()

    async def sender(client: httpx.AsyncClient) -> None:
        nonlocal next_j
        while next_j < profile.webhooks and not _stopping.is_set():
            j, next_j = next_j, next_j + 1
            await asyncio.sleep(max(0.0, started + j * step - time.perf_counter()))
            sent = time.perf_counter()
            try:
                reply = await client.post(f"{server.url}/webhooks/alertmanager",
                                          content=bodies[j], headers=headers)  # fmt: skip
                if reply.status_code != 202:
                    errors.append(f"HTTP {reply.status_code}: {reply.text[:200]}")
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
            latencies.append(time.perf_counter() - sent)

    async def sample_rss() -> None:
        while True:
            rss.append(tree_memory_mb(server.process.pid).get("VmRSS", 0.0))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample_rss())
    try:
        limits = httpx.Limits(max_connections=profile.concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=60) as client:
            await asyncio.gather(*(sender(client) for _ in range(profile.concurrency)))
            sent_s = time.perf_counter() - started
            drained = await _drain(client, server, profile.drain_timeout_s)
            page = (await client.get(f"{server.url}/metrics")).content
            incidents = int(metric(page, "opsbot_incidents_opened_total") or 0)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler
    if _stopping.is_set():
        raise KeyboardInterrupt
    return {"latencies": latencies, "errors": errors, "incidents": incidents,
            "sent_s": round(sent_s, 1), "drained_s": drained, "rss_samples": rss}  # fmt: skip


async def _drain(client: httpx.AsyncClient, server: Server, timeout_s: float) -> float | None:
    """Seconds until ``opsbot_intake_pending`` and ``opsbot_outbox_pending`` read 0 twice in
    a row (None: not within bound)."""
    started = time.perf_counter()
    zeros = 0
    while time.perf_counter() - started < timeout_s and not _stopping.is_set():
        page = (await client.get(f"{server.url}/metrics")).content
        found = [metric(page, f"opsbot_{queue}_pending") for queue in ("intake", "outbox")]
        empty = found == [0.0, 0.0]
        zeros = zeros + 1 if empty else 0
        if zeros >= 2:
            return round(time.perf_counter() - started, 1)
        await asyncio.sleep(0.5)
    return None


def _calls(sandbox: Sandboxes) -> dict[str, Any]:
    by_method = {m: n for m, n in sandbox.slack.state.count_by_method().items() if m not in IGNORED}
    digests = sum(1 for c in sandbox.slack.state.calls("chat.postMessage")
                  if c.args.get("channel") == "C0ALERTS")  # fmt: skip
    return {"by_method": dict(sorted(by_method.items(), key=lambda kv: -kv[1])),
            "total": sum(by_method.values()), "digests": digests}  # fmt: skip


def _result(backend: str, profile: Profile, storm: dict[str, Any], calls: dict[str, Any],
            memory: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    opened = storm["incidents"]
    per_incident = (calls["total"] - calls["digests"]) / opened if opened else float("nan")
    peak = max([memory.get("VmHWM", 0.0), *storm["rss_samples"]])
    over = per_incident > TARGET_CALLS_PER_INCIDENT
    return {
        "backend": backend, "webhooks": profile.webhooks,
        "alerts": profile.webhooks * profile.alerts_per_webhook, "groups": profile.groups,
        "sent_s": storm["sent_s"], "errors": len(storm["errors"]),
        "first_error": storm["errors"][0] if storm["errors"] else None,
        "webhook_latency": summary_ms(storm["latencies"]), "incidents_opened": opened,
        "slack_calls": calls["total"], "slack_calls_by_method": calls["by_method"],
        "digests": calls["digests"], "calls_per_incident": round(per_incident, 2),
        "calls_target": "FAIL" if over else "PASS",
        "dominant_methods": list(calls["by_method"])[:3] if over else [],
        "outbox_drained_s": storm["drained_s"], "peak_rss_mb": peak,
        "rss_target": "PASS" if peak < TARGET_RSS_MB else "FAIL",
    }  # fmt: skip


def run(profile_name: str, backends: tuple[str, ...] | None = None) -> int:
    """Run the benchmark, print the table and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    results: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    load = load_average()
    print(f"opsbot storm benchmark ({profile_name}): {os.cpu_count()} CPUs",
          file=sys.stderr, flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-storm-") as tmp:
        for backend in backends or profile.backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            try:
                with contextlib.ExitStack() as stack:
                    url = stack.enter_context(database_url(backend, workdir))
                    sandbox = stack.enter_context(sandboxes(sync=False))
                    env = sandbox.env()
                    server = stack.enter_context(
                        opsbot_process(url, workdir=workdir, policy_yaml=POLICY_YAML, env=env)
                    )
                    print(f"  {backend}: opsbot ready, storming", file=sys.stderr, flush=True)
                    storm = run_async(_storm(server, profile))
                    if server.process.poll() is not None:
                        raise RuntimeError(f"opsbot exited with {server.process.returncode}")
                    memory = tree_memory_mb(server.process.pid)
                    results.append(_result(backend, profile, storm, _calls(sandbox), memory))
            except PostgresUnavailable as exc:
                skipped[backend] = str(exc)
                print(f"skipping {backend}: {exc}", flush=True)
    _report(profile_name, results, skipped, load + load_average())
    return 1 if any(r["errors"] for r in results) else 0


HEADERS = ["backend", "alerts", "sent in s", "errors", "incidents", "slack calls", "digests",
           "calls/incident", "target<=5", "webhook p99 ms", "peak RSS MB",
           "target<300"]  # fmt: skip


def _report(profile_name: str, results: list[dict[str, Any]], skipped: dict[str, str],
            load: list[float]) -> None:  # fmt: skip
    print_table(HEADERS, [
        [r["backend"], r["alerts"], r["sent_s"], r["errors"], r["incidents_opened"],
         r["slack_calls"], r["digests"], r["calls_per_incident"], r["calls_target"],
         r["webhook_latency"]["p99_ms"], r["peak_rss_mb"], r["rss_target"]]
        for r in results])  # fmt: skip
    for r in results:
        methods = ", ".join(f"{m} {n}" for m, n in r["slack_calls_by_method"].items())
        print(f"{r['backend']}: Slack calls by method: {methods}; outbox drained "
              f"{r['outbox_drained_s']} s after the last webhook")  # fmt: skip
        if r["dominant_methods"]:
            print(f"{r['backend']}: over {TARGET_CALLS_PER_INCIDENT:g} calls per incident; "
                  f"dominated by {', '.join(r['dominant_methods'])}")  # fmt: skip
        if r["first_error"]:
            print(f"first error, {r['backend']}: {r['first_error']}")
    emit_json("storm", results, profile=profile_name, cpus=os.cpu_count(),
              python=platform.python_version(), load_average_before_after=load,
              max_new_incidents_per_minute=LIMIT_PER_MINUTE, skipped=skipped)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.storm [--quick | --smoke] [--backend sqlite|postgresql]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="SQLite only, storm over 15 s")
    size.add_argument("--smoke", action="store_true", help="tiny run: 20 webhooks, 5 groups")
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="repeatable")
    args = parser.parse_args(argv)
    interrupt_on_signals()
    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    return guarded(lambda: run(profile, tuple(args.backend) if args.backend else None))


if __name__ == "__main__":
    sys.exit(main())
