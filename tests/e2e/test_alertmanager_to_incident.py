"""The real chain: a Prometheus rule fires, Alertmanager (bearer auth) calls opsbot, an incident
opens with its Slack channel; the alert clears and the incident shows it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.policy import Policy
from tests.conftest import OpsbotFactory
from tests.waiting import wait_until

from .promstack import Alertmanager, MetricTarget, PromBinaries, Prometheus, example_rule


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    return wait_until(check, timeout=timeout, what=what, interval=0.2)


@pytest.mark.e2e
def test_prometheus_alert_becomes_incident_and_clears(
    binaries: PromBinaries, opsbot_factory: OpsbotFactory, tmp_path: Path
) -> None:
    policy = Policy.model_validate(
        {"slack": {"incidents_channel": "C0INCIDENTS"}, "alerting": {"auto_resolve": []}}
    )
    opsbot = opsbot_factory(policy)
    token = opsbot.secret("alertmanager_token")
    webhook = opsbot.url + "/webhooks/alertmanager"
    with (
        MetricTarget() as target,
        Alertmanager(binaries, tmp_path / "am", webhook, bearer_token=token) as am,
        Prometheus(binaries, tmp_path / "prom", target.url, example_rule(), am.url) as prom,
    ):
        target.set("opsbot_e2e_trigger", 1.0)
        prom.wait_until_wired()
        incidents = _until(lambda: opsbot.api("/incidents")["incidents"], 40, "an incident")
        assert len(incidents) == 1
        incident = incidents[0]
        assert incident["severity"] == "S1"
        assert incident["service"] == "checkout-api"
        assert incident["alerts"][0]["labels"]["alertname"] == "OpsbotE2E"
        _until(
            lambda: opsbot.api(f"/incidents/{incident['id']}")["slack_channel_id"], 20, "channel"
        )
        target.set("opsbot_e2e_trigger", 0.0)

        def cleared() -> dict[str, Any] | None:
            full: dict[str, Any] = opsbot.api(f"/incidents/{incident['id']}")
            return full if full["alerts"][0]["status"] == "resolved" else None

        full = _until(cleared, 40, "the resolved webhook")
    assert full["alerts"][0]["ends_at"] is not None
    assert [e["kind"] for e in full["timeline"]] == ["opened", "cleared"]
    assert len(opsbot.api("/incidents", status="all")["incidents"]) == 1
    announcements = opsbot.slack.state.messages("C0INCIDENTS")
    assert len(announcements) == 1
