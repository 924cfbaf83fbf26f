"""The forms: commands without their text open modals; modal errors; remaining buttons."""

from __future__ import annotations

from typing import Any

from bot.policy import Policy
from bot.sandbox.slack import SandboxSlack
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

POLICY: dict[str, Any] = {"slack": {"incidents_channel": "C0INCIDENTS"}}


def _text(block: str, value: str | None) -> dict[str, Any]:
    return {block: {block: {"type": "plain_text_input", "value": value}}}


def _modal(slack: SandboxSlack, user: str, callback: str) -> Any:
    def find() -> Any:
        views = [v for v in slack.state.open_views(user) if v.callback_id == callback]
        return views[-1] if views else None

    return wait_until(find, what=f"modal {callback}")


def _incident(opsbot: Opsbot) -> dict[str, Any]:
    return dict(wait_until(lambda: opsbot.api("/incidents", status="all")["incidents"])[0])


def test_declare_without_title_opens_a_form(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    opsbot.driver.command("declare")
    modal = _modal(opsbot.slack, "U0ALICE", "incident_declare")
    empty = opsbot.driver.view_submission(modal.id, _text("title", ""), user_id="U0ALICE")
    assert empty.json == {"response_action": "errors", "errors": {"title": "A title is needed."}}
    option = {"text": {"type": "plain_text", "text": "S1"}, "value": "S1"}
    values = _text("title", "Search is down") | _text("service", "search")
    values |= {"severity": {"severity": {"type": "static_select", "selected_option": option}}}
    assert opsbot.driver.view_submission(modal.id, values, user_id="U0ALICE").status_code == 200
    incident = _incident(opsbot)
    assert (incident["title"], incident["severity"], incident["service"]) == (
        "Search is down",
        "S1",
        "search",
    )
    wait_until(
        lambda: any("declared" in m.text for m in opsbot.slack.state.messages("C0INCIDENTS")),
        what="the declarer is told",
    )


def test_update_and_resolve_without_text_open_forms(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    opsbot.driver.command('declare "Queue backlog" --sev S3')
    number = _incident(opsbot)["id"]
    opsbot.driver.command(f"update {number}")
    modal = _modal(opsbot.slack, "U0ALICE", "incident_update")
    opsbot.driver.view_submission(modal.id, _text("text", "draining"), user_id="U0ALICE")
    opsbot.driver.command(f"resolve {number}")
    modal = _modal(opsbot.slack, "U0ALICE", "incident_resolve")
    values = _text("summary", "drained") | _text("impact", "delays of 10 min")
    opsbot.driver.view_submission(modal.id, values, user_id="U0ALICE")
    resolved = wait_until(
        lambda: opsbot.api(f"/incidents/{number}")["status"] == "resolved", what="resolved"
    )
    assert resolved
    timeline = opsbot.api(f"/incidents/{number}")["timeline"]
    assert [(e["kind"], e["text"]) for e in timeline][1:] == [
        ("update", "draining"),
        ("resolve", "Resolved: drained"),
    ]


def test_a_refusal_inside_a_form_is_shown_on_the_form(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    opsbot.driver.command('declare "Cache cold" --sev S3')
    number = _incident(opsbot)["id"]
    opsbot.driver.command(f"resolve {number}")
    modal = _modal(opsbot.slack, "U0ALICE", "incident_resolve")
    opsbot.driver.command(f"resolve {number} fixed meanwhile")
    wait_until(lambda: opsbot.api(f"/incidents/{number}")["status"] == "resolved")
    late = opsbot.driver.view_submission(
        modal.id, _text("summary", "also fixed"), user_id="U0ALICE"
    )
    assert late.json == {
        "response_action": "errors",
        "errors": {"summary": "Cannot resolve: it is already resolved."},
    }


def test_escalate_and_reopen_buttons(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY | {"escalation_target": ["U0CAROL"]}))
    opsbot.driver.command('declare "Login errors" --sev S2')
    number = _incident(opsbot)["id"]
    channel = wait_until(lambda: opsbot.api(f"/incidents/{number}")["slack_channel_id"])
    card = wait_until(lambda: opsbot.slack.state.messages(channel))[0]

    def click(action: str) -> None:
        opsbot.driver.block_action(
            action, value=str(number), user_id="U0BOB", channel_id=channel, message_ts=card.ts
        )

    click("incident_escalate")
    wait_until(
        lambda: any(
            "escalated by <@U0BOB>" in m.text for m in opsbot.slack.state.messages(channel)
        ),
        what="escalation",
    )
    opsbot.driver.command(f"resolve {number} done")
    wait_until(lambda: opsbot.api(f"/incidents/{number}")["status"] == "resolved")
    click("incident_reopen")
    wait_until(lambda: opsbot.api(f"/incidents/{number}")["status"] == "open", what="reopened")
    kinds = [e["kind"] for e in opsbot.api(f"/incidents/{number}")["timeline"]]
    assert kinds == ["opened", "escalate", "resolve", "reopen"]
