"""The restore benchmark still runs: ``python -m bench.restore --smoke`` end to end (SQLite,
100 incidents). Only the shape of the output is checked, no speed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PREFIX = "BENCH_JSON "
KEYS = {"backend", "incidents", "rows", "setup_s", "backup_s", "backup_mb", "restore_fresh_s",
        "restore_over_s", "restore_cli_s"}  # fmt: skip


@pytest.mark.e2e
def test_restore_benchmark_smoke() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.restore", "--smoke"],
        capture_output=True,
        text=True,
        timeout=180,  # a hang guard, not a performance assertion
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = [line for line in done.stdout.splitlines() if line.startswith(PREFIX)]
    assert len(lines) == 1, done.stdout
    report = json.loads(lines[0].removeprefix(PREFIX))
    assert (report["benchmark"], report["profile"]) == ("restore", "smoke")
    (result,) = report["results"]
    assert set(result) >= KEYS, KEYS ^ set(result)
    assert (result["backend"], result["incidents"]) == ("sqlite", 100)
    assert result["rows"] >= 100 * 12  # each incident: 3 alerts, 4 entries, role, timer, 2 effects
    assert result["restore_fresh_s"] > 0 and 0 < result["restore_over_s"] < result["restore_cli_s"]
    assert "restoring 100 incidents (" in done.stdout  # the human lines came first
    assert done.stdout.index("restore ms (fresh)") < done.stdout.index(PREFIX)
