"""opsbot's own health on ``/metrics``: figures read from the database at scrape time, and
the response times (MTTA, MTTR) observed when an incident is acknowledged or resolved."""

from __future__ import annotations

from bot.clock import Clock
from bot.domain.incident import IncidentView
from bot.domain.lifecycle import LIVE, Action
from bot.domain.severity import Severity
from bot.metrics import Metrics
from storage.db import Database
from storage.repositories import stats

__all__ = ["incidents_open", "observe_change", "register", "timer_figures"]


def incidents_open(*, db: Database) -> dict[str, float]:
    """Incidents open or acknowledged, by severity (every severity, zero included)."""
    with db.session() as session:
        counts = stats.incidents_by_severity(session, statuses=LIVE)
    return {severity.value: float(counts.get(severity.value, 0)) for severity in Severity}


def timer_figures(*, db: Database, clock: Clock) -> dict[str, float]:
    """Armed timers, those past due and not yet fired, and how late the latest of those is."""
    with db.session() as session:
        figures = stats.timer_stats(session, now=clock())
    return {
        "armed": figures.armed,
        "overdue": figures.overdue,
        "max_overdue_seconds": figures.max_overdue_s,
    }


def register(metrics: Metrics, *, db: Database, clock: Clock) -> None:
    """Export the read-at-scrape figures: ``opsbot_incidents_open{severity}`` and
    ``opsbot_timers_{armed,overdue,max_overdue_seconds}``."""
    metrics.watch_labelled(
        "incidents_open",
        "severity",
        lambda: incidents_open(db=db),
        "Incidents open or acknowledged, by severity",
    )
    metrics.watch(
        "timers", lambda: timer_figures(db=db, clock=clock), "Durable timers (armed, past due)"
    )


def observe_change(metrics: Metrics, action: Action, view: IncidentView) -> None:
    """Observe MTTA after an acknowledgement and MTTR after a resolution (by severity)."""
    if action is Action.ACK and view.acknowledged_at is not None:
        elapsed = (view.acknowledged_at - view.opened_at).total_seconds()
        metrics.mtta.labels(view.severity.value).observe(max(elapsed, 0.0))
    elif action is Action.RESOLVE and view.resolved_at is not None:
        elapsed = (view.resolved_at - view.opened_at).total_seconds()
        metrics.mttr.labels(view.severity.value).observe(max(elapsed, 0.0))
