"""The scripted scenario of ``opsbot demo``: what people and Alertmanager do, step by step.

Each step acts through opsbot's real HTTP surface (a signed Slack request or an Alertmanager
webhook) and waits until what it causes is visible in the sandbox Slack."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from bot.sandbox.slack import SlackDriver
from bot.sandbox.slack._models import Channel, Message

__all__ = ["ALERT_TOKEN", "DEMO_POLICY", "SCENARIO", "Step", "runs_steps"]

ALERT_TOKEN = secrets.token_urlsafe(16)
DEMO_POLICY: dict[str, Any] = {
    "slack": {"incidents_channel": "C0INCIDENTS", "alerts_channel": "C0ALERTS"},
    "services": {
        "checkout-api": {"oncall": ["U0BOB"], "client": "acme", "playbook": "api"},
        "payments": {"escalation_target": ["S0LEADS"]},
    },
    "clients": {
        "acme": {
            "name": "ACME Corp",
            "shared_channel": "C0ACMESHARED",
            "team_ids": ["T0ACME"],
            "services": ["checkout-api"],
        }
    },
    "hitl": {"channel": "C0APPROVALS", "poll_every": 0.3},
    "roles": {"commander": ["S0LEADS"]},  # Alice and Carol lead incidents (a user group)
    # Seconds instead of minutes, so the demo shows a missed deadline in real time.
    "severities": {
        "S1": {
            "ack_within": "2s",
            "update_every": "30m",
            "escalate_every": "1m",
            "escalate_max": 1,
            "rca_due": "2d",
        }
    },
}


@dataclass(frozen=True)
class Step:
    """One thing that happens, and how to see that it did."""

    caption: str
    act: Callable[[SlackDriver], object]


def _wait(check: Callable[[], object], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise RuntimeError("the demo timed out waiting for opsbot")
        time.sleep(0.05)


def _incident_channel(driver: SlackDriver, number: int) -> Channel:
    state = driver.sandbox.state

    def find() -> Channel | None:
        with state.lock:
            channels = list(state.channels.values())
        return next((c for c in channels if c.purpose == f"opsbot incident #{number}"), None)

    channel: Channel = _wait(find)
    _wait(lambda: len(state.messages(channel.id)) >= 2)  # the card and the alert list
    return channel


def _said(driver: SlackDriver, channel: str, text: str) -> Message:
    return _wait(  # type: ignore[no-any-return]
        lambda: next((m for m in driver.sandbox.state.messages(channel) if text in m.text), None)
    )


def _alert_fires(driver: SlackDriver) -> object:
    """What Alertmanager 0.25 posts when Prometheus' rule for the checkout API fires."""
    alert = {
        "status": "firing",
        "labels": {
            "alertname": "CheckoutErrorRate",
            "service": "checkout-api",
            "severity": "warning",
            "instance": "checkout-1",
        },
        "annotations": {
            "summary": "Checkout API error rate above 20%",
            "description": "5xx ratio 0.27 over the last 5m on checkout-1",
            "runbook_url": "https://runbooks.example.com/checkout-errors",
        },
        "startsAt": "2026-11-28T08:38:50Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=checkout_errors",
        "fingerprint": "5879789aeedd0f06",
    }
    body = {
        "receiver": "opsbot",
        "status": "firing",
        "alerts": [alert],
        "groupLabels": {"alertname": "CheckoutErrorRate"},
        "commonLabels": {"alertname": "CheckoutErrorRate", "service": "checkout-api"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com",
        "version": "4",
        "groupKey": '{}:{alertname="CheckoutErrorRate"}',
        "truncatedAlerts": 0,
    }
    base = driver.events_url.removesuffix("/slack/events")
    reply = httpx.post(
        base + "/webhooks/alertmanager",
        json=body,
        headers={"Authorization": f"Bearer {ALERT_TOKEN}"},
        timeout=10,
    )
    if reply.status_code != 202:
        raise RuntimeError(f"the webhook answered {reply.status_code}: {reply.text[:200]}")
    _incident_channel(driver, 1)
    return _said(driver, "C0INCIDENTS", "Checkout API error rate")


def _bob_acks_from_the_card(driver: SlackDriver) -> object:
    channel = _incident_channel(driver, 1)
    card = driver.sandbox.state.messages(channel.id)[0]
    driver.block_action(
        "incident_ack", value="1", user_id="U0BOB", channel_id=channel.id, message_ts=card.ts
    )
    return _wait(lambda: "Acknowledged" in str(driver.sandbox.state.message(channel.id, card.ts)))


def _alice_declares(driver: SlackDriver) -> object:
    driver.command('declare "Payments API timing out" --sev S1 --service payments')
    return _incident_channel(driver, 2)


def _nobody_acks(driver: SlackDriver) -> object:
    return _said(driver, "C0INCIDENTS", "needs you")


def _in_channel(text: str, user: str, expect: str) -> Callable[[SlackDriver], object]:
    def act(driver: SlackDriver) -> object:
        channel = _incident_channel(driver, 2)
        driver.command(text, channel_id=channel.id, user_id=user)
        return _said(driver, channel.id, expect)

    return act


CLIENT_TEXT = (
    "Status: investigating\nImpact: some checkouts fail (reported by jane.doe@acme.com, "
    "order card 4111 1111 1111 1111)\nWhat we are doing: rolling back the last deploy\n"
    "Next update: within the hour"
)


def _carol_drafts_client_update(driver: SlackDriver) -> object:
    channel = _incident_channel(driver, 1)
    card = driver.sandbox.state.messages(channel.id)[0]
    driver.block_action(
        "incident_client_update",
        value="1",
        user_id="U0CAROL",
        channel_id=channel.id,
        message_ts=card.ts,
    )
    state = driver.sandbox.state
    modal = _wait(lambda: [v for v in state.open_views("U0CAROL") if v.callback_id])[-1]
    values = {"text": {"text": {"type": "plain_text_input", "value": CLIENT_TEXT}}}
    driver.view_submission(modal.id, values, user_id="U0CAROL")
    return _said(driver, channel.id, "Client update #1")


def _bob_posts_it(driver: SlackDriver) -> object:
    channel = _incident_channel(driver, 1)
    preview = _said(driver, channel.id, "Client update #1")
    driver.block_action(
        "client_update_post",
        value="1",
        user_id="U0BOB",
        channel_id=channel.id,
        message_ts=preview.ts,
    )
    return _said(driver, "C0ACMESHARED", "Service update")


RCA_ANSWERS: dict[str, dict[str, str]] = {
    "timeline": {"reviewed": "Carol, Bob"},
    "impact": {"duration": "18m", "clients": "none", "users": "~300 payments delayed"},
    "root_cause": {"text": "The 14:02 deploy shrank the HTTP client pool to 4."},
    "contributing": {"text": "No canary; pool size not in the deploy checklist."},
    "five_whys": {"why1": "Timeouts", "why2": "Pool exhausted", "why3": "Config default"},
    "went": {"well": "Rollback in 6 minutes", "badly": "Nobody acked in time"},
}


def _field(block: str, value: str, kind: str = "plain_text_input") -> dict[str, Any]:
    key = {"plain_text_input": "value", "users_select": "selected_user"}.get(kind, "selected_date")
    return {block: {block: {"type": kind, key: value}}}


def _open_form(driver: SlackDriver, action_id: str, value: str, callback: str) -> Any:
    channel = _incident_channel(driver, 2)
    driver.block_action(action_id, value=value, user_id="U0CAROL", channel_id=channel.id)
    state = driver.sandbox.state
    return _wait(lambda: [v for v in state.open_views("U0CAROL") if v.callback_id == callback])[-1]


def _carol_writes_the_rca(driver: SlackDriver) -> object:
    for key, answers in RCA_ANSWERS.items():
        modal = _open_form(driver, f"rca_section:{key}", f"2:{key}", "rca_section")
        values: dict[str, Any] = {}
        for name, text in answers.items():
            values |= _field(name, text)
        driver.view_submission(modal.id, values, user_id="U0CAROL")
    modal = _open_form(driver, "rca_add_action", "2", "rca_action")
    due = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 86400))
    values = (
        _field("text", "Add pool size to the deploy checklist")
        | _field("owner", "U0BOB", "users_select")
        | _field("due", due, "datepicker")
    )
    driver.view_submission(modal.id, values, user_id="U0CAROL")
    return _said(driver, _incident_channel(driver, 2).id, "RCA for incident #2")


