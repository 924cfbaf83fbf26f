"""Slack acknowledgement benchmark: how fast a real ``opsbot serve`` answers signed requests.

50 concurrent clients send a mix of ``/incident`` commands (``help``, ``status <n>``, ``ack <n>``,
``update <n> text``, ``declare ...``) and ``incident_ack`` button clicks on incident cards
(``block_actions``), signed like Slack, while the sandbox Jira and Notion answer every call in
2 s and the sandbox Slack answers 429 to one Web API call in ten. The time measured is the HTTP
answer to the signed request (Slack gives up after 3 s). Prints p50/p99/max per kind and
overall, then one ``BENCH_JSON`` line. Exit status 1 when a request failed, 2 when the
benchmark itself could not run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench._harness import (
    Server,
    _stopping,
    emit_json,
    guarded,
    interrupt_on_signals,
    print_table,
    run_async,
    tail,
    uvicorn_flavour,
)
from bench._sandboxes import (
    BACKENDS,
    Card,
    PostgresUnavailable,
    Sandboxes,
    database_url,
    incident_cards,
    load_average,
    opsbot_process,
    sandboxes,
    summary_ms,
    tree_cpu_seconds,
    tree_memory_mb,
)
from bot.sandbox.jira import JiraFault
from bot.sandbox.notion import NotionFault
from bot.sandbox.slack import AsyncSlackDriver, DriverResponse, Fault

__all__ = ["main"]

# httpcore tries ``import sniffio`` on every async request; where sniffio is not installed that
# is a failed import (a search of sys.path) per request in the load generator. None in
# sys.modules makes the failure immediate; httpcore then assumes asyncio, which is right here.
sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]

POLICY_YAML = """\
# written by bench/ack.py
slack: {incidents_channel: C0INCIDENTS, alerts_channel: C0ALERTS}
"""
TARGET_P99_MS = 300.0
SLACK_LIMIT_S = 3.0
# kind -> weight in the mix
MIX = {"help": 15, "status": 20, "ack": 15, "update": 20, "declare": 10, "button": 20}


@dataclass(frozen=True)
class Profile:
    """How much load: bounded by request count AND time."""

    backends: tuple[str, ...]
    clients: int
    max_requests: int
    max_seconds: float
    seed_incidents: int
    card_wait_s: float
    mix: tuple[tuple[str, int], ...] = tuple(MIX.items())


PROFILES = {
    "full": Profile(BACKENDS, 50, 6000, 60.0, 50, 40.0),
    "quick": Profile(BACKENDS, 50, 1000, 8.0, 10, 10.0),
    "smoke": Profile(("sqlite",), 5, 30, 20.0, 3, 15.0),
}


async def _seed(driver: AsyncSlackDriver, sandbox: Sandboxes, profile: Profile) -> list[Card]:
    """Declare the incidents the load acts on, then wait (bounded) for their cards."""
    for i in range(profile.seed_incidents):
        await driver.command(f"declare Bench seed incident {i + 1} --sev S2 --service bench")
    deadline = time.monotonic() + profile.card_wait_s
    cards = incident_cards(sandbox.slack.state)
    while len(cards) < profile.seed_incidents and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        cards = incident_cards(sandbox.slack.state)
    return cards


async def _follow_ups(sandbox: Sandboxes, load_end: float, quiet_s: float = 2.0,
                      bound_s: float = 120.0) -> dict[str, Any]:  # fmt: skip
    """Wait (bounded) until no response_url post came for ``quiet_s``; how many came in all and
    how long after the load's last ack the last one came."""
    deadline = load_end + bound_s
    seen, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        count = sandbox.slack.state.count_by_method().get("response_url", 0)
        if count != seen:
            seen, since = count, time.monotonic()
        elif time.monotonic() - since >= quiet_s:
            break
        await asyncio.sleep(0.1)
    times = [e.t for e in sandbox.slack.state.calls("response_url")]
    last = max(times, default=load_end)
    return {"response_url_posts": len(times),
            "after_load": sum(1 for t in times if t > load_end),
            "last_after_load_s": round(max(0.0, last - load_end), 2)}  # fmt: skip


def _problem(kind: str, reply: DriverResponse) -> str | None:
    if reply.status_code != 200:
        return f"{kind}: HTTP {reply.status_code}: {reply.text[:200]}"
    if "Something went wrong" in reply.text:
        return f"{kind}: error answer: {reply.text[:200]}"
    return None


async def _one(driver: AsyncSlackDriver, kind: str, rng: random.Random, n: int,
               cards: list[Card]) -> DriverResponse:  # fmt: skip
    target = rng.randint(1, n)
    if kind == "help":
        return await driver.command("help")
    if kind == "status":
        return await driver.command(f"status {target}")
    if kind == "ack":
        return await driver.command(f"ack {target}", user_id="U0BOB")
    if kind == "update":
        return await driver.command(f"update {target} Bench update: rolled back, watching")
    if kind == "declare":
        return await driver.command("declare Bench load incident --sev S3 --service bench")
    if cards:
        card = rng.choice(cards)
        return await driver.block_action("incident_ack", value=card.incident, user_id="U0CAROL",
                                         channel_id=card.channel, message_ts=card.ts)  # fmt: skip
    return await driver.block_action("incident_ack", value=str(target), user_id="U0CAROL")


