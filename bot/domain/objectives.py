"""Workflow health objectives (pure): is a workflow's error rate over its limit for the
window, or have its last N runs all failed? A breach becomes an alert (in Alertmanager's
shape) so it opens or updates an incident through the same path as Prometheus alerts, with
the workflow as the service; recovery resolves that alert."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.domain.runs import FAILED, FINISHED, Run

__all__ = ["MIN_RUNS", "Objective", "Verdict", "as_alert", "evaluate", "fingerprint"]

MIN_RUNS = 3  # fewer finished runs in the window say nothing about an error rate


@dataclass(frozen=True)
class Objective:
    """One workflow's objective (from ``workflow_objectives``)."""

    workflow: str
    severity: str
    over: timedelta
    error_rate_above: float | None = None
    consecutive_failures: int | None = None


@dataclass(frozen=True)
class Verdict:
    """Whether the objective is broken now, and why (for the alert's summary)."""

    breached: bool
    reason: str
    since: datetime | None = None  # the first failed run of the breach (the same everywhere)


def evaluate(objective: Objective, runs: Sequence[Run], *, now: datetime) -> Verdict:
    """Judge the runs of the objective's workflow (any order) at ``now``."""
    mine = [r for r in runs if r.workflow == objective.workflow and r.state in FINISHED]
    mine.sort(key=lambda r: r.started_at or now, reverse=True)
    streak = objective.consecutive_failures
    if streak and len(mine) >= streak and all(r.state in FAILED for r in mine[:streak]):
        first = mine[streak - 1].started_at
        return Verdict(True, f"the last {streak} runs of {objective.workflow} failed", first)
    limit = objective.error_rate_above
    recent = [r for r in mine if r.started_at is not None and r.started_at >= now - objective.over]
    if limit is not None and len(recent) >= MIN_RUNS:
        failed = [r for r in recent if r.state in FAILED]
        rate = len(failed) / len(recent)
        if rate > limit:
            return Verdict(
                True,
                f"{objective.workflow}: {rate:.0%} of {len(recent)} runs failed in the last "
                f"{_minutes(objective.over)} (limit {limit:.0%})",
                min(r.started_at for r in failed if r.started_at is not None),
            )
    return Verdict(False, f"{objective.workflow} is within its objective")


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes // 60} h"


def fingerprint(workflow: str) -> str:
    """The objective alert's fingerprint (stable, so repeats are recognised)."""
    return hashlib.sha256(f"objective:{workflow}".encode()).hexdigest()[:16]


def as_alert(
    objective: Objective,
    verdict: Verdict,
    *,
    since: datetime,
    now: datetime,
    service_label: str,
    severity_label: str,
) -> dict[str, object]:
    """The objective as an Alertmanager webhook body (version 4): firing while breached,
    resolved once it holds again. ``since`` is when the current breach began."""
    labels = {
        "alertname": "WorkflowObjectiveBroken",
        service_label: objective.workflow,
        severity_label: objective.severity,
        "source": "opsbot",
    }
    status = "firing" if verdict.breached else "resolved"
    alert = {
        "status": status,
        "labels": labels,
        "annotations": {"summary": verdict.reason},
        "startsAt": since.isoformat(),
        "endsAt": "0001-01-01T00:00:00Z" if verdict.breached else now.isoformat(),
        "generatorURL": "",
        "fingerprint": fingerprint(objective.workflow),
    }
    return {
        "version": "4",
        "groupKey": f'{{}}:{{objective="{objective.workflow}"}}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "opsbot-objectives",
        "groupLabels": {"objective": objective.workflow},
        "commonLabels": labels,
        "commonAnnotations": {"summary": verdict.reason},
        "externalURL": "",
        "alerts": [alert],
    }