SCENARIO: tuple[Step, ...] = (
    Step(
        "Prometheus fires CheckoutErrorRate; Alertmanager posts it to opsbot, which answers 202"
        " once it is stored and opens the incident right after",
        _alert_fires,
    ),
    Step("@bob clicks Acknowledge on the incident card", _bob_acks_from_the_card),
    Step(
        "@carol clicks Draft client update on #1's card and writes to ACME",
        _carol_drafts_client_update,
    ),
    Step("@bob checks the redacted preview and clicks Post to ACME Corp", _bob_posts_it),
    Step(
        '@alice types `/incident declare "Payments API timing out" --sev S1 --service payments`',
        _alice_declares,
    ),
    Step("Nobody acknowledges #2 within its S1 deadline (2 s in this demo)", _nobody_acks),
    Step("@carol types `/incident ack` in #2's channel", _in_channel("ack", "U0CAROL", "Done")),
    Step(
        "@carol types `/incident update Rolled back the 14:02 deploy; latency recovering`",
        _in_channel(
            "update Rolled back the 14:02 deploy; latency recovering", "U0CAROL", "Rolled back"
        ),
    ),
    Step(
        "@carol types `/incident resolve Deploy rolled back, p99 normal for 10 minutes`",
        _in_channel("resolve Deploy rolled back, p99 normal for 10 minutes", "U0CAROL", "Resolved"),
    ),
    Step(
        "@carol writes #2's RCA (six sections and an action item); opsbot posts it as Markdown",
        _carol_writes_the_rca,
    ),
    Step(
        "@carol types `/incident close` in #2's channel",
        _in_channel("close", "U0CAROL", "is closed"),
    ),
    Step(
        "@bob mistypes `/incident hlep` in #incidents", lambda d: d.command("hlep", user_id="U0BOB")
    ),
)