async def _load(drivers: list[AsyncSlackDriver], profile: Profile, cards: list[Card]
                ) -> dict[str, Any]:  # fmt: skip
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    issued = 0
    rng = random.Random(42)
    kinds, weights = [k for k, _ in profile.mix], [w for _, w in profile.mix]
    started = time.perf_counter()
    deadline = started + profile.max_seconds

    async def client(driver: AsyncSlackDriver) -> None:
        nonlocal issued
        while issued < profile.max_requests and time.perf_counter() < deadline:
            if _stopping.is_set():
                return
            issued += 1
            kind = rng.choices(kinds, weights)[0]
            sent = time.perf_counter()
            try:
                reply = await _one(driver, kind, rng, profile.seed_incidents, cards)
                latencies[kind].append(reply.elapsed_s)
                wrong = _problem(kind, reply)
            except httpx.HTTPError as exc:
                latencies[kind].append(time.perf_counter() - sent)
                wrong = f"{kind}: {type(exc).__name__}: {exc}"
            if wrong is not None:
                errors.append(wrong)

    await asyncio.gather(*(client(d) for d in drivers[: profile.clients]))
    if _stopping.is_set():
        raise KeyboardInterrupt
    return {"latencies": dict(latencies), "errors": errors,
            "seconds": time.perf_counter() - started}  # fmt: skip


async def _bench(server: Server, sandbox: Sandboxes, profile: Profile) -> dict[str, Any]:
    events = f"{server.url}/slack/events"
    async with contextlib.AsyncExitStack() as stack:
        # One driver (one HTTP client, one keep-alive connection) per simulated client: a
        # shared pool of 50 connections costs the load generator O(pool) work per request.
        drivers = [
            await stack.enter_async_context(
                AsyncSlackDriver(events, sandbox.signing_secret, sandbox.slack, timeout=30)
            )
            for _ in range(profile.clients)
        ]
        cards = await _seed(drivers[0], sandbox, profile)
        # The faults start with the load.
        assert sandbox.jira is not None and sandbox.notion is not None
        sandbox.jira.state.add_fault(JiraFault(kind="delay", delay=2.0))
        sandbox.notion.state.add_fault(NotionFault(kind="delay", delay=2.0))
        sandbox.slack.state.add_fault(Fault(kind="ratelimited", every=10))
        print(f"  seeded {profile.seed_incidents} incidents, {len(cards)} cards; loading",
              file=sys.stderr, flush=True)  # fmt: skip
        warm = dataclasses.replace(profile, max_requests=profile.clients, max_seconds=30)
        await _load(drivers, warm, [])  # warm-up, not measured: one request per client
        cpu = tree_cpu_seconds(server.process.pid), time.process_time()
        run = await _load(drivers, profile, cards)
        load_end = time.monotonic()
        per = 1000 / (sum(len(v) for v in run["latencies"].values()) or 1)
        run["cpu_ms_per_request"] = {  # the sandboxes run in this process, on threads
            "opsbot": round((tree_cpu_seconds(server.process.pid) - cpu[0]) * per, 2),
            "load_generator_and_sandboxes": round((time.process_time() - cpu[1]) * per, 2),
        }
        # What the acks left for later: the answers through response_url (``Done: #4 is
        # acknowledged``, status, declared) come after the ack; when they stop, how long after
        # the last ack the last one came, and opsbot's CPU per request including that tail.
        run["follow_ups"] = await _follow_ups(sandbox, load_end)
        run["cpu_ms_per_request"]["opsbot_with_follow_ups"] = round(
            (tree_cpu_seconds(server.process.pid) - cpu[0]) * per, 2
        )
    run["cards"] = len(cards)
    run["slack_calls"] = sandbox.slack.state.count_by_method()
    return run


