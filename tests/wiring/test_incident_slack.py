"""From an Alertmanager webhook to what people see in Slack (sandbox), via the outbox worker."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
from sqlmodel import select

from bot.policy import Policy
from bot.sandbox.slack import Fault, render_transcript
from storage.tables import OutboxRow
from tests.alerts import alert, notification
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

POLICY = {
    "slack": {"incidents_channel": "C0INCIDENTS", "alerts_channel": "C0ALERTS"},
    "services": {"checkout-api": {"oncall": ["U0BOB", "S0ONCALL"], "playbook": "playbooks/api.md"}},
}


def _pending(opsbot: Opsbot) -> list[OutboxRow]:
    with opsbot.db.session() as session:
        return list(session.exec(select(OutboxRow).where(OutboxRow.status != "done")).all())


def _start(opsbot_factory: OpsbotFactory, **policy: Any) -> Opsbot:
    opsbot = opsbot_factory(Policy.model_validate(POLICY | policy))
    opsbot.slack.state.add_usergroup("S0ONCALL", "oncall", ["U0CAROL"])
    return opsbot


def _channel(opsbot: Opsbot, incident_id: int) -> str:
    return str(
        wait_until(
            lambda: opsbot.api(f"/incidents/{incident_id}")["slack_channel_id"], what="channel"
        )
    )


def test_opening_an_incident_in_slack(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(opsbot_factory)
    reply = opsbot.post_alerts(
        notification("ApiDown", [alert("f1", summary="Checkout API is down <!channel>")])
    )
    incident_id = reply.json()["incidents"][0]
    channel_id = _channel(opsbot, incident_id)
    wait_until(lambda: not _pending(opsbot), what="outbox drained")
    state = opsbot.slack.state
    channel = state.channel(channel_id)
    assert channel is not None
    assert channel.name.startswith("inc-20") and channel.name.endswith(
        "-checkout-api-is-down-channel"
    )
    assert "S1" in channel.topic and "checkout-api" in channel.topic
    assert {"U0BOB", "U0CAROL"} <= set(channel.members)
    card, alerts_list = state.messages(channel_id)[:2]
    assert card.pinned
    card_text = str(card.blocks)
    for action in ("incident_ack", "incident_update", "incident_escalate", "incident_resolve"):
        assert action in card_text
    assert "<!date^" in card_text
    assert "<!channel>" not in card_text  # alert text cannot mention everyone
    assert "Checkout API is down" in str(alerts_list.blocks)
    assert "runbooks.example.com" in str(alerts_list.blocks)
    announcement = state.messages("C0INCIDENTS")[-1]
    assert f"<#{channel_id}>" in str(announcement.blocks)
    transcript = render_transcript(state)
    assert f"created #{channel.name}" in transcript


def _churn(opsbot: Opsbot, alerts: int) -> tuple[str, int]:
    """Open an incident, then add one alert per delivery; (channel, posts after opening)."""
    incident_id = opsbot.post_alerts(notification("G", [alert("f1")])).json()["incidents"][0]
    channel_id = _channel(opsbot, incident_id)
    wait_until(lambda: not _pending(opsbot), what="opened")
    posts_before = len(opsbot.slack.state.messages(channel_id))
    firing = [alert("f1")]
    for i in range(2, alerts + 1):
        firing.append(alert(f"f{i}"))
        opsbot.post_alerts(notification("G", firing))
    return channel_id, posts_before


def test_alert_list_is_edited_in_place(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(opsbot_factory, slack=POLICY["slack"] | {"alerts_refresh_every": "1s"})
    channel_id, posts_before = _churn(opsbot, 29)
    wait_until(lambda: not _pending(opsbot), what="updates")
    messages = opsbot.slack.state.messages(channel_id)
    assert len(messages) == posts_before
    assert "29 alerts" in str(messages[1].blocks)
    updates = len(opsbot.slack.state.calls("chat.update"))
    assert 1 <= updates <= 2 * 28  # coalesced: at most card + list per delivery, usually far fewer


def test_alert_churn_edits_at_most_once_per_refresh_interval(
    opsbot_factory: OpsbotFactory,
) -> None:
    """Alerts arriving non-stop: one edit of card and list after the interval, not one per
    delivery (Slack's chat.update allowance is about 50 a minute per workspace)."""
    opsbot = _start(opsbot_factory, slack=POLICY["slack"] | {"alerts_refresh_every": "4s"})
    started = time.monotonic()
    channel_id, _ = _churn(opsbot, 20)
    wait_until(lambda: not _pending(opsbot), timeout=20, what="the one edit")
    assert "20 alerts" in str(opsbot.slack.state.messages(channel_id)[1].blocks)
    assert time.monotonic() - started >= 4.0  # not before the interval after the opening
    assert len(opsbot.slack.state.calls("chat.update")) == 2  # card and list, once


def test_name_taken_gets_a_suffix(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(opsbot_factory)
    first = opsbot.post_alerts(notification("A", [alert("f1", summary="DB down")])).json()
    second = opsbot.post_alerts(notification("B", [alert("f2", summary="DB down")])).json()
    names = {
        opsbot.slack.state.channel(_channel(opsbot, r["incidents"][0])).name  # type: ignore[union-attr]
        for r in (first, second)
    }
    assert len(names) == 2
    assert any(name.endswith("-db-down-2") for name in names)


def test_rate_limits_delay_but_never_drop(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(opsbot_factory)
    opsbot.slack.state.add_fault(Fault(method="chat.postMessage", kind="ratelimited", every=2))
    opsbot.slack.state.add_fault(
        Fault(method="conversations.create", kind="ratelimited", retry_after=1, times=1)
    )
    incident_id = opsbot.post_alerts(notification("R", [alert("f1")])).json()["incidents"][0]
    channel_id = _channel(opsbot, incident_id)
    wait_until(lambda: not _pending(opsbot), timeout=30, what="delivered through 429s")
    assert len(opsbot.slack.state.messages(channel_id)) == 3  # card, alerts, checklist
    assert len(opsbot.slack.state.messages("C0INCIDENTS")) == 1
    errors = [c for c in opsbot.slack.state.calls() if c.error == "ratelimited"]
    assert errors


def test_slack_outage_is_retried_until_it_recovers(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(opsbot_factory)
    opsbot.slack.state.add_fault(
        Fault(method="conversations.create", kind="error", error="internal_error", times=2)
    )
    incident_id = opsbot.post_alerts(notification("O", [alert("f1")])).json()["incidents"][0]
    assert opsbot.api(f"/incidents/{incident_id}")["status"] == "open"
    _channel(opsbot, incident_id)
    wait_until(lambda: not _pending(opsbot), timeout=30, what="recovered")
    with opsbot.db.session() as session:
        row = session.exec(select(OutboxRow)).first()
        assert row is not None and row.attempts == 3


def test_storm_digest_and_below_threshold_notice(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(
        opsbot_factory,
        alerting={"max_new_incidents_per_minute": 2, "min_incident_severity": "S2"},
    )
    for i in range(6):
        opsbot.post_alerts(notification(f"storm{i}", [alert(f"s{i}", summary=f"node {i} down")]))
    opsbot.post_alerts(notification("quiet", [alert("q1", severity="info", summary="disk 70%")]))
    held = _pending(opsbot)
    digest = [row for row in held if row.kind == "slack.storm_digest"]
    assert len(digest) == 1
    with opsbot.db.session() as session:
        row = session.get(OutboxRow, digest[0].id)
        assert row is not None
        row.next_attempt_at = row.created_at
        session.add(row)
    wait_until(lambda: not _pending(opsbot), timeout=15, what="digest")
    posted = [str(m.blocks) for m in opsbot.slack.state.messages("C0ALERTS")]
    assert any("4 alert groups" in text for text in posted), posted
    assert any("disk 70%" in text for text in posted)
    assert len(opsbot.api("/incidents")["incidents"]) == 2


def test_a_storm_of_webhooks_does_not_flood_slack(opsbot_factory: OpsbotFactory) -> None:
    opsbot = _start(opsbot_factory, alerting={"max_new_incidents_per_minute": 5})
    token = opsbot.secret("alertmanager_token")
    alerts: dict[int, list[dict[str, Any]]] = {g: [] for g in range(30)}
    with httpx.Client(timeout=30) as client:
        for round_ in range(10):
            for group in range(30):
                alerts[group].append(alert(f"g{group:02d}a{round_:02d}"))
                reply = client.post(
                    opsbot.url + "/webhooks/alertmanager?wait=true",
                    json=notification(f"storm{group}", alerts[group]),
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert reply.status_code == 200
    assert len(opsbot.api("/incidents")["incidents"]) == 5
    with opsbot.db.session() as session:  # the digest gathers for 10 s; make it due now
        for row in session.exec(select(OutboxRow).where(OutboxRow.kind == "slack.storm_digest")):
            row.next_attempt_at = row.created_at
            session.add(row)
    wait_until(lambda: not _pending(opsbot), timeout=30, what="outbox drained")
    calls: dict[str, int] = {}
    for call in opsbot.slack.state.calls():
        if call.ok:
            calls[call.method] = calls.get(call.method, 0) + 1
    assert calls["conversations.create"] == 5  # (the same titles also meet name_taken)
    digests = opsbot.slack.state.messages("C0ALERTS")
    # one digest per ~10 s window of the storm (a slow run spans two windows)
    assert 1 <= len(digests) <= 3
    assert calls["chat.postMessage"] == 5 * 4 + len(
        digests
    )  # card, alerts, checklist, announcement
    assert calls.get("chat.update", 0) <= 2 * 5 * 10  # at most card + list per delivery
    held = sum(int(re.search(r"(\d+) alert groups", m.text).group(1)) for m in digests)  # type: ignore[union-attr]
    assert held >= 25
    for incident in opsbot.api("/incidents")["incidents"]:
        assert len(opsbot.api(f"/incidents/{incident['id']}")["alerts"]) == 10
