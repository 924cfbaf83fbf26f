"""The incident lifecycle driven from Slack: signed slash commands, buttons and modals."""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.manifest import WEB_API_METHODS
from bot.policy import Policy
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

POLICY: dict[str, Any] = {"slack": {"incidents_channel": "C0INCIDENTS"}}


def _said(opsbot: Opsbot, user: str, channel: str, contains: str, since: int = 0) -> str:
    """Wait for an ephemeral answer (via response_url) to ``user`` containing ``contains``."""

    def found() -> str | None:
        for message in reversed(opsbot.slack.state.messages(channel)):
            if message.seq <= since:
                continue
            if message.visible_to == user and contains in (message.text or ""):
                return message.text
        return None

    return str(wait_until(found, what=f"an answer containing {contains!r}"))


def _ask(
    opsbot: Opsbot,
    text: str,
    *,
    channel: str = "C0INCIDENTS",
    user: str = "U0ALICE",
    expect: str = "",
) -> str:
    """Run a slash command and wait for its ephemeral answer."""
    mark = opsbot.slack.state.last_seq
    reply = opsbot.driver.command(text, channel_id=channel, user_id=user)
    assert reply.status_code == 200
    return _said(opsbot, user, channel, expect, since=mark)


def _declare(
    opsbot: Opsbot, text: str = 'declare "Checkout is down" --sev S1 --service checkout-api'
) -> int:
    reply = opsbot.driver.command(text)
    assert reply.status_code == 200
    answer = _said(opsbot, "U0ALICE", "C0INCIDENTS", "declared")
    return int(answer.split("#")[1].split(" ")[0])


def _channel(opsbot: Opsbot, number: int) -> str:
    return str(
        wait_until(lambda: opsbot.api(f"/incidents/{number}")["slack_channel_id"], what="channel")
    )


def test_declare_to_close_from_slash_commands(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate({**POLICY, "roles": {"admin": ["U0ALICE"]}}))
    number = _declare(opsbot)
    channel = _channel(opsbot, number)
    _ask(opsbot, "ack", channel=channel, user="U0BOB", expect="is acknowledged")
    _ask(opsbot, "update DB failover in progress", channel=channel, user="U0BOB", expect="Done")
    _ask(opsbot, "sev S2 customer impact lower", channel=channel, expect="(S2)")
    _ask(opsbot, "assign comms <@U0CAROL|carol>", channel=channel, expect="Done")
    _ask(opsbot, "note replica lag 40s", channel=channel, expect="Done")
    _ask(opsbot, f"resolve {number} failover complete", expect="is resolved")
    _ask(opsbot, "close", channel=channel, expect="Cannot close: the RCA is not complete")
    _ask(opsbot, "close --waive", channel=channel, expect="A waiver needs a reason")
    _ask(opsbot, "close --waive drill", channel=channel, user="U0BOB", expect="commander role")
    _ask(opsbot, "close --waive replayed drill", channel=channel, expect="is closed")
    incident = opsbot.api(f"/incidents/{number}")
    assert incident["status"] == "closed"
    assert incident["severity"] == "S2"
    kinds = [(e["kind"], e["actor"]) for e in incident["timeline"]]
    assert kinds == [
        ("opened", "U0ALICE"),
        ("ack", "U0BOB"),
        ("update", "U0BOB"),
        ("sev", "U0ALICE"),
        ("assign", "U0ALICE"),
        ("note", "U0ALICE"),
        ("resolve", "U0ALICE"),
        ("close", "U0ALICE"),
    ]
    wait_until(
        lambda: any(
            "failover in progress" in (m.text or "") for m in opsbot.slack.state.messages(channel)
        ),
        what="the update posted in the channel",
    )
    card = opsbot.slack.state.messages(channel)[0]
    wait_until(
        lambda: "Closed" in str(opsbot.slack.state.message(channel, card.ts).blocks),
        what="card edited",
    )
    assert len([m for m in opsbot.slack.state.messages(channel) if m.pinned]) == 1
    called = set(opsbot.slack.state.count_by_method()) - {"response_url"}
    assert called <= set(WEB_API_METHODS)  # so the manifest's scopes cover them


