"""conversations.* methods."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient

from bot.sandbox.slack import SlackState

from .conftest import err


def test_create_channel_bot_is_creator_and_member(client: WebClient, state: SlackState) -> None:
    chan = client.conversations_create(name="inc-20261128-db-down")["channel"]
    assert chan["name"] == "inc-20261128-db-down" and chan["creator"] == "U0OPSBOT"
    assert chan["is_member"] is True and chan["is_channel"] is True
    assert state.channel_by_name("inc-20261128-db-down") is not None
    private = client.conversations_create(name="inc-private", is_private=True)["channel"]
    assert private["is_private"] is True and private["is_group"] is True
    assert client.conversations_members(channel=chan["id"])["members"] == ["U0OPSBOT"]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("", "invalid_name_required"),
        ("x" * 81, "invalid_name_maxlength"),
        ("Has Caps", "invalid_name_specials"),
        ("inc#1", "invalid_name_specials"),
        ("--_", "invalid_name_punctuation"),
        ("incidents", "name_taken"),
    ],
)
def test_create_channel_name_rules(client: WebClient, name: str, error: str) -> None:
    assert err(client.conversations_create, name=name) == error


def test_create_accepts_80_chars(client: WebClient) -> None:
    assert client.conversations_create(name="a" * 80)["ok"]


def test_info_and_list(client: WebClient, state: SlackState) -> None:
    info = client.conversations_info(channel="C0ACMESHARED", include_num_members=True)["channel"]
    assert info["is_ext_shared"] is True and info["num_members"] == 3
    assert info["shared_team_ids"] == ["T0OPSBOT", "T0ACME"]
    assert err(client.conversations_info, channel="C0NOPE") == "channel_not_found"
    state.add_channel("C0SECRET", "secret", is_private=True, members=["U0ALICE"])
    names = [c["name"] for c in client.conversations_list()["channels"]]
    assert names == ["incidents", "alerts", "approvals", "acme-shared"]
    both = client.conversations_list(types="public_channel,private_channel")["channels"]
    assert "secret" not in [c["name"] for c in both]  # the bot is not a member
    assert err(client.conversations_list, types="bogus") == "invalid_types"


def test_list_paginates_with_cursor(client: WebClient) -> None:
    first = client.conversations_list(limit=2)
    cursor = first["response_metadata"]["next_cursor"]
    assert len(first["channels"]) == 2 and cursor
    second = client.conversations_list(limit=2, cursor=cursor)
    assert [c["name"] for c in second["channels"]] == ["approvals", "acme-shared"]
    assert second["response_metadata"]["next_cursor"] == ""
    assert err(client.conversations_list, cursor="garbage!") == "invalid_cursor"


def test_invite(client: WebClient, state: SlackState) -> None:
    chan = client.conversations_create(name="inc-invite")["channel"]["id"]
    client.conversations_invite(channel=chan, users="U0ALICE,U0BOB")
    assert client.conversations_members(channel=chan)["members"] == [
        "U0OPSBOT",
        "U0ALICE",
        "U0BOB",
    ]
    assert err(client.conversations_invite, channel=chan, users="U0ALICE") == "already_in_channel"
    assert err(client.conversations_invite, channel=chan, users="U0NOBODY") == "user_not_found"
    assert err(client.conversations_invite, channel=chan, users="U0OPSBOT") == "cant_invite_self"
    state.add_channel("C0OTHER", "other", members=["U0ALICE"])
    assert err(client.conversations_invite, channel="C0OTHER", users="U0BOB") == "not_in_channel"
    assert err(client.conversations_invite, channel="C0NOPE", users="U0BOB") == (
        "channel_not_found"
    )


def test_join(client: WebClient, state: SlackState) -> None:
    state.add_channel("C0PUB", "pub", members=["U0ALICE"])
    assert err(client.chat_postMessage, channel="C0PUB", text="x") == "not_in_channel"
    assert client.conversations_join(channel="C0PUB")["channel"]["is_member"] is True
    assert client.chat_postMessage(channel="C0PUB", text="x")["ok"]
    again = client.conversations_join(channel="C0PUB")
    assert again["warning"] == "already_in_channel"
    state.add_channel("C0PRIV", "priv", is_private=True)
    assert err(client.conversations_join, channel="C0PRIV") == (
        "method_not_supported_for_channel_type"
    )


def test_topic_purpose_archive(client: WebClient, state: SlackState) -> None:
    chan = client.conversations_create(name="inc-topic")["channel"]["id"]
    topic = client.conversations_setTopic(channel=chan, topic="SEV1: DB down")["channel"]["topic"]
    assert topic["value"] == "SEV1: DB down" and topic["creator"] == "U0OPSBOT"
    purpose = client.conversations_setPurpose(channel=chan, purpose="Fix the DB")["channel"]
    assert purpose["purpose"]["value"] == "Fix the DB"
    assert err(client.conversations_setTopic, channel=chan, topic="x" * 251) == "too_long"
    assert client.conversations_archive(channel=chan)["ok"]
    archived = state.channel(chan)
    assert archived is not None and archived.is_archived
    assert err(client.conversations_archive, channel=chan) == "already_archived"
    assert err(client.conversations_setTopic, channel=chan, topic="x") == "is_archived"
    assert err(client.chat_postMessage, channel=chan, text="x") == "is_archived"
    kinds = [a.kind for a in state.activities if a.channel == chan]
    assert kinds == ["created", "topic", "purpose", "archived"]


def test_history_window_and_limits(client: WebClient) -> None:
    stamps = [client.chat_postMessage(channel="C0ALERTS", text=f"m{i}")["ts"] for i in range(5)]
    newest_first = client.conversations_history(channel="C0ALERTS", limit=2)
    assert [m["text"] for m in newest_first["messages"]] == ["m4", "m3"]
    assert newest_first["has_more"] is True
    window = client.conversations_history(
        channel="C0ALERTS", oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["text"] for m in window["messages"]] == ["m3", "m2", "m1"]
    assert err(client.conversations_history, channel="C0ALERTS", oldest="abc") == (
        "invalid_ts_oldest"
    )


def test_history_needs_membership(client: WebClient, state: SlackState) -> None:
    state.add_channel("C0PUB", "pub", members=["U0ALICE"])
    assert err(client.conversations_history, channel="C0PUB") == "not_in_channel"


def test_replies_thread_not_found(client: WebClient) -> None:
    assert err(client.conversations_replies, channel="C0ALERTS", ts="1.0") == "thread_not_found"


def test_open_dm(client: WebClient, state: SlackState) -> None:
    first = client.conversations_open(users="U0CAROL", return_im=True)["channel"]
    assert first["is_im"] is True and first["user"] == "U0CAROL"
    again = client.conversations_open(users="U0CAROL")
    assert again["channel"]["id"] == first["id"] and again["already_open"] is True
    assert err(client.conversations_open, users="U0NOBODY") == "user_not_found"
    assert err(client.api_call, api_method="conversations.open") == "users_list_not_supplied"
