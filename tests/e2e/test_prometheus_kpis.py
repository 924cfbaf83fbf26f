"""``PrometheusKpis`` against the real Prometheus (2.42) scraping the workflow exporter.

Needs the promstack binaries (``.ci/install-promstack.sh``); skipped without them unless
``OPSBOT_REQUIRE_PROMSTACK=1`` or ``CI`` is set. One Prometheus serves the whole module
(``workflow_stack``), so each test uses its own workflow label or gauge value.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest

from bot.adapters.prometheus_kpis import PrometheusKpis, with_threshold
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import KpiReading

from .promstack import free_port
from .workflow_exporter import WorkflowStack

pytestmark = pytest.mark.e2e

TURNAROUND = "histogram_quantile(0.95, sum(rate(workflow_run_duration_seconds_bucket[1h])) by (le))"


def read(url: str, query: str, name: str = "kpi", **kwargs: object) -> KpiReading:
    kpis = PrometheusKpis(url, **kwargs)  # type: ignore[arg-type]
    try:
        return asyncio.run(kpis.read(name, query))
    finally:
        kpis.close()


def test_turnaround_p95_from_the_issue_is_plausible(workflow_stack: WorkflowStack) -> None:
    exporter = workflow_stack.exporter
    # rate() needs an increase between two scrapes: a first observation, scraped, then more.
    exporter.observe_run("turnaround", 20.0)
    count = 'workflow_run_duration_seconds_count{workflow="turnaround"}'
    workflow_stack.wait_for(count, lambda v: v == 1)
    for seconds in [12.0] * 10 + [25.0] * 5 + [45.0] * 3 + [90.0] * 2:
        exporter.observe_run("turnaround", seconds)
    workflow_stack.wait_for(count, lambda v: v == 21)

    reading = read(workflow_stack.url, TURNAROUND, name="turnaround_p95_seconds")

    assert reading.name == "turnaround_p95_seconds"
    # 20 new runs, 18 of them <= 60 s, 2 in (60, 120]: the 95th percentile (the 19th) is
    # interpolated inside the (60, 120] bucket.
    assert reading.value is not None
    assert 60.0 < reading.value <= 120.0
    assert reading.previous is None  # Prometheus has no data from an hour ago
    assert reading.threshold is None
    assert with_threshold(reading, 60.0).breached


def test_queue_depth_now_and_a_moment_ago(workflow_stack: WorkflowStack) -> None:
    exporter = workflow_stack.exporter
    exporter.set_queue_depth(5)
    workflow_stack.wait_for("workflow_queue_depth", lambda v: v == 5)
    while_five = time.time()  # a 5 is stored at or before this moment, and no 9 yet
    time.sleep(1.2)  # so that no scrape started before ``while_five`` sees the 9
    exporter.set_queue_depth(9)
    workflow_stack.wait_for("workflow_queue_depth", lambda v: v == 9)
    now = time.time()

    hourly = read(workflow_stack.url, "workflow_queue_depth")
    assert (hourly.value, hourly.previous) == (9.0, None)

    # The trend window is configurable: evaluated back at ``while_five`` the gauge read 5.
    back = timedelta(seconds=now - while_five)
    recent = read(workflow_stack.url, "workflow_queue_depth", trend=back, clock=lambda: now)
    assert (recent.value, recent.previous) == (9.0, 5.0)


def test_several_series_are_summed(workflow_stack: WorkflowStack) -> None:
    exporter = workflow_stack.exporter
    exporter.set_capacity_utilisation(0.25, {"pool": "a"})
    exporter.set_capacity_utilisation(0.5, {"pool": "b"})
    workflow_stack.wait_for("count(workflow_capacity_utilisation)", lambda v: v == 2)

    reading = read(workflow_stack.url, "workflow_capacity_utilisation")

    assert reading.value == pytest.approx(0.75)


def test_query_series_keeps_the_labels(workflow_stack: WorkflowStack) -> None:
    exporter = workflow_stack.exporter
    exporter.add_runs("series-wf", "success", 3)
    exporter.add_runs("series-wf", "error", 1)
    query = 'workflow_runs_total{workflow="series-wf"}'
    workflow_stack.wait_for(query, lambda v: v == 4)
    kpis = PrometheusKpis(workflow_stack.url)
    try:
        series = asyncio.run(kpis.query_series(f"sum by (workflow, status) ({query})"))
    finally:
        kpis.close()

    assert sorted(series, key=lambda s: s[0]["status"]) == [
        ({"status": "error", "workflow": "series-wf"}, 1.0),
        ({"status": "success", "workflow": "series-wf"}, 3.0),
    ]


def test_unknown_metric_is_no_value_not_an_error(workflow_stack: WorkflowStack) -> None:
    reading = read(workflow_stack.url, "workflow_nobody_exports_this")

    assert (reading.value, reading.previous) == (None, None)


def test_nan_is_no_value(workflow_stack: WorkflowStack) -> None:
    # A quantile over buckets that did not increase is NaN in Prometheus.
    workflow_stack.exporter.observe_run("idle", 5.0)
    samples = 'count_over_time(workflow_run_duration_seconds_count{workflow="idle"}[1h])'
    workflow_stack.wait_for(samples, lambda v: v is not None and v >= 2)
    query = TURNAROUND.replace("[1h]", '{workflow="idle"}[1h]')
    assert workflow_stack.wait_for(query, lambda v: v is not None and v != v) is not None

    assert read(workflow_stack.url, query).value is None


def test_bad_query_is_permanent_with_prometheus_text(workflow_stack: WorkflowStack) -> None:
    with pytest.raises(PermanentError) as caught:
        read(workflow_stack.url, "sum(rate(workflow_runs_total[5m])")

    message = str(caught.value)
    assert "bad_data" in message
    assert "parse error" in message
    assert "unclosed left parenthesis" in message


def test_range_vector_is_refused(workflow_stack: WorkflowStack) -> None:
    with pytest.raises(PermanentError, match="range vector"):
        read(workflow_stack.url, "workflow_queue_depth[1m]")


def test_prometheus_down_is_transient_within_the_timeout() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    started = time.monotonic()
    with pytest.raises(TransientError, match="connection failed"):
        read(url, "workflow_queue_depth", timeout=1.0)

    assert time.monotonic() - started < 1.0