def _results(backend: str, run: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    by_kind: dict[str, list[float]] = run["latencies"]
    everything = [x for values in by_kind.values() for x in values]
    errors: list[str] = run["errors"]
    for kind, values in [*sorted(by_kind.items()), ("all", everything)]:
        failed = [e for e in errors if kind == "all" or e.startswith(f"{kind}:")]
        row = {"backend": backend, "kind": kind, **summary_ms(values), "errors": len(failed),
               "over_3s": sum(1 for x in values if x > SLACK_LIMIT_S),
               "first_error": failed[0] if failed else None}  # fmt: skip
        if kind == "all":
            row["target_p99_ms"] = TARGET_P99_MS
            row["target"] = "PASS" if row["p99_ms"] < TARGET_P99_MS else "FAIL"
            row["requests_per_s"] = round(len(values) / run["seconds"], 1)
        rows.append(row)
    return rows


def run(profile_name: str, backends: tuple[str, ...] | None = None, *, clients: int | None = None,
        kinds: list[str] | None = None, workers: int = 1) -> int:  # fmt: skip
    """Run the benchmark, print the table and the JSON line; the process exit status."""
    profile = PROFILES[profile_name]
    if clients is not None:
        profile = dataclasses.replace(profile, clients=clients)
    if kinds:
        profile = dataclasses.replace(profile, mix=tuple((k, MIX[k]) for k in kinds))
    results: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    load = load_average()
    print(f"opsbot ack benchmark ({profile_name}): {os.cpu_count()} CPUs, {profile.clients} "
          "clients", file=sys.stderr, flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="opsbot-bench-ack-") as tmp:
        for backend in backends or profile.backends:
            workdir = Path(tmp) / backend
            workdir.mkdir()
            try:
                with contextlib.ExitStack() as stack:
                    url = stack.enter_context(database_url(backend, workdir))
                    sandbox = stack.enter_context(sandboxes(sync=True))
                    env = sandbox.env()
                    if backend == "postgresql" and workers > 1:  # SQLite serves from one
                        env["OPSBOT_WORKERS"] = str(workers)
                    server = stack.enter_context(
                        opsbot_process(url, workdir=workdir, policy_yaml=POLICY_YAML, env=env)
                    )
                    print(f"  {backend}: opsbot ready ({env.get('OPSBOT_WORKERS', '1')} "
                          "worker processes)", file=sys.stderr, flush=True)  # fmt: skip
                    outcome = run_async(_bench(server, sandbox, profile))
                    if server.process.poll() is not None:
                        raise RuntimeError(f"opsbot exited:\n{tail(server.log_path)}")
                    log_text = server.log_path.read_text(errors="replace")
                    extra[backend] = {
                        "cards": outcome["cards"],
                        "follow_ups": outcome["follow_ups"],
                        "cpu_ms_per_request": outcome["cpu_ms_per_request"],
                        "slack_calls": outcome["slack_calls"],
                        "opsbot_memory_mb": tree_memory_mb(server.process.pid),
                        "workers": env.get("OPSBOT_WORKERS", "1"),
                        "opsbot_log_errors": log_text.count('"level": "error"'),
                    }
                    results += _results(backend, outcome)
            except PostgresUnavailable as exc:
                skipped[backend] = str(exc)
                print(f"skipping {backend}: {exc}", flush=True)
    _report(profile, profile_name, results, extra, skipped, load + load_average())
    return 1 if any(r["errors"] for r in results) else 0


HEADERS = ["backend", "kind", "requests", "errors", ">3s", "p50 ms", "p99 ms", "max ms",
           "target p99<300ms"]  # fmt: skip


def _report(profile: Profile, profile_name: str, results: list[dict[str, Any]],
            extra: dict[str, Any], skipped: dict[str, str], load: list[float]) -> None:  # fmt: skip
    print_table(HEADERS, [
        [r["backend"], r["kind"], r["count"], r["errors"], r["over_3s"], r["p50_ms"], r["p99_ms"],
         r["max_ms"], r.get("target", "")] for r in results])  # fmt: skip
    for r in results:
        if r["first_error"] and r["kind"] != "all":
            print(f"first error, {r['backend']} {r['kind']}: {r['first_error']}")
    for backend, facts in extra.items():
        follow = facts["follow_ups"]
        print(f"{backend}: {facts['cards']} cards clicked on; CPU ms per request "
              f"{facts['cpu_ms_per_request']}; opsbot memory MB {facts['opsbot_memory_mb']}; "
              f"ERROR log lines {facts['opsbot_log_errors']}; response_url answers "
              f"{follow['response_url_posts']}, {follow['after_load']} of them after the last "
              f"ack, the last {follow['last_after_load_s']} s after it")  # fmt: skip
    emit_json("ack", results, profile=profile_name, cpus=os.cpu_count(), uvicorn=uvicorn_flavour(),
              python=platform.python_version(), load_average_before_after=load,
              mix=dict(profile.mix), clients=profile.clients, backends=extra,
              skipped=skipped)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.ack [--quick | --smoke] [--backend sqlite|postgresql] [--workers N]``."""
    parser = argparse.ArgumentParser(prog="python -m bench.ack", description=__doc__)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="about 40 s instead of about 3 min")
    size.add_argument("--smoke", action="store_true", help="tiny run: SQLite, 5 clients")
    parser.add_argument("--backend", action="append", choices=BACKENDS, help="repeatable")
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50)")
    parser.add_argument("--kinds", help=f"comma-separated subset of the mix: {','.join(MIX)}")
    parser.add_argument("--workers", type=int, default=1,
                        help="opsbot serve --workers on PostgreSQL (default 1)")  # fmt: skip
    args = parser.parse_args(argv)
    kinds = [k for k in (args.kinds or "").split(",") if k]
    if unknown := set(kinds) - set(MIX):
        parser.error(f"unknown kinds: {', '.join(sorted(unknown))}")
    interrupt_on_signals()
    profile = "smoke" if args.smoke else "quick" if args.quick else "full"
    backends = tuple(args.backend) if args.backend else None
    return guarded(
        lambda: run(profile, backends, clients=args.clients, kinds=kinds, workers=args.workers)
    )


if __name__ == "__main__":
    sys.exit(main())
