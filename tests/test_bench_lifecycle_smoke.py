"""The lifecycle benchmarks still run: ``python -m bench.{ack,timers,storm} --smoke`` end to end
(SQLite, a handful of requests or timers). Only the shape of the output is checked, no speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "BENCH_JSON "

RESULT_KEYS = {
    "ack": {"backend", "kind", "count", "errors", "over_3s", "p50_ms", "p99_ms", "max_ms"},
    "timers": {"backend", "armed", "due", "tick_due_ms", "tick_idle_ms", "fired_per_tick"},
    "storm": {"backend", "alerts", "incidents_opened", "slack_calls", "slack_calls_by_method",
              "calls_per_incident", "calls_target", "peak_rss_mb", "rss_target", "errors"},
}  # fmt: skip


def _run(name: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a performance assertion
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, done.stdout
    report: dict[str, Any] = json.loads(lines[0].removeprefix(PREFIX))
    assert report["benchmark"] == name
    assert report["profile"] == "smoke"
    assert report["results"], report
    for result in report["results"]:
        assert RESULT_KEYS[name] <= set(result), set(result) ^ RESULT_KEYS[name]
        assert result["backend"] == "sqlite"
    return report


@pytest.mark.e2e
def test_ack_benchmark_smoke() -> None:
    report = _run("ack")
    kinds = {r["kind"] for r in report["results"]}
    assert "all" in kinds and len(kinds) > 2
    overall = next(r for r in report["results"] if r["kind"] == "all")
    assert overall["errors"] == 0, overall["first_error"]
    assert overall["target"] in ("PASS", "FAIL")
    assert 0 < overall["p50_ms"] <= overall["p99_ms"] <= overall["max_ms"]


@pytest.mark.e2e
def test_timers_benchmark_smoke() -> None:
    report = _run("timers")
    assert [r["armed"] for r in report["results"]] == [100, 200]
    assert all(r["fired_per_tick"] == 100 for r in report["results"])
    lag = report["results"][-1]
    assert 0 <= lag["lag_p50_s"] <= lag["lag_p99_s"]
    assert report["verdicts"]["sqlite"]["ratio_target"] in ("PASS", "FAIL")


@pytest.mark.e2e
def test_storm_benchmark_smoke() -> None:
    report = _run("storm")
    (result,) = report["results"]
    assert result["errors"] == 0, result["first_error"]
    assert result["incidents_opened"] == 5  # 5 groups, under the storm guard's 10 a minute
    assert result["slack_calls"] == sum(result["slack_calls_by_method"].values()) > 0
    assert result["peak_rss_mb"] > 0
