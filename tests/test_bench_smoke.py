"""The ingest benchmark still runs: ``python -m bench.ingest --smoke`` end to end (no timing)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "BENCH_JSON "


def test_ingest_benchmark_smoke_run_prints_every_case() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bench.ingest", "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,  # a hang guard, not a performance assertion
        cwd=ROOT,
        env=env,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, done.stdout
    report = json.loads(lines[0].removeprefix(PREFIX))

    assert report["benchmark"] == "ingest"
    cases = {
        (r["backend"], r["group_size"], r["mode"], r["concurrency"]) for r in report["results"]
    }
    assert cases == {("sqlite", size, mode, 1) for size in (1, 100) for mode in ("new", "repeat")}
    for result in report["results"]:
        assert result["requests"] == 5
        assert result["errors"] == 0, result["first_error"]
        assert result["requests_per_s"] > 0
        expected_alerts = result["requests_per_s"] * result["group_size"]
        assert result["alerts_per_s"] == pytest.approx(expected_alerts, rel=0.01)
        assert 0 < result["p50_ms"] <= result["p99_ms"] <= result["max_ms"]
    assert "alerts/s" in done.stdout  # the human table came first
