"""The transcript renderer: what a person in Slack would have seen."""

from __future__ import annotations

from typing import Any

import httpx
from slack_sdk import WebClient

from bot.sandbox.slack import (
    SandboxSlack,
    SlackState,
    blocks_to_text,
    format_mrkdwn,
    render_transcript,
)

from .conftest import buttons, modal

INCIDENT_BLOCKS: list[dict[str, Any]] = [
    {"type": "header", "text": {"type": "plain_text", "text": "SEV1: DB down"}},
    {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Declared by <@U0ALICE> in <#C0ALERTS>"},
        "fields": [
            {"type": "mrkdwn", "text": "*Severity*\nSEV1"},
            {"type": "mrkdwn", "text": "*Commander*\n<@U0BOB>"},
        ],
    },
    {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "Started <!date^1700000000^{time}|12:00 UTC>"},
            {"type": "mrkdwn", "text": "paging <!subteam^S0ONCALL>"},
        ],
    },
    {"type": "divider"},
    *buttons("Acknowledge", "Resolve")[1:],
]


def test_format_mrkdwn_tokens(state: SlackState) -> None:
    state.add_usergroup("S0ONCALL", "oncall", ["U0ALICE"])
    text = (
        "<@U0ALICE> <#C0ALERTS> <#C0X|named> <!subteam^S0ONCALL> <!here> <https://x|link> &lt;b&gt;"
    )
    assert format_mrkdwn(text, state) == "@alice #alerts #named @oncall @here link <b>"
    assert format_mrkdwn("<!date^1700000000^{date_short}|Nov 14>") == "Nov 14"


def test_blocks_to_text(state: SlackState) -> None:
    state.add_usergroup("S0ONCALL", "oncall", ["U0ALICE"])
    assert blocks_to_text(INCIDENT_BLOCKS, state).split("\n") == [
        "*SEV1: DB down*",
        "Declared by @alice in #alerts",
        "*Severity* SEV1 | *Commander* @bob",
        "Started 12:00 UTC · paging @oncall",
        "---",
        "[Acknowledge] [Resolve]",
    ]


def test_full_transcript(client: WebClient, state: SlackState) -> None:
    state.add_usergroup("S0ONCALL", "oncall", ["U0ALICE"])
    chan = client.conversations_create(name="inc-20261128-db-down")["channel"]["id"]
    client.conversations_setTopic(channel=chan, topic="SEV1 DB down | IC: <@U0BOB>")
    client.conversations_invite(channel=chan, users="U0ALICE")
    ts = client.chat_postMessage(channel=chan, text="SEV1", blocks=INCIDENT_BLOCKS)["ts"]
    client.pins_add(channel=chan, timestamp=ts)
    client.bookmarks_add(channel_id=chan, title="Runbook", type="link", link="https://rb/db")
    client.chat_postEphemeral(channel=chan, user="U0ALICE", text="You are on call")
    client.chat_update(channel=chan, ts=ts, text="Resolved", blocks=INCIDENT_BLOCKS[:1])
    client.reactions_add(channel=chan, timestamp=ts, name="white_check_mark")
    client.views_open(trigger_id=state.issue_trigger("U0ALICE"), view=modal("Postmortem"))
    client.conversations_archive(channel=chan)
    text = render_transcript(state)
    assert text.splitlines() == [
        "#inc-20261128-db-down  * opsbot created #inc-20261128-db-down",
        "#inc-20261128-db-down  * opsbot set the topic: SEV1 DB down | IC: @bob",
        "#inc-20261128-db-down  * opsbot added @alice",
        "#inc-20261128-db-down  opsbot: *SEV1: DB down* (edited)",
        "    :white_check_mark: 1",
        "#inc-20261128-db-down  * opsbot pinned a message",
        "#inc-20261128-db-down  * opsbot added a bookmark: Runbook (https://rb/db)",
        "#inc-20261128-db-down  opsbot: You are on call (only visible to @alice)",
        '[modal "Postmortem" opened for @alice]',
        "#inc-20261128-db-down  * opsbot archived #inc-20261128-db-down",
    ]
    public = render_transcript(state, include_ephemeral=False)
    assert "only visible" not in public


def test_multiline_messages_are_indented_and_since_seq_filters(
    client: WebClient, state: SlackState
) -> None:
    client.chat_postMessage(channel="C0ALERTS", text="old")
    mark = state.last_seq
    client.chat_postMessage(channel="C0ALERTS", text="line one\nline two")
    client.chat_postMessage(channel="U0CAROL", text="dm")
    assert render_transcript(state, since_seq=mark).splitlines() == [
        "#alerts  opsbot: line one",
        "    line two",
        "@carol (DM)  opsbot: dm",
    ]


def test_transcript_over_http(http: httpx.Client, client: WebClient, sandbox: SandboxSlack) -> None:

    client.chat_postMessage(channel="C0ALERTS", text="hello <@U0BOB>")
    base = sandbox.base_url
    assert http.get(base + "/_sandbox/transcript").text == "#alerts  opsbot: hello @bob\n"