def runs_steps(langgraph_url: str | None) -> tuple[Step, ...]:
    """``/runs`` against the sandbox n8n (and LangGraph, when its dev server could start),
    then a LangGraph run that waits for a human and is approved from Slack."""
    steps = [
        Step("@alice types `/runs`", lambda d: _runs_answer(d, "", "Workflow runs")),
        Step(
            "@alice types `/runs invoice-sync --status error`",
            lambda d: _runs_answer(d, "invoice-sync --status error", "Runs of invoice-sync"),
        ),
    ]
    if langgraph_url is None:
        return tuple(steps)
    steps.append(
        Step(
            "A LangGraph run of `ops` stops at an interrupt; opsbot posts it to #approvals",
            lambda d: _start_gated_run(d, langgraph_url),
        )
    )
    steps.append(Step("@bob clicks Approve", _bob_approves))
    return tuple(steps)


def _runs_answer(driver: SlackDriver, text: str, expect: str) -> Message:
    driver.command(text, command="/runs", user_id="U0ALICE")
    return _said(driver, "C0INCIDENTS", expect)


def _start_gated_run(driver: SlackDriver, url: str) -> Message:
    with httpx.Client(base_url=url, timeout=10, trust_env=False) as client:
        thread = client.post("/threads", json={}).json()["thread_id"]
        client.post(
            f"/threads/{thread}/runs",
            json={"assistant_id": "ops", "input": {"task": "db-7", "need_approval": True}},
        ).raise_for_status()
    return _said(driver, "C0APPROVALS", "Deploy the fix for db-7?")


def _bob_approves(driver: SlackDriver) -> Message:
    request = _said(driver, "C0APPROVALS", "Deploy the fix for db-7?")
    value = next(
        str(e["value"]) for b in request.blocks if b["type"] == "actions" for e in b["elements"]
    )
    driver.block_action(
        "hitl_approve",
        value=value,
        user_id="U0BOB",
        channel_id="C0APPROVALS",
        message_ts=request.ts,
    )
    state = driver.sandbox.state

    def decided() -> Message | None:
        edited = state.message("C0APPROVALS", request.ts)
        return edited if edited is not None and "Approved by" in str(edited.blocks) else None

    found: Message = _wait(decided, timeout=20)
    return found
