"""Severity timers in the running app: escalations reach Slack once each, through rate limits."""

from __future__ import annotations

import time
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bot.policy import Policy
from bot.sandbox.slack import Fault
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

FAST = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "escalation_target": ["S0LEADS"],
    "severities": {
        "S1": {
            "ack_within": "1s",
            "update_every": "1h",
            "escalate_every": "1s",
            "escalate_max": 2,
            "rca_due": "2d",
        }
    },
}


def _escalations(opsbot: Opsbot, channel: str) -> list[Any]:
    return [m for m in opsbot.slack.state.messages(channel) if "needs you" in (m.text or "")]


def _declare(opsbot: Opsbot) -> int:
    opsbot.driver.command('declare "Payments failing" --sev S1')
    incidents = wait_until(lambda: opsbot.api("/incidents")["incidents"], what="incident")
    return int(incidents[0]["id"])


def test_missed_ack_escalates_on_schedule_then_stops(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(FAST))
    opsbot.slack.state.add_usergroup("S0LEADS", "leads", ["U0CAROL"])
    opsbot.slack.state.add_fault(Fault(method="chat.postMessage", kind="ratelimited", every=3))
    number = _declare(opsbot)
    channel = wait_until(lambda: opsbot.api(f"/incidents/{number}")["slack_channel_id"])
    wait_until(
        lambda: len(_escalations(opsbot, "C0INCIDENTS")) >= 2, timeout=15, what="2 escalations"
    )
    time.sleep(2.5)  # the maximum is 2: nothing more may come
    assert len(_escalations(opsbot, "C0INCIDENTS")) == 2
    assert len(_escalations(opsbot, channel)) == 2
    dms = [
        m
        for m in opsbot.slack.state.all_messages()
        if m.channel.startswith("D") and "needs you" in (m.text or "")
    ]
    assert len(dms) == 2  # the commander (the declarer) is told directly
    assert "<!subteam^S0LEADS>" in _escalations(opsbot, "C0INCIDENTS")[0].text
    timeline = [e["kind"] for e in opsbot.api(f"/incidents/{number}")["timeline"]]
    assert timeline.count("timer.ack") == 2
    metrics = httpx.get(opsbot.url + "/metrics").text
    lag = {f.name: f for f in text_string_to_metric_families(metrics)}["opsbot_timer_lag_seconds"]
    counts = [
        s.value for s in lag.samples if s.name.endswith("_count") and s.labels["kind"] == "ack"
    ]
    assert counts == [2.0]
    assert [s for s in opsbot.slack.state.calls() if s.error == "ratelimited"]


def test_ack_in_time_means_no_escalation(opsbot_factory: OpsbotFactory) -> None:
    slow = FAST | {"severities": {"S1": FAST["severities"]["S1"] | {"ack_within": "3s"}}}
    opsbot = opsbot_factory(Policy.model_validate(slow))
    number = _declare(opsbot)
    opsbot.driver.command(f"ack {number}")
    wait_until(lambda: opsbot.api(f"/incidents/{number}")["status"] == "acknowledged")
    time.sleep(4)
    assert _escalations(opsbot, "C0INCIDENTS") == []
