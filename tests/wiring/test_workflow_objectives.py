"""A workflow breaking its objective opens an incident through the Alertmanager path (the
workflow is the service), once however often it is checked; recovery clears it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.policy import Policy
from bot.sandbox.n8n import DEFAULT_API_KEY, N8nState, SandboxN8n
from tests.conftest import OpsbotFactory
from tests.waiting import wait_until

POLICY = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "runs": {"check_every": 0.3, "source_timeout": 2},
    "workflow_objectives": {
        "invoices": {"error_rate_above": 0.25, "over": "15m", "severity": "S2"},
    },
    "alerting": {"auto_resolve": ["S2", "S3"]},
}


@pytest.fixture
def n8n() -> Iterator[SandboxN8n]:
    with SandboxN8n(N8nState(api_key=DEFAULT_API_KEY)) as sandbox:
        yield sandbox


def test_an_objective_breach_opens_one_incident_and_recovery_clears_it(
    opsbot_factory: OpsbotFactory, n8n: SandboxN8n
) -> None:
    wf = n8n.state.add_workflow("invoices", ["Webhook", "Fetch"], active=True)
    n8n.state.success(wf, ago=500)
    for ago in (400, 300, 200):
        n8n.state.error(wf, "Fetch", "ERP down", ago=ago)
    opsbot = opsbot_factory(
        Policy.model_validate(POLICY), n8n_url=n8n.url, n8n_api_key=DEFAULT_API_KEY
    )
    [incident] = wait_until(lambda: opsbot.api("/incidents")["incidents"], what="incident")
    assert incident["service"] == "invoices" and incident["severity"] == "S2"
    detail = opsbot.api(f"/incidents/{incident['id']}")
    assert "75% of 4 runs failed in the last 15 min" in str(detail["alerts"])
    wait_until(lambda: len(n8n.state.calls("/api/v1/executions")) > 12, what="more checks")
    assert len(opsbot.api("/incidents", status="all")["incidents"]) == 1
    for ago in (150, 120, 90, 60, 30, 20, 10, 5, 1):
        n8n.state.success(wf, ago=ago)
    wait_until(
        lambda: opsbot.api(f"/incidents/{incident['id']}")["status"] == "resolved",
        timeout=15,
        what="auto-resolved once the objective holds",
    )
