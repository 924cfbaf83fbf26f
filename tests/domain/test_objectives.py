"""Workflow objectives (pure): error rate over a window, consecutive failures, the alert."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.alertmanager import AMNotification
from bot.domain.objectives import Objective, as_alert, evaluate, fingerprint
from bot.domain.runs import Run, RunState

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
M = timedelta(minutes=1)
RATE = Objective("ops", "S2", 15 * M, error_rate_above=0.1)
STREAK = Objective("ops", "S3", 15 * M, consecutive_failures=3)


def _runs(*states: RunState, workflow: str = "ops") -> list[Run]:
    """Newest first, a minute apart."""
    return [
        Run("n8n", workflow, str(n), s, NOW - (n + 1) * M, NOW - n * M)
        for n, s in enumerate(states)
    ]


OK, ERR = RunState.SUCCESS, RunState.ERROR


def test_error_rate_over_the_limit_breaches_from_the_first_failed_run() -> None:
    verdict = evaluate(RATE, _runs(OK, ERR, OK, ERR, OK), now=NOW)
    assert verdict.breached and verdict.since == NOW - 4 * M
    assert "40% of 5 runs failed in the last 15 min (limit 10%)" in verdict.reason


def test_too_few_runs_or_other_workflows_say_nothing() -> None:
    assert not evaluate(RATE, _runs(ERR, ERR), now=NOW).breached
    assert not evaluate(RATE, _runs(ERR, ERR, ERR, workflow="other"), now=NOW).breached
    old = [Run("n8n", "ops", str(n), ERR, NOW - timedelta(hours=2), None) for n in range(5)]
    assert not evaluate(RATE, old, now=NOW).breached


def test_consecutive_failures() -> None:
    assert evaluate(STREAK, _runs(ERR, RunState.TIMEOUT, ERR, OK), now=NOW).breached
    assert not evaluate(STREAK, _runs(ERR, OK, ERR, ERR), now=NOW).breached
    running_first = _runs(RunState.RUNNING, ERR, ERR, ERR)
    assert evaluate(STREAK, running_first, now=NOW).since == NOW - 4 * M


def test_the_alert_is_a_valid_webhook_body_firing_then_resolved() -> None:
    verdict = evaluate(RATE, _runs(ERR, ERR, ERR), now=NOW)
    body = as_alert(
        RATE, verdict, since=NOW - M, now=NOW, service_label="service", severity_label="severity"
    )
    note = AMNotification.model_validate(body)
    assert note.status == "firing" and note.alerts[0].labels["service"] == "ops"
    assert note.alerts[0].labels["severity"] == "S2"
    assert note.alerts[0].fingerprint == fingerprint("ops") and note.alerts[0].ends_at is None
    healthy = evaluate(RATE, _runs(OK, OK, OK), now=NOW)
    resolved = AMNotification.model_validate(
        as_alert(RATE, healthy, since=NOW - M, now=NOW, service_label="svc", severity_label="sev")
    )
    assert resolved.status == "resolved" and resolved.alerts[0].starts_at == NOW - M
