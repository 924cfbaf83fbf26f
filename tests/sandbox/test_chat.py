"""chat.* methods through the real slack_sdk WebClient."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackState

from .conftest import buttons, err


def test_post_message_is_stored_and_shaped_like_slack(client: WebClient, state: SlackState) -> None:
    resp = client.chat_postMessage(channel="C0INCIDENTS", text="DB down", blocks=buttons("Ack"))
    assert resp["channel"] == "C0INCIDENTS"
    msg = resp["message"]
    assert msg["bot_id"] == "B0OPSBOT" and msg["user"] == "U0OPSBOT" and msg["type"] == "message"
    assert msg["bot_profile"]["name"] == "opsbot" and msg["ts"] == resp["ts"]
    stored = state.message("C0INCIDENTS", resp["ts"])
    assert stored is not None and stored.text == "DB down" and stored.blocks[1]["type"] == "actions"


def test_post_message_accepts_channel_name_and_json_string_blocks(client: WebClient) -> None:
    resp = client.api_call(
        "chat.postMessage",
        data={"channel": "#alerts", "blocks": '[{"type": "divider"}]', "text": "x"},
    )
    assert resp["channel"] == "C0ALERTS"


def test_post_message_to_user_opens_dm(client: WebClient, state: SlackState) -> None:
    resp = client.chat_postMessage(channel="U0BOB", text="psst")
    chan = state.channel(resp["channel"])
    assert chan is not None and chan.is_im and chan.im_user == "U0BOB"
    again = client.chat_postMessage(channel="U0BOB", text="again")
    assert again["channel"] == resp["channel"]
    assert client.conversations_open(users="U0BOB")["channel"]["id"] == resp["channel"]


def test_post_message_errors(client: WebClient, state: SlackState) -> None:
    state.add_channel("C0QUIET", "quiet", members=["U0ALICE"])
    state.add_channel("C0OLD", "old", members=["U0OPSBOT"], is_archived=True)
    assert err(client.chat_postMessage, channel="C0NOPE", text="x") == "channel_not_found"
    assert err(client.chat_postMessage, channel="C0QUIET", text="x") == "not_in_channel"
    assert err(client.chat_postMessage, channel="C0OLD", text="x") == "is_archived"
    post = client.api_call
    assert err(post, api_method="chat.postMessage", json={"channel": "C0INCIDENTS"}) == "no_text"
    bad = [{"type": "section"}]
    payload = {"channel": "C0INCIDENTS", "text": "x", "blocks": bad}
    assert err(post, api_method="chat.postMessage", json=payload) == "invalid_blocks"


def test_invalid_blocks_answer_carries_details(client: WebClient) -> None:
    bad = [{"type": "section"}]
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C0INCIDENTS", text="x", blocks=bad)
    body = info.value.response.data
    assert body["error"] == "invalid_blocks"
    assert body["response_metadata"]["messages"] == [
        "[ERROR] must provide either text or fields [json-pointer:/blocks/0]"
    ]


def test_chat_write_public_allows_public_channels(state: SlackState, client: WebClient) -> None:
    state.add_channel("C0PUB", "pub", members=["U0ALICE"])
    state.chat_write_public = True
    assert client.chat_postMessage(channel="C0PUB", text="hello")["ok"]


def test_long_text_truncated_by_post_message_but_rejected_by_update(
    client: WebClient, state: SlackState
) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="x" * 40_010)["ts"]
    stored = state.message("C0INCIDENTS", ts)
    assert stored is not None and len(stored.text) == 40_000
    assert err(client.chat_update, channel="C0INCIDENTS", ts=ts, text="y" * 40_001) == (
        "msg_too_long"
    )


def test_thread_reply_and_invalid_parent(client: WebClient) -> None:
    parent = client.chat_postMessage(channel="C0INCIDENTS", text="parent")["ts"]
    reply = client.chat_postMessage(channel="C0INCIDENTS", text="reply", thread_ts=parent)
    assert reply["message"]["thread_ts"] == parent
    replies = client.conversations_replies(channel="C0INCIDENTS", ts=parent)["messages"]
    assert [m["text"] for m in replies] == ["parent", "reply"]
    assert replies[0]["reply_count"] == 1
    history = client.conversations_history(channel="C0INCIDENTS")["messages"]
    assert [m["text"] for m in history] == ["parent"]
    assert err(client.chat_postMessage, channel="C0INCIDENTS", text="r", thread_ts="1.000001") == (
        "cannot_reply_to_message"
    )


def test_post_ephemeral(client: WebClient, state: SlackState) -> None:
    resp = client.chat_postEphemeral(channel="C0ALERTS", user="U0BOB", text="only you")
    msg = state.message("C0ALERTS", resp["message_ts"])
    assert msg is not None and msg.visible_to == "U0BOB" and msg.ephemeral
    assert err(client.chat_postEphemeral, channel="C0ALERTS", user="U0CAROL", text="x") == (
        "user_not_in_channel"
    )
    history = client.conversations_history(channel="C0ALERTS")["messages"]
    assert history == []


def test_update_delete_and_permalink(client: WebClient, state: SlackState) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="v1")["ts"]
    upd = client.chat_update(channel="C0INCIDENTS", ts=ts, text="v2", blocks=buttons("Resolve"))
    assert upd["ts"] == ts and upd["text"] == "v2" and "edited" in upd["message"]
    stored = state.message("C0INCIDENTS", ts)
    assert stored is not None and stored.edits == 1 and stored.blocks[1]["elements"][0]
    link = client.chat_getPermalink(channel="C0INCIDENTS", message_ts=ts)["permalink"]
    assert link == f"https://opsbot-sandbox.slack.com/archives/C0INCIDENTS/p{ts.replace('.', '')}"
    assert client.chat_delete(channel="C0INCIDENTS", ts=ts)["ts"] == ts
    assert state.message("C0INCIDENTS", ts) is None
    assert err(client.chat_update, channel="C0INCIDENTS", ts=ts, text="v3") == ("message_not_found")
    assert err(client.chat_delete, channel="C0INCIDENTS", ts=ts) == ("message_not_found")
    assert err(client.chat_getPermalink, channel="C0INCIDENTS", message_ts=ts) == (
        "message_not_found"
    )


def test_cannot_update_or_delete_other_authors(client: WebClient, state: SlackState) -> None:
    human = state.store_message("C0INCIDENTS", "U0ALICE", "mine")
    assert err(client.chat_update, channel="C0INCIDENTS", ts=human.ts, text="x") == (
        "cant_update_message"
    )
    assert err(client.chat_delete, channel="C0INCIDENTS", ts=human.ts) == ("cant_delete_message")
