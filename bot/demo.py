"""``opsbot demo``: a scripted scenario through opsbot's real HTTP surface against a sandbox Slack.

Everything runs on loopback in this process (SQLite in a temporary folder) and is stopped
before the transcript is returned, so nothing is left running.
"""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from bot.app import create_app
from bot.demo_scenario import ALERT_TOKEN, DEMO_POLICY, SCENARIO, Step
from bot.policy import Policy
from bot.sandbox.slack import SandboxSlack, SlackDriver, render_transcript
from bot.server import ThreadedServer
from bot.settings import Settings
from storage import Database, upgrade

__all__ = ["DemoSettings", "run_demo"]


class DemoSettings(Settings):
    """Settings that ignore the caller's environment, so the demo never touches real systems."""

    model_config = SettingsConfigDict(env_prefix="OPSBOT_DEMO_IGNORED_", env_file=None, frozen=True)


def run_demo() -> str:
    """Play the scenario and return the transcript a person would have seen in Slack."""
    signing_secret = secrets.token_hex(16)
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="opsbot-demo-") as tmp, SandboxSlack() as slack:
        slack.state.add_usergroup("S0LEADS", "incident-leads", ["U0ALICE", "U0CAROL"])
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
