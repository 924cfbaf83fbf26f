"""opsbot's own health on ``/metrics``, driven through its real surfaces: signed Slack
commands, Alertmanager webhooks, the outbox against a failing sandbox Slack, ``/runs``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import utcnow
from bot.domain.severity import Severity
from bot.policy import Policy
from bot.sandbox.n8n import DEFAULT_API_KEY, N8nState, SandboxN8n
from bot.sandbox.slack import Fault
from bot.services import lifecycle
from bot.services.lifecycle import Actor
from bot.services.self_metrics import incidents_open, timer_figures
from storage import Database
from tests.alerts import alert, notification
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

POLICY = Policy.model_validate({"slack": {"incidents_channel": "C0INCIDENTS"}})

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(opsbot: Opsbot) -> Samples:
    """Every sample on ``/metrics``, keyed by (sample name, labels)."""
    response = httpx.get(opsbot.url + "/metrics", timeout=10)
    assert response.status_code == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _open_from_alert(opsbot: Opsbot, group: str, fingerprint: str, severity: str) -> int:
    reply = opsbot.post_alerts(notification(group, [alert(fingerprint, severity=severity)]))
    assert reply.status_code == 200, reply.text
    [incident_id] = reply.json()["incidents"]
    return int(incident_id)


def _observed(opsbot: Opsbot, name: str, **labels: str) -> Samples:
    """Wait for ``name{labels}`` to appear; returns the scrape that has it."""

    def check() -> Samples | None:
        samples = scrape(opsbot)
        return samples if value(samples, name, **labels) is not None else None

    found: Samples = wait_until(check, timeout=15, what=f"{name} {labels}")
    return found


def test_incidents_open_by_severity_and_webhook_latency(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(POLICY)
    before = scrape(opsbot)
    assert {s: value(before, "opsbot_incidents_open", severity=s) for s in Severity} == {
        Severity.S1: 0,
        Severity.S2: 0,
        Severity.S3: 0,
    }
    _open_from_alert(opsbot, "A", "fa01", "critical")
    _open_from_alert(opsbot, "B", "fb01", "critical")
    _open_from_alert(opsbot, "C", "fc01", "warning")
    after = scrape(opsbot)
    assert value(after, "opsbot_incidents_open", severity="S1") == 2
    assert value(after, "opsbot_incidents_open", severity="S2") == 1
    assert value(after, "opsbot_incidents_open", severity="S3") == 0
    count = "opsbot_webhook_duration_seconds_count"
    assert value(after, count, source="alertmanager") == 3
    assert (value(after, "opsbot_timers_armed") or 0) >= 3  # ack deadlines, at least
    assert value(after, "opsbot_timers_max_overdue_seconds") is not None
    routes = {
        dict(labels)["route"]
        for (name, labels), _ in after.items()
        if name == "opsbot_http_requests_total"
    }
    assert "/webhooks/alertmanager" in routes


def test_mtta_and_mttr_observed_by_severity(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(POLICY)
    incident = _open_from_alert(opsbot, "A", "fa01", "critical")
    assert opsbot.driver.command(f"ack {incident}").status_code == 200
    mid = _observed(opsbot, "opsbot_mtta_seconds_count", severity="S1")
    assert value(mid, "opsbot_mtta_seconds_count", severity="S1") == 1
    assert value(mid, "opsbot_mttr_seconds_count", severity="S1") is None
    assert value(mid, "opsbot_incidents_open", severity="S1") == 1
    assert opsbot.driver.command(f"resolve {incident} fixed").status_code == 200
    end = _observed(opsbot, "opsbot_mttr_seconds_count", severity="S1")
    assert value(end, "opsbot_mtta_seconds_count", severity="S1") == 1
    assert value(end, "opsbot_mttr_seconds_count", severity="S1") == 1
    mttr = value(end, "opsbot_mttr_seconds_sum", severity="S1")
    assert mttr is not None and 0 <= mttr < 60
    assert value(end, "opsbot_mttr_seconds_bucket", severity="S1", le="+Inf") == 1
    assert value(end, "opsbot_incidents_open", severity="S1") == 0
    # A refused action (acking a resolved incident) observes nothing.
    assert opsbot.driver.command(f"ack {incident}").status_code == 200
    wait_until(
        lambda: any(
            "reopen it first" in (m.text or "") for m in opsbot.slack.state.messages("C0INCIDENTS")
        ),
        what="the refusal",
    )
    assert value(scrape(opsbot), "opsbot_mtta_seconds_count", severity="S1") == 1


def test_slack_api_errors_by_method_and_code(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(POLICY)
    opsbot.slack.state.add_fault(Fault(method="conversations.create", error="restricted_action"))
    _open_from_alert(opsbot, "A", "fa01", "critical")
    name = "opsbot_slack_api_errors_total"

    def counted() -> float | None:
        found = value(
            scrape(opsbot), name, method="conversations.create", error="restricted_action"
        )
        return found if found and found >= 1 else None

    wait_until(counted, timeout=15, what="the refused conversations.create counted")


@pytest.fixture
def n8n() -> Iterator[SandboxN8n]:
    with SandboxN8n(N8nState(api_key=DEFAULT_API_KEY)) as sandbox:
        yield sandbox


def test_runs_latency_by_kind(opsbot_factory: OpsbotFactory, n8n: SandboxN8n) -> None:
    workflow = n8n.state.add_workflow("invoices", ["Webhook", "Post"], active=True)
    n8n.state.success(workflow, ago=60, duration=1.0)
    opsbot = opsbot_factory(POLICY, n8n_url=n8n.url, n8n_api_key=DEFAULT_API_KEY)
    assert opsbot.driver.command("", command="/runs").status_code == 200
    assert opsbot.driver.command("kpi", command="/runs").status_code == 200

    def observed() -> bool:
        samples = scrape(opsbot)
        return all(
            value(samples, "opsbot_runs_seconds_count", kind=kind) == 1
            for kind in ("overview", "kpi")
        )

    wait_until(observed, timeout=15, what="/runs latency observed")


def test_timer_figures_see_timers_past_due(db: Database) -> None:
    now = utcnow()
    for severity in (Severity.S1, Severity.S2):
        lifecycle.declare(
            db=db,
            policy=Policy(),
            title="x",
            severity=severity,
            service="api",
            client=None,
            actor=Actor(user_id="U0ALICE", surface="slash"),
            now=now,
            slack=False,
        )
    assert incidents_open(db=db) == {"S1": 1.0, "S2": 1.0, "S3": 0.0}
    fresh = timer_figures(db=db, clock=lambda: now)
    assert fresh["armed"] >= 2 and fresh["overdue"] == 0 and fresh["max_overdue_seconds"] == 0
    # No runner ticks here: an hour later the S1 ack deadline (5m) is 55 minutes overdue.
    later = timer_figures(db=db, clock=lambda: now + timedelta(hours=1))
    assert later["overdue"] >= 2
    assert later["max_overdue_seconds"] == pytest.approx(55 * 60, abs=1)