def test_refusals_are_ephemeral_and_change_nothing(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    number = _declare(opsbot)
    _ask(opsbot, f"ack {number}", expect="is acknowledged")
    _ask(opsbot, f"ack {number}", expect="Cannot ack: it is already acknowledged.")
    _ask(opsbot, f"close {number}", expect="Cannot close: resolve it before closing it.")
    _ask(opsbot, f"assign {number} pilot <@U0BOB>", expect="Unknown role `pilot`")
    _ask(opsbot, "ack 99999", expect="There is no incident 99999.")
    _ask(opsbot, "ack", expect="This is not an incident channel")
    incident = opsbot.api(f"/incidents/{number}")
    assert incident["status"] == "acknowledged"
    assert [e["kind"] for e in incident["timeline"]] == ["opened", "ack"]


def test_wrong_input_gets_usage_in_the_ack(opsbot: Opsbot) -> None:
    for text, expected in [
        ("sev", "Which severity?"),
        ("sev S9", "`S9` is not a severity"),
        ("assign commander bob", "`bob` is not a person"),
        ("declare --sev S1", "A title is needed."),
        ("declare x --colour red", "Unknown option `--colour`."),
        ("note", "A note needs text"),
        ("list some", "`/incident list [open|all]`."),
    ]:
        reply = opsbot.driver.command(text)
        assert reply.status_code == 200
        assert reply.json is not None, text
        assert expected in reply.json["text"], (text, reply.json["text"])


def test_status_and_list_and_timeline(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    number = _declare(opsbot, "declare Billing slow --sev S3")
    assert _ask(opsbot, "status", expect="incidents").startswith("1 incidents")
    _ask(opsbot, f"timeline {number}", expect=f"Timeline of #{number}")
    _ask(opsbot, f"status {number}", expect=f"#{number} is open")
    _ask(opsbot, "list all", expect="1 incidents")


def test_buttons_and_modals(opsbot_factory: OpsbotFactory) -> None:
    # Lowering a severity needs a commander: Bob is one (Alice declared, so she is the
    # incident's own commander).
    opsbot = opsbot_factory(Policy.model_validate({**POLICY, "roles": {"commander": ["U0BOB"]}}))
    number = _declare(opsbot)
    channel = _channel(opsbot, number)
    card = wait_until(lambda: opsbot.slack.state.messages(channel), what="card")[0]
    drive = opsbot.driver
    drive.block_action(
        "incident_ack", value=str(number), user_id="U0BOB", channel_id=channel, message_ts=card.ts
    )
    wait_until(lambda: opsbot.api(f"/incidents/{number}")["status"] == "acknowledged", what="ack")
    drive.block_action(
        "incident_update",
        value=str(number),
        user_id="U0BOB",
        channel_id=channel,
        message_ts=card.ts,
    )
    modal = wait_until(lambda: opsbot.slack.state.open_views("U0BOB"), what="update modal")[-1]
    reply = drive.view_submission(
        modal.id,
        {"text": {"text": {"type": "plain_text_input", "value": "Restarted pods"}}},
        user_id="U0BOB",
    )
    assert reply.status_code == 200
    drive.block_action(
        "incident_sev", value=str(number), user_id="U0BOB", channel_id=channel, message_ts=card.ts
    )
    modal = wait_until(
        lambda: [
            v for v in opsbot.slack.state.open_views("U0BOB") if v.callback_id == "incident_sev"
        ],
        what="sev modal",
    )[-1]
    option = {"text": {"type": "plain_text", "text": "S3"}, "value": "S3"}
    drive.view_submission(
        modal.id,
        {
            "severity": {"severity": {"type": "static_select", "selected_option": option}},
            "reason": {"reason": {"type": "plain_text_input", "value": "contained"}},
        },
        user_id="U0BOB",
    )
    drive.block_action(
        "incident_resolve",
        value=str(number),
        user_id="U0BOB",
        channel_id=channel,
        message_ts=card.ts,
    )
    modal = wait_until(
        lambda: [
            v for v in opsbot.slack.state.open_views("U0BOB") if v.callback_id == "incident_resolve"
        ],
        what="resolve modal",
    )[-1]
    drive.view_submission(
        modal.id,
        {
            "summary": {"summary": {"type": "plain_text_input", "value": "Pods restarted"}},
            "impact": {"impact": {"type": "plain_text_input", "value": None}},
        },
        user_id="U0BOB",
    )
    incident = opsbot.api(f"/incidents/{number}")
    assert incident["status"] == "resolved"
    assert incident["severity"] == "S3"
    assert [(e["kind"], e["actor"]) for e in incident["timeline"]][1:] == [
        ("ack", "U0BOB"),
        ("update", "U0BOB"),
        ("sev", "U0BOB"),
        ("resolve", "U0BOB"),
    ]
    drive.block_action(
        "incident_ack", value=str(number), user_id="U0BOB", channel_id=channel, message_ts=card.ts
    )
    _said(opsbot, "U0BOB", channel, "Cannot ack: it is resolved; reopen it first.")


def test_pins_and_marked_messages_join_the_timeline(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY))
    number = _declare(opsbot)
    channel = _channel(opsbot, number)
    opsbot.driver.event(
        {
            "type": "pin_added",
            "user": "U0BOB",
            "channel_id": channel,
            "item": {
                "type": "message",
                "channel": channel,
                "message": {
                    "type": "message",
                    "user": "U0BOB",
                    "text": "root cause: expired cert",
                    "ts": "1.1",
                },
            },
        }
    )
    opsbot.driver.event(  # someone writes in the channel (opsbot does not subscribe to this)
        {
            "type": "message",
            "channel": channel,
            "user": "U0CAROL",
            "text": "customers see 502s",
            "ts": "2.2",
        }
    )
    mark = next(m for m in opsbot.slack.state.messages(channel) if m.text == "customers see 502s")
    opsbot.driver.event(
        {
            "type": "reaction_added",
            "user": "U0CAROL",
            "reaction": "memo",
            "item": {"type": "message", "channel": channel, "ts": mark.ts},
        }
    )
    opsbot.driver.event(
        {
            "type": "reaction_added",
            "user": "U0CAROL",
            "reaction": "tada",
            "item": {"type": "message", "channel": channel, "ts": mark.ts},
        }
    )

    def recorded() -> list[tuple[str, str, str]] | None:
        entries = opsbot.api(f"/incidents/{number}")["timeline"]
        found = [
            (e["kind"], e["actor"], e["text"])
            for e in entries
            if e["kind"] in ("pinned", "reaction")
        ]
        return found if len(found) >= 2 else None

    assert sorted(wait_until(recorded)) == [
        ("pinned", "U0BOB", "root cause: expired cert"),
        ("reaction", "U0CAROL", "customers see 502s"),
    ]
