"""``opsbot demo``: a scripted scenario through opsbot's real HTTP surface against a sandbox Slack.

Everything runs on loopback in this process (SQLite in a temporary folder) and is stopped
before the transcript is returned, so nothing is left running.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic_settings import SettingsConfigDict

from bot.app import create_app
from bot.policy import Policy
from bot.sandbox.slack import SandboxSlack, SlackDriver, render_transcript
from bot.server import ThreadedServer
from bot.settings import Settings
from storage import Database, upgrade

__all__ = ["DemoSettings", "run_demo"]


class DemoSettings(Settings):
    """Settings that ignore the caller's environment, so the demo never touches real systems."""

    model_config = SettingsConfigDict(env_prefix="OPSBOT_DEMO_IGNORED_", env_file=None, frozen=True)


@dataclass(frozen=True)
class Step:
    """One thing a person does in Slack."""

    caption: str
    act: Callable[[SlackDriver], object]


DEMO_POLICY = {
    "slack": {"incidents_channel": "C0INCIDENTS", "alerts_channel": "C0ALERTS"},
    "services": {
        "checkout-api": {"oncall": ["U0BOB"], "client": "acme", "playbook": "playbooks/api.md"}
    },
}
ALERT_TOKEN = secrets.token_urlsafe(16)


def _alert_fires(driver: SlackDriver) -> object:
    """What Alertmanager 0.25 posts when Prometheus' rule for the checkout API fires."""
    body = {
        "receiver": "opsbot",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": {
                    "alertname": "CheckoutErrorRate",
                    "service": "checkout-api",
                    "severity": "critical",
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
        ],
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
    reply.raise_for_status()
    _wait(lambda: bool(driver.sandbox.state.messages("C0INCIDENTS")))
    return reply


def _wait(check: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("the demo timed out waiting for opsbot")
        time.sleep(0.05)


SCENARIO: tuple[Step, ...] = (
    Step("Prometheus fires CheckoutErrorRate; Alertmanager posts it to opsbot", _alert_fires),
    Step("@alice types `/incident help` in #incidents", lambda d: d.command("help")),
    Step(
        "@bob mistypes `/incident hlep` in #incidents",
        lambda d: d.command("hlep", user_id="U0BOB"),
    ),
    Step(
        "@carol types `/runs help` in #alerts",
        lambda d: d.command("help", command="/runs", user_id="U0CAROL", channel_id="C0ALERTS"),
    ),
)


def run_demo() -> str:
    """Play the scenario and return the transcript a person would have seen in Slack."""
    signing_secret = secrets.token_hex(16)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="opsbot-demo-") as tmp, SandboxSlack() as slack:
        settings = DemoSettings(
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            slack_bot_token=slack.state.bot_token,
            slack_signing_secret=signing_secret,
            slack_api_url=slack.api_url,
            alertmanager_token=ALERT_TOKEN,
            opsbot_env="development",
        )
        db = Database(settings.database_url)
        upgrade(db.engine)
        policy = Policy.model_validate(DEMO_POLICY)
        with ThreadedServer(create_app(settings, policy, db=db)) as server:
            with SlackDriver(server.url + "/slack/events", signing_secret, slack) as driver:
                lines += _header(slack, server)
                for step in SCENARIO:
                    lines += _play(step, driver, slack)
            calls = slack.state.count_by_method()
        db.dispose()
    lines.append("")
    lines.append(
        "Slack Web API calls: " + (", ".join(f"{m} x{n}" for m, n in calls.items()) or "none")
    )
    return "\n".join(lines)


def _header(slack: SandboxSlack, server: ThreadedServer) -> list[str]:
    return [
        "opsbot demo",
        f"  sandbox Slack: {slack.base_url}   opsbot: {server.url}   database: SQLite (temporary)",
        "",
    ]


def _play(step: Step, driver: SlackDriver, slack: SandboxSlack) -> list[str]:
    mark = _mark(slack)
    step.act(driver)
    shown = render_transcript(slack.state, since_seq=mark).rstrip()
    return [f"> {step.caption}", *("  " + line for line in shown.splitlines()), ""]


def _mark(slack: SandboxSlack) -> int:
    return slack.state.last_seq
