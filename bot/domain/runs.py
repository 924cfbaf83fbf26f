"""Workflow runs (pure): one shape for LangGraph runs and n8n executions, the per-workflow
overview ``/runs`` shows, and the ports the run sources and the KPI source implement.

States (``RunState``): ``success``, ``error``, ``running``, ``pending``, ``waiting`` (for a
human: a LangGraph interrupt, an n8n wait), ``timeout``, ``cancelled``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

__all__ = [
    "FAILED",
    "FINISHED",
    "Decision",
    "HitlSource",
    "KpiReading",
    "KpiSource",
    "Run",
    "RunDetail",
    "RunSource",
    "RunState",
    "Step",
    "WorkflowOverview",
    "overview",
    "percentile",
]


class RunState(StrEnum):
    """Where a run is."""

    SUCCESS = "success"
    ERROR = "error"
    RUNNING = "running"
    PENDING = "pending"
    WAITING = "waiting"  # for a human
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"


FAILED = frozenset({RunState.ERROR, RunState.TIMEOUT})
FINISHED = frozenset({RunState.SUCCESS, RunState.ERROR, RunState.TIMEOUT, RunState.CANCELLED})


@dataclass(frozen=True)
class Run:
    """One run of one workflow, from any source."""

    source: str  # "langgraph" | "n8n"
    workflow: str  # LangGraph graph id, n8n workflow name
    run_id: str
    state: RunState
    started_at: datetime | None
    ended_at: datetime | None
    retries: int = 0
    error: str | None = None  # the failure reason, one line
    tokens: int | None = None
    cost: float | None = None
    url: str | None = None

    @property
    def duration(self) -> timedelta | None:
        """How long it ran (None while it runs)."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


@dataclass(frozen=True)
class Step:
    """A node the run passed (or stopped at)."""

    name: str
    status: str  # "done" | "failed" | "waiting" | "running"


@dataclass(frozen=True)
class Decision:
    """A human-in-the-loop decision: who decided what, when, and why."""

    by: str
    decision: str  # "approve" | "reject"
    at: datetime
    comment: str | None = None


@dataclass(frozen=True)
class RunDetail:
    """One run in full: its steps, where it stopped, what it waits for, who decided."""

    run: Run
    steps: tuple[Step, ...] = ()
    question: str | None = None  # the interrupt's question, while waiting
    annotations: dict[str, str] = field(default_factory=dict)
    decisions: tuple[Decision, ...] = ()
    thread_id: str | None = None


class RunSource(Protocol):
    """A system that runs workflows (LangGraph server, n8n). Failures raise
    ``bot.domain.ports.TransientError`` or ``PermanentError``."""

    name: str

    async def runs(self, *, since: datetime, workflow: str | None, limit: int) -> list[Run]:
        """Runs started since ``since``, newest first."""
        ...

    async def run(self, run_id: str) -> RunDetail | None:
        """One run in detail; None when this source does not know it."""
        ...

    async def workflows(self) -> list[str]:
        """The workflow names this source knows."""
        ...


class HitlSource(Protocol):
    """Runs that wait for a human, and resuming them (LangGraph interrupts)."""

    async def waiting(self) -> list[RunDetail]:
        """Threads stopped at an interrupt, each with its question (newest first)."""
        ...

    async def resume(
        self, thread_id: str, *, approve: bool, by: str, comment: str | None
    ) -> RunDetail:
        """Resume the thread with the decision; the run that continues it (its state may
        still be running). ``PermanentError`` when the thread no longer waits."""
        ...


@dataclass(frozen=True)
class KpiReading:
    """A KPI now, an hour ago (the trend), and its threshold."""

    name: str
    value: float | None
    previous: float | None = None
    threshold: float | None = None
    above_is_bad: bool = True

    @property
    def breached(self) -> bool:
        """Whether the value is on the wrong side of the threshold."""
        if self.value is None or self.threshold is None:
            return False
        return self.value > self.threshold if self.above_is_bad else self.value < self.threshold


class KpiSource(Protocol):
    """Named PromQL queries (Prometheus)."""

    async def read(self, name: str, query: str) -> KpiReading:
        """The query's value now and an hour ago."""
        ...


@dataclass(frozen=True)
class WorkflowOverview:
    """One workflow over a window."""

    source: str
    workflow: str
    by_state: dict[str, int]
    total: int
    error_rate: float  # failed / finished
    p50: timedelta | None
    p95: timedelta | None
    retries: int
    tokens_per_run: float | None
    cost_per_run: float | None
    top_failures: tuple[tuple[str, int], ...]


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0 to 1) by nearest rank; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q * len(ordered))))
    return ordered[rank - 1]


def overview(runs: Sequence[Run]) -> list[WorkflowOverview]:
    """Per (source, workflow): runs by state, error rate, p50/p95, retries, cost, top failures."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        groups.setdefault((run.source, run.workflow), []).append(run)
    return [_one(source, workflow, mine) for (source, workflow), mine in sorted(groups.items())]


def _one(source: str, workflow: str, runs: list[Run]) -> WorkflowOverview:
    states = Counter(run.state.value for run in runs)
    finished = [run for run in runs if run.state in FINISHED]
    failed = [run for run in runs if run.state in FAILED]
    seconds = [d.total_seconds() for run in finished if (d := run.duration) is not None]
    p50, p95 = percentile(seconds, 0.5), percentile(seconds, 0.95)
    tokens = [run.tokens for run in runs if run.tokens is not None]
    costs = [run.cost for run in runs if run.cost is not None]
    reasons = Counter((run.error or "unknown")[:120] for run in failed)
    return WorkflowOverview(
        source=source,
        workflow=workflow,
        by_state=dict(states),
        total=len(runs),
        error_rate=len(failed) / len(finished) if finished else 0.0,
        p50=timedelta(seconds=p50) if p50 is not None else None,
        p95=timedelta(seconds=p95) if p95 is not None else None,
        retries=sum(run.retries for run in runs),
        tokens_per_run=sum(tokens) / len(tokens) if tokens else None,
        cost_per_run=sum(costs) / len(costs) if costs else None,
        top_failures=tuple(reasons.most_common(3)),
    )
