"""The run overview and the ``/runs`` argument parser (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.runs import KpiReading, Run, RunState, overview, percentile
from bot.domain.runs_args import RunsQuery, parse_runs
from bot.errors import UsageError

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _run(n: int, state: RunState, seconds: float | None = 10, **extra: object) -> Run:
    ended = T0 + timedelta(seconds=seconds) if seconds is not None else None
    return Run("langgraph", "ops", f"r{n}", state, T0, ended, **extra)  # type: ignore[arg-type]


def test_overview_counts_states_rates_and_durations() -> None:
    runs = [
        _run(1, RunState.SUCCESS, 10, tokens=100, cost=0.01),
        _run(2, RunState.SUCCESS, 20, tokens=300, cost=0.03),
        _run(3, RunState.ERROR, 30, error="RuntimeError: boom", retries=2),
        _run(4, RunState.ERROR, 40, error="RuntimeError: boom"),
        _run(5, RunState.WAITING, None),
        _run(6, RunState.TIMEOUT, 100, error="timed out"),
        Run("n8n", "invoices", "7", RunState.SUCCESS, T0, T0 + timedelta(seconds=1)),
    ]
    [ops, invoices] = overview(runs)
    assert (invoices.source, invoices.workflow, invoices.total) == ("n8n", "invoices", 1)
    assert ops.by_state == {"success": 2, "error": 2, "waiting": 1, "timeout": 1}
    assert ops.error_rate == pytest.approx(3 / 5)
    assert ops.p50 == timedelta(seconds=30) and ops.p95 == timedelta(seconds=100)
    assert ops.retries == 2 and ops.tokens_per_run == 200 and ops.cost_per_run == 0.02
    assert ops.top_failures[0] == ("RuntimeError: boom", 2)


def test_percentile_by_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0


def test_kpi_breach_follows_the_side_that_is_bad() -> None:
    assert KpiReading("queue", 12, threshold=10).breached
    assert not KpiReading("csat", 4.5, threshold=4.0, above_is_bad=False).breached
    assert KpiReading("csat", 3.5, threshold=4.0, above_is_bad=False).breached
    assert not KpiReading("none", None, threshold=1).breached


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", RunsQuery("overview")),
        ("--since 6h", RunsQuery("overview", since=timedelta(hours=6))),
        ("help", RunsQuery("help")),
        ("kpi", RunsQuery("kpi")),
        ("show 01a2-ff", RunsQuery("show", run_id="01a2-ff")),
        (
            "ops --since=2h --status error --page 2",
            RunsQuery(
                "list", workflow="ops", since=timedelta(hours=2), status=RunState.ERROR, page=2
            ),
        ),
        ("ops --status interrupted", RunsQuery("list", workflow="ops", status=RunState.WAITING)),
    ],
)
def test_runs_arguments(text: str, expected: RunsQuery) -> None:
    assert parse_runs(text) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("show", "Which run?"),
        ("kpi now", "takes no arguments"),
        ("ops --since", "needs a value"),
        ("ops --since soon", "give a duration"),
        ("ops --since 90d", "at most 30d"),
        ("ops --status broken", "one of cancelled, error"),
        ("ops --page 0", "from 1 to 100"),
        ("ops --verbose", "Unknown option `--verbose`"),
        ("--status error", "need a workflow"),
        ('ops "unclosed', "Could not read"),
    ],
)
def test_wrong_runs_arguments_get_the_usage(text: str, says: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_runs(text)
    assert says in str(caught.value)
    assert "/runs" in (caught.value.usage or "")
