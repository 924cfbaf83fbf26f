"""A small exporter of workflow metrics for the KPI tests and the demo.

It is a :class:`~tests.e2e.promstack.MetricTarget` (same loopback server, same settable
gauges) that also serves a histogram and a counter:

* ``workflow_run_duration_seconds`` histogram, label ``workflow``
  (``_bucket{le=...}``, ``_sum``, ``_count``; buckets :data:`BUCKETS`)
* ``workflow_runs_total{workflow,status}`` counter
* ``workflow_queue_depth``, ``workflow_capacity_utilisation`` (0..1),
  ``workflow_csat_score`` (1..5) gauges, optionally labelled

Typical use (the ``workflow_stack`` fixture in ``conftest.py`` does this)::

    with WorkflowExporter() as exporter, \\
         Prometheus(bins, tmp, exporter.url, rules="", alertmanager_url=None) as prom:
        prom.wait_until_wired()
        exporter.observe_run("ops", 42.0)              # one successful 42 s run
        exporter.observe_run("ops", 3.0, status="error")
        exporter.set_queue_depth(7)
        wait_for_value(prom, "workflow_queue_depth", lambda v: v == 7)

For the demo, ``python -m tests.e2e.workflow_exporter --port 9101`` serves seeded values
until interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .promstack import (
    LOOPBACK,
    MetricTarget,
    PromBinaries,
    Prometheus,
    PromstackError,
    http_json,
)

__all__ = [
    "BUCKETS",
    "WorkflowExporter",
    "WorkflowStack",
    "query_value",
    "start_workflow_stack",
    "wait_for_value",
]

BUCKETS: tuple[float, ...] = (0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)
DURATION = "workflow_run_duration_seconds"
RUNS = "workflow_runs_total"


def _esc(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class WorkflowExporter(MetricTarget):
    """Workflow metrics, settable from the test; thread-safe."""

    def __init__(self, host: str = LOOPBACK, port: int = 0) -> None:
        super().__init__(host, port)
        # workflow -> (bucket counts, sum, count); buckets non-cumulative, +Inf last
        self._durations: dict[str, tuple[list[int], float, int]] = {}
        self._runs: dict[tuple[str, str], float] = {}

    def observe_run(self, workflow: str, seconds: float, status: str = "success") -> None:
        """One finished run: a duration observation and ``runs_total{status}`` + 1."""
        with self._lock:
            counts, total, n = self._durations.get(workflow, ([0] * (len(BUCKETS) + 1), 0.0, 0))
            index = next((i for i, b in enumerate(BUCKETS) if seconds <= b), len(BUCKETS))
            counts = counts.copy()
            counts[index] += 1
            self._durations[workflow] = (counts, total + seconds, n + 1)
            self._runs[(workflow, status)] = self._runs.get((workflow, status), 0.0) + 1

    def add_runs(self, workflow: str, status: str, count: int = 1) -> None:
        """``workflow_runs_total{workflow,status}`` + ``count`` (no duration)."""
        with self._lock:
            self._runs[(workflow, status)] = self._runs.get((workflow, status), 0.0) + count

    def set_queue_depth(self, value: float, labels: Mapping[str, str] | None = None) -> None:
        self.set("workflow_queue_depth", value, labels)

    def set_capacity_utilisation(
        self, value: float, labels: Mapping[str, str] | None = None
    ) -> None:
        self.set("workflow_capacity_utilisation", value, labels)

    def set_csat_score(self, value: float, labels: Mapping[str, str] | None = None) -> None:
        self.set("workflow_csat_score", value, labels)

    def seed_demo(self) -> None:
        """Plausible values for the demo: two workflows, a few runs, the gauges."""
        for seconds in (12.0, 18.0, 25.0, 40.0, 95.0):
            self.observe_run("ops", seconds)
        self.observe_run("ops", 7.0, status="error")
        for seconds in (3.0, 4.0, 6.0):
            self.observe_run("triage", seconds)
        self.set_queue_depth(7)
        self.set_capacity_utilisation(0.62)
        self.set_csat_score(4.4)

    def render(self) -> str:
        """Gauges (from :class:`MetricTarget`), then the histogram and the counter."""
        lines = [super().render().rstrip("\n")]
        with self._lock:
            lines.append(f"# HELP {DURATION} Duration of finished workflow runs.")
            lines.append(f"# TYPE {DURATION} histogram")
            for workflow, (counts, total, n) in sorted(self._durations.items()):
                wf = f'workflow="{_esc(workflow)}"'
                cumulative = 0
                for bound, count in zip((*BUCKETS, math.inf), counts, strict=True):
                    cumulative += count
                    le = "+Inf" if math.isinf(bound) else repr(float(bound))
                    lines.append(f'{DURATION}_bucket{{{wf},le="{le}"}} {cumulative}')
                lines.append(f"{DURATION}_sum{{{wf}}} {total!r}")
                lines.append(f"{DURATION}_count{{{wf}}} {n}")
            lines.append(f"# HELP {RUNS} Finished workflow runs by status.")
            lines.append(f"# TYPE {RUNS} counter")
            for (workflow, status), value in sorted(self._runs.items()):
                labels = f'status="{_esc(status)}",workflow="{_esc(workflow)}"'
                lines.append(f"{RUNS}{{{labels}}} {value!r}")
        return "\n".join(line for line in lines if line) + "\n"


def query_value(prom: Prometheus, query: str) -> float | None:
    """The sum of an instant query's samples (None when empty), straight from the API."""
    body: Any = http_json(f"{prom.url}/api/v1/query?query={quote(query)}")
    result = body["data"]["result"]
    if body["data"]["resultType"] == "scalar":
        return float(result[1])
    return sum(float(s["value"][1]) for s in result) if result else None


