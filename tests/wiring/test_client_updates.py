"""Client updates: drafted, redacted, previewed, approved, posted to a Slack Connect channel."""

from __future__ import annotations

from typing import Any

from bot.policy import Policy
from tests.conftest import Opsbot, OpsbotFactory
from tests.waiting import wait_until

DRAFT = (
    "Status: investigating\nImpact: checkout errors for jane.doe@acme.com and card "
    "4111 1111 1111 1111 on host 10.0.3.17\nWhat we are doing: rolling back ORD-123456\n"
    "Next update: 15:00 UTC"
)


def _policy(shared: str = "C0ACMESHARED") -> Policy:
    return Policy.model_validate(
        {
            "slack": {"incidents_channel": "C0INCIDENTS"},
            "clients": {
                "acme": {
                    "name": "ACME Corp",
                    "shared_channel": shared,
                    "team_ids": ["T0ACME"],
                    "services": ["checkout-api"],
                }
            },
            "redaction": {"extra_patterns": [r"ORD-\d{6}"]},
        }
    )


def _incident(opsbot: Opsbot, sev: str) -> tuple[int, str, Any]:
    opsbot.driver.command(f'declare "web-3 pool exhausted" --sev {sev} --service checkout-api')
    number = int(wait_until(lambda: opsbot.api("/incidents")["incidents"])[0]["id"])
    channel = str(wait_until(lambda: opsbot.api(f"/incidents/{number}")["slack_channel_id"]))
    card = wait_until(lambda: opsbot.slack.state.messages(channel))[0]
    return number, channel, card


def _draft(opsbot: Opsbot, number: int, channel: str, card: Any, user: str = "U0ALICE") -> Any:
    assert "incident_client_update" in str(card.blocks)
    opsbot.driver.block_action(
        "incident_client_update",
        value=str(number),
        user_id=user,
        channel_id=channel,
        message_ts=card.ts,
    )
    modal = wait_until(
        lambda: [
            v
            for v in opsbot.slack.state.open_views(user)
            if v.callback_id == "incident_client_update"
        ],
        what="draft form",
    )[-1]
    assert "Status: open" in str(modal.payload)
    values = {"text": {"text": {"type": "plain_text_input", "value": DRAFT}}}
    assert opsbot.driver.view_submission(modal.id, values, user_id=user).status_code == 200
    return wait_until(
        lambda: next(
            (m for m in opsbot.slack.state.messages(channel) if "Client update #" in m.text), None
        ),
        what="preview",
    )


def _click(opsbot: Opsbot, action: str, preview: Any, channel: str, user: str) -> None:
    update_id = preview.blocks[-1]["elements"][0]["value"]
    opsbot.driver.block_action(
        action, value=update_id, user_id=user, channel_id=channel, message_ts=preview.ts
    )


def test_s2_update_is_redacted_previewed_and_posted(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(_policy())
    number, channel, card = _incident(opsbot, "S2")
    preview = _draft(opsbot, number, channel, card)
    shown = str(preview.blocks)
    for secret in ("jane.doe@acme.com", "4111 1111 1111 1111", "10.0.3.17", "ORD-123456"):
        assert secret not in shown
    assert "[email]" in shown and "[card]" in shown and "4 item(s) redacted" in shown
    assert opsbot.slack.state.messages("C0ACMESHARED") == []  # nothing left before the click
    _click(opsbot, "client_update_post", preview, channel, "U0ALICE")
    posted = wait_until(lambda: opsbot.slack.state.messages("C0ACMESHARED"), what="client post")
    text = str(posted[-1].blocks)
    assert "Service update for ACME Corp: checkout-api" in text
    assert "[email]" in text and "jane.doe" not in text
    assert "web-3" not in text  # the internal title (a hostname) never reaches the client
    kinds = [
        e["text"]
        for e in opsbot.api(f"/incidents/{number}")["timeline"]
        if e["kind"] == "client_update"
    ]
    assert kinds == [
        "Client update #1 drafted",
        "Client update #1 approved",
        "Client update #1 posted",
    ]
    wait_until(
        lambda: "Posted to ACME Corp" in str(opsbot.slack.state.message(channel, preview.ts).blocks)
    )


def test_s1_needs_a_second_person(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(_policy())
    number, channel, card = _incident(opsbot, "S1")
    preview = _draft(opsbot, number, channel, card, user="U0ALICE")
    assert "Approve and post" in str(preview.blocks)
    _click(opsbot, "client_update_post", preview, channel, "U0ALICE")
    wait_until(
        lambda: any(
            "second person" in m.text
            for m in opsbot.slack.state.messages(channel)
            if m.visible_to == "U0ALICE"
        ),
        what="refusal to self-approve",
    )
    assert opsbot.slack.state.messages("C0ACMESHARED") == []
    _click(opsbot, "client_update_post", preview, channel, "U0BOB")
    wait_until(lambda: opsbot.slack.state.messages("C0ACMESHARED"), what="posted after approval")
    timeline = opsbot.api(f"/incidents/{number}")["timeline"]
    approved = next(e for e in timeline if e["text"] == "Client update #1 approved")
    assert approved["actor"] == "U0BOB"


def test_refuses_a_channel_that_is_not_shared(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(_policy(shared="C0ALERTS"))
    number, channel, card = _incident(opsbot, "S2")
    preview = _draft(opsbot, number, channel, card)
    before = len(opsbot.slack.state.messages("C0ALERTS"))
    _click(opsbot, "client_update_post", preview, channel, "U0ALICE")
    wait_until(
        lambda: (
            "Not posted: C0ALERTS is not a Slack Connect channel"
            in str(opsbot.slack.state.message(channel, preview.ts).blocks)
        ),
        what="refusal shown on the preview",
    )
    assert len(opsbot.slack.state.messages("C0ALERTS")) == before
    texts = [e["text"] for e in opsbot.api(f"/incidents/{number}")["timeline"]]
    assert any(
        t.startswith("Client update #1 refused: C0ALERTS is not a Slack Connect") for t in texts
    )


def test_no_client_means_no_button_and_discard_works(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(_policy())
    opsbot.driver.command('declare "Internal tooling slow" --sev S3 --service tooling')
    number = int(wait_until(lambda: opsbot.api("/incidents")["incidents"])[0]["id"])
    channel = str(wait_until(lambda: opsbot.api(f"/incidents/{number}")["slack_channel_id"]))
    card = wait_until(lambda: opsbot.slack.state.messages(channel))[0]
    assert "incident_client_update" not in str(card.blocks)
    number2, channel2, card2 = _incident(opsbot, "S2")
    preview = _draft(opsbot, number2, channel2, card2)
    _click(opsbot, "client_update_discard", preview, channel2, "U0ALICE")
    wait_until(
        lambda: any(
            e["text"] == "Client update #1 discarded"
            for e in opsbot.api(f"/incidents/{number2}")["timeline"]
        )
    )
    _click(opsbot, "client_update_post", preview, channel2, "U0BOB")
    wait_until(
        lambda: any(
            "is discarded" in m.text
            for m in opsbot.slack.state.messages(channel2)
            if m.visible_to == "U0BOB"
        ),
        what="a discarded update cannot be posted",
    )
    assert opsbot.slack.state.messages("C0ACMESHARED") == []
