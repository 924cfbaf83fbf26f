"""Jira and Notion sync through the outbox, against the sandbox Jira and Notion."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot.policy import Policy
from bot.sandbox.jira import JiraFault, SandboxJira
from bot.sandbox.notion import NotionFault, SandboxNotion
from bot.sandbox.slack import SandboxSlack
from storage import Database
from storage.tables import OutboxRow
from tests.alerts import alert, notification
from tests.conftest import Opsbot, OpsbotFactory, sync_settings
from tests.processes import serve_processes
from tests.waiting import wait_until

FAST_RETRY: dict[str, Any] = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "outbox": {"retry_base": 0.1, "retry_cap": 0.5, "max_attempts": 30},
    "services": {"checkout-api": {"jira_component": "API"}},
    "roles": {"admin": ["U0ALICE"]},
}


def _start(
    factory: OpsbotFactory,
    jira: SandboxJira,
    notion: SandboxNotion,
    policy: dict[str, Any] | None = None,
) -> Opsbot:
    merged = FAST_RETRY | (policy or {})
    return factory(Policy.model_validate(merged), **sync_settings(jira, notion))


def _drained(opsbot: Opsbot) -> bool:
    with opsbot.db.session() as session:
        return not session.exec(select(OutboxRow).where(OutboxRow.status == "pending")).all()


def _declare(opsbot: Opsbot) -> int:
    opsbot.driver.command('declare "Checkout failing" --sev S1 --service checkout-api')
    incidents = wait_until(lambda: opsbot.api("/incidents")["incidents"], what="incident")
    return int(incidents[0]["id"])


def _run(opsbot: Opsbot, number: int, *commands: str) -> None:
    for text in commands:
        before = len(opsbot.api(f"/incidents/{number}")["timeline"])
        opsbot.driver.command(f"{text.split()[0]} {number} {' '.join(text.split()[1:])}".strip())
        wait_until(
            lambda b=before: len(opsbot.api(f"/incidents/{number}")["timeline"]) > b,  # type: ignore[misc]
            what=text,
        )


def _notion_props(notion: SandboxNotion) -> dict[str, Any]:
    [page] = notion.state.pages()
    return dict(page["properties"])


def test_an_incidents_life_in_jira_and_notion(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    opsbot = _start(opsbot_factory, jira, notion)
    number = _declare(opsbot)
    _run(
        opsbot,
        number,
        "ack",
        "update DB failover started",
        "resolve failover done",
        "close --waive drill",
    )
    wait_until(lambda: _drained(opsbot), timeout=20, what="outbox drained")
    [issue] = jira.state.issues()
    assert issue.key == "OPS-1"
    assert issue.priority == "Highest"
    assert set(issue.labels) == {"opsbot", f"opsbot-incident-{number}"}
    assert issue.components == ["API"]
    assert issue.summary == f"[S1] #{number} Checkout failing"
    assert issue.status == "Closed"
    channel = opsbot.api(f"/incidents/{number}")["slack_channel_id"]
    card = opsbot.slack.state.messages(channel)[0]
    assert "Jira OPS-1" in str(card.blocks) and "Notion page" in str(card.blocks)
    comments = [c.body for c in jira.state.comments("OPS-1")]
    assert [c.split(" by ")[0] for c in comments] == ["update", "resolve", "close"]
    assert "DB failover started" in comments[0]
    incident = opsbot.api(f"/incidents/{number}")
    assert incident["jira_key"] == "OPS-1"
    assert incident["notion_url"]
    props = _notion_props(notion)
    assert props["Status"]["select"]["name"] == "closed"
    assert props["Severity"]["select"]["name"] == "S1"
    assert props["MTTA (min)"]["number"] is not None
    assert props["Jira"]["url"].endswith("/browse/OPS-1")
    assert len(notion.state.pages()) == 1


def test_outages_delay_but_deliver_everything_once_in_order(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    opsbot = _start(opsbot_factory, jira, notion)
    jira.state.add_fault(JiraFault(path_prefix="/rest/api/2/", kind="error", status=503, times=8))
    notion.state.add_fault(
        NotionFault(path_prefix="/v1/", kind="rate_limited", retry_after=0, times=5)
    )
    number = _declare(opsbot)
    _run(opsbot, number, "ack", "update one", "update two", "update three", "resolve done")
    slack_done = wait_until(
        lambda: opsbot.slack.state.messages(
            opsbot.api(f"/incidents/{number}")["slack_channel_id"] or "none"
        ),
        what="Slack is not held up by Jira",
    )
    assert slack_done
    wait_until(lambda: _drained(opsbot), timeout=30, what="outbox drained after the outage")
    assert len(jira.state.issues()) == 1
    bodies = [c.body.split("\n")[0] for c in jira.state.comments("OPS-1")]
    assert [b.split(": ", 1)[1] for b in bodies] == ["one", "two", "three", "Resolved: done"]
    assert jira.state.issue("OPS-1").status == "Resolved"  # type: ignore[union-attr]
    assert len(notion.state.pages()) == 1
    assert _notion_props(notion)["Status"]["select"]["name"] == "resolved"
    errors = [c for c in jira.state.calls() if c.status == 503]
    assert len(errors) == 8


def test_a_timeout_after_jira_created_the_issue_makes_no_duplicate(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    opsbot = _start(opsbot_factory, jira, notion, {"jira": {"timeout": "1s"}})
    jira.state.add_fault(
        JiraFault(
            path_prefix="/rest/api/2/issue$",
            method="POST",
            kind="timeout_after_commit",
            delay=2.5,
            times=1,
        )
    )
    notion.state.add_fault(
        NotionFault(
            path_prefix="/v1/pages", method="POST", kind="timeout_after_commit", delay=2.5, times=1
        )
    )
    number = _declare(opsbot)
    wait_until(lambda: _drained(opsbot), timeout=30, what="delivered after the timeout")
    assert len(jira.state.issues()) == 1
    assert len(notion.state.pages()) == 1
    assert opsbot.api(f"/incidents/{number}")["jira_key"] == "OPS-1"
    with opsbot.db.session() as session:
        opened = session.exec(select(OutboxRow).where(OutboxRow.kind == "jira.open")).one()
        assert opened.attempts >= 2


def test_nothing_is_lost_across_a_restart(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    first = _start(opsbot_factory, jira, notion)
    jira.state.add_fault(JiraFault(path_prefix="/rest/api/2/", kind="error", status=503))
    number = _declare(first)
    _run(first, number, "update still broken")
    first.server.stop()  # opsbot goes down with Jira effects pending
    jira.state.clear_faults()
    second = _start(opsbot_factory, jira, notion)
    wait_until(lambda: _drained(second), timeout=30, what="delivered by the new process")
    assert len(jira.state.issues()) == 1
    assert len(jira.state.comments("OPS-1")) == 1


def test_a_refused_effect_is_dead_lettered_told_and_redriven(
    opsbot_factory: OpsbotFactory, jira: SandboxJira, notion: SandboxNotion
) -> None:
    jira.state.require_field("customfield_10050", name="Customer")
    opsbot = _start(opsbot_factory, jira, notion)
    number = _declare(opsbot)
    wait_until(
        lambda: any("gave up" in m.text for m in opsbot.slack.state.messages("C0INCIDENTS")),
        timeout=20,
        what="the dead letter told in Slack",
    )
    opsbot.driver.command(f"sync {number}")
    status = wait_until(
        lambda: next(
            (m.text for m in opsbot.slack.state.messages("C0INCIDENTS") if "Sync of #" in m.text),
            None,
        ),
        what="/incident sync answer",
    )
    assert "jira" in status and "dead" in status
    assert jira.state.issues() == []


@pytest.mark.postgres
def test_two_processes_drain_one_outbox_without_doubling(
    pg_db: Database,
    slack: SandboxSlack,
    jira: SandboxJira,
    notion: SandboxNotion,
    tmp_path: Path,
) -> None:
    token = secrets.token_urlsafe(16)
    env = {
        "DATABASE_URL": pg_db.url,
        "ALERTMANAGER_TOKEN": token,
        "SLACK_BOT_TOKEN": slack.state.bot_token,
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "WARNING",
    } | {k.upper(): str(v) for k, v in sync_settings(jira, notion).items()}
    policy = (
        "alerting: {max_new_incidents_per_minute: 1000}\n"
        "outbox: {retry_base: 0.1, retry_cap: 0.5}\n"
    )
    jira.state.add_fault(
        JiraFault(
            path_prefix="/rest/api/2/issue$", method="POST", kind="error", status=503, every=3
        )
    )
    with serve_processes(2, env=env, policy=policy, tmp_path=tmp_path) as urls:
        for i in range(12):
            body = notification(f"P{i}", [alert(f"p{i:03d}", severity="warning")])
            reply = httpx.post(
                urls[i % 2] + "/webhooks/alertmanager?wait=true",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            assert reply.status_code == 200

        def drained() -> bool:
            with pg_db.session() as session:
                rows = session.exec(select(OutboxRow)).all()
                return bool(rows) and all(row.status == "done" for row in rows)

        wait_until(drained, timeout=40, what="both processes drained the outbox")
    assert len(jira.state.issues()) == 12
    assert len({i.summary for i in jira.state.issues()}) == 12
    assert len(notion.state.pages()) == 12
    assert len([c for c in slack.state.calls("conversations.create") if c.ok]) == 12
