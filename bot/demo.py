"""``opsbot demo``: a scripted scenario through opsbot's real HTTP surface against sandbox
Slack, Jira and Notion.

Everything runs on loopback in this process (SQLite in a temporary folder) and is stopped
before the transcript is returned, so nothing is left running.
"""

from __future__ import annotations

import secrets
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from bot.app import create_app
from bot.clock import utcnow
from bot.demo_scenario import ALERT_TOKEN, DEMO_POLICY, SCENARIO, Step, runs_steps
from bot.policy import Policy
from bot.sandbox.jira import Issue, SandboxJira
from bot.sandbox.langgraph import LangGraphError, LangGraphServer
from bot.sandbox.n8n import DEFAULT_API_KEY, SandboxN8n, demo_state
from bot.sandbox.notion import SandboxNotion
from bot.sandbox.slack import SandboxSlack, SlackDriver, render_transcript
from bot.server import ThreadedServer
from bot.settings import Settings
from storage import Database, upgrade
from storage.repositories import outbox

__all__ = ["DemoSettings", "run_demo"]


class DemoSettings(Settings):
    """Settings that ignore the caller's environment, so the demo never touches real systems."""

    model_config = SettingsConfigDict(env_prefix="OPSBOT_DEMO_IGNORED_", env_file=None, frozen=True)


def run_demo() -> str:
    """Play the scenario and return the transcript a person would have seen in Slack."""
    signing_secret = secrets.token_hex(16)
    lines: list[str] = []
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="opsbot-demo-"))
        slack = stack.enter_context(SandboxSlack())
        jira = stack.enter_context(SandboxJira())
        notion = stack.enter_context(SandboxNotion())
        n8n = stack.enter_context(SandboxN8n(demo_state(DEFAULT_API_KEY)))
        langgraph, langgraph_note = _langgraph(stack, Path(tmp))
        slack.state.add_usergroup("S0LEADS", "incident-leads", ["U0ALICE", "U0CAROL"])
        settings = DemoSettings(
            database_url=f"sqlite:///{Path(tmp) / 'demo.db'}",
            slack_bot_token=slack.state.bot_token,
            slack_signing_secret=signing_secret,
            slack_api_url=slack.api_url,
            alertmanager_token=ALERT_TOKEN,
            jira_url=jira.url,
            jira_user=jira.state.user,
            jira_api_token=jira.state.api_token,
            jira_project="OPS",
            notion_token=notion.state.token,
            notion_api_url=notion.url,
            notion_database_id=notion.state.database_id,
            n8n_url=n8n.url,
            n8n_api_key=DEFAULT_API_KEY,
            langgraph_url=langgraph.url if langgraph else None,
            opsbot_env="development",
        )
        db = Database(settings.database_url)
        upgrade(db.engine)
        policy = Policy.model_validate(DEMO_POLICY)
        with ThreadedServer(create_app(settings, policy, db=db)) as server:
            with SlackDriver(server.url + "/slack/events", signing_secret, slack) as driver:
                lines += _header(slack, server)
                for step in (*SCENARIO, *runs_steps(langgraph.url if langgraph else None)):
                    lines += _play(step, driver, slack)
                if langgraph_note:
                    lines += [langgraph_note, ""]
            lines += _tracking(jira, notion, db)
            calls = slack.state.count_by_method()
        db.dispose()
    lines.append("")
    lines.append(
        "Slack Web API calls: " + (", ".join(f"{m} x{n}" for m, n in calls.items()) or "none")
    )
    return "\n".join(lines)


def _langgraph(stack: ExitStack, tmp: Path) -> tuple[LangGraphServer | None, str | None]:
    """The LangGraph dev server for the HITL step, or why it is left out."""
    server = LangGraphServer(tmp / "langgraph")
    server.workdir.mkdir()
    try:
        server.start()
    except LangGraphError as exc:
        first = str(exc).splitlines()[0]
        return None, f"> (LangGraph steps left out: {first})"
    stack.callback(server.stop)
    return server, None


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


def _labelled(issues: list[Issue], prefix: str) -> list[Issue]:
    return [i for i in issues if any(label.startswith(prefix) for label in i.labels)]


def _tracking(
    jira: SandboxJira, notion: SandboxNotion, db: Database, timeout: float = 15.0
) -> list[str]:
    """What the sandbox Jira and Notion hold once opsbot's outbox has delivered."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.session() as session:
            if outbox.stats(session, now=utcnow()).pending == 0:
                break
        time.sleep(0.05)
    lines = ["> Meanwhile opsbot kept Jira and Notion in step (sandbox copies)"]
    for issue in _labelled(jira.state.issues(), "opsbot-incident-"):
        comments = len(jira.state.comments(issue.key))
        lines.append(
            f"  Jira {issue.key} · {issue.status} · {issue.priority} · {issue.summary}"
            f" · {comments} comment(s)"
        )
    for issue in _labelled(jira.state.issues(), "opsbot-action-"):
        linked = [lk.inward_key for lk in jira.state.links_of(issue.key)]
        lines.append(
            f"  Jira {issue.key} · {issue.status} · {issue.summary} · due {issue.duedate}"
            f" · relates to {', '.join(linked) or 'nothing'}"
        )
    for page in notion.state.pages():
        props = page["properties"]
        title = "".join(t["plain_text"] for t in props["Title"]["title"])
        status = (props["Status"].get("select") or {}).get("name")
        mttr = props["MTTR (min)"].get("number")
        shown = "—" if mttr is None else f"{mttr} min"
        blocks = len(notion.state.blocks(page["id"]))
        rca = f" · RCA appended ({blocks} blocks)" if blocks else ""
        lines.append(f"  Notion page “{title}” · status {status} · MTTR {shown}{rca}")
    return [*lines, ""]