def wait_for_value(
    prom: Prometheus,
    query: str,
    predicate: Callable[[float | None], bool],
    timeout: float = 15.0,
) -> float | None:
    """Poll ``query`` until ``predicate(value)`` holds (the exporter's new values scraped);
    returns the value. Raises ``PromstackError`` on timeout."""
    deadline = time.monotonic() + timeout
    value: float | None = None
    while True:
        with contextlib.suppress(OSError, ValueError, KeyError):
            value = query_value(prom, query)
            if predicate(value):
                return value
        if time.monotonic() > deadline:
            raise PromstackError(f"{query} stayed at {value} for {timeout:.0f}s")
        time.sleep(0.2)


@dataclass(frozen=True)
class WorkflowStack:
    """An exporter and the Prometheus scraping it (job ``workflows``, every second)."""

    exporter: WorkflowExporter
    prometheus: Prometheus

    @property
    def url(self) -> str:
        """Prometheus's base URL (``http://127.0.0.1:PORT``), for ``PrometheusKpis``."""
        return self.prometheus.url

    def wait_for(
        self, query: str, predicate: Callable[[float | None], bool], timeout: float = 15.0
    ) -> float | None:
        """:func:`wait_for_value` against this Prometheus."""
        return wait_for_value(self.prometheus, query, predicate, timeout)


@contextlib.contextmanager
def start_workflow_stack(binaries: PromBinaries, tmp_dir: Path) -> Iterator[WorkflowStack]:
    """Start the exporter and a Prometheus scraping it; yields once the first scrape is in
    (about 5 s: Prometheus 2.42 publishes discovered targets at most every 5 s)."""
    with (
        WorkflowExporter() as exporter,
        Prometheus(
            binaries, tmp_dir, exporter.url, rules="", alertmanager_url=None, job="workflows"
        ) as prom,
    ):
        prom.wait_until_wired()
        yield WorkflowStack(exporter, prom)


def main() -> None:
    """Serve seeded workflow metrics until interrupted (for ``opsbot demo``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--no-seed", action="store_true")
    args = parser.parse_args()
    with WorkflowExporter(port=args.port) as exporter:
        if not args.no_seed:
            exporter.seed_demo()
        print(json.dumps({"url": exporter.url}), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)


if __name__ == "__main__":
    main()
