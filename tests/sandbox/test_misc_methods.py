"""auth, users, usergroups, pins, bookmarks, reactions."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.sandbox.slack import SlackState

from .conftest import err


def test_auth_test(client: WebClient) -> None:
    resp = client.auth_test()
    assert resp["user_id"] == "U0OPSBOT" and resp["team_id"] == "T0OPSBOT"
    assert resp["bot_id"] == "B0OPSBOT" and resp["url"] == "https://opsbot-sandbox.slack.com/"


def test_users(client: WebClient) -> None:
    alice = client.users_info(user="U0ALICE")["user"]
    assert alice["name"] == "alice" and alice["profile"]["email"] == "alice@example.com"
    assert alice["profile"]["real_name"] == "Alice Martin" and alice["is_bot"] is False
    acme = client.users_info(user="U0ACMEUSER")["user"]
    assert acme["team_id"] == "T0ACME" and acme["is_stranger"] is True
    assert err(client.users_info, user="U0NOBODY") == "user_not_found"
    ids = [u["id"] for u in client.users_list()["members"]]
    assert ids[:2] == ["U0OPSBOT", "U0ALICE"] and "U0CAROL" in ids
    assert client.users_lookupByEmail(email="BOB@example.com")["user"]["id"] == "U0BOB"
    assert err(client.users_lookupByEmail, email="nobody@example.com") == "users_not_found"


def test_usergroups(client: WebClient, state: SlackState) -> None:
    state.add_usergroup("S0ONCALL", "oncall", ["U0ALICE", "U0BOB"])
    groups = client.usergroups_list(include_users=True, include_count=True)["usergroups"]
    assert groups[0]["handle"] == "oncall" and groups[0]["users"] == ["U0ALICE", "U0BOB"]
    assert groups[0]["user_count"] == 2
    assert client.usergroups_users_list(usergroup="S0ONCALL")["users"] == ["U0ALICE", "U0BOB"]
    assert err(client.usergroups_users_list, usergroup="S0NOPE") == "no_such_subteam"


def test_pins(client: WebClient, state: SlackState) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="summary")["ts"]
    assert client.pins_add(channel="C0INCIDENTS", timestamp=ts)["ok"]
    stored = state.message("C0INCIDENTS", ts)
    assert stored is not None and stored.pinned
    assert err(client.pins_add, channel="C0INCIDENTS", timestamp=ts) == "already_pinned"
    assert err(client.pins_add, channel="C0INCIDENTS", timestamp="1.000001") == (
        "message_not_found"
    )
    items = client.pins_list(channel="C0INCIDENTS")["items"]
    assert [i["message"]["ts"] for i in items] == [ts]
    assert client.pins_remove(channel="C0INCIDENTS", timestamp=ts)["ok"]
    assert err(client.pins_remove, channel="C0INCIDENTS", timestamp=ts) == "not_pinned"
    assert client.pins_list(channel="C0INCIDENTS")["items"] == []


def test_bookmarks(client: WebClient) -> None:
    mark = client.bookmarks_add(
        channel_id="C0INCIDENTS", title="Runbook", type="link", link="https://runbooks/db"
    )["bookmark"]
    assert mark["title"] == "Runbook" and mark["channel_id"] == "C0INCIDENTS"
    listed = client.bookmarks_list(channel_id="C0INCIDENTS")["bookmarks"]
    assert [b["link"] for b in listed] == ["https://runbooks/db"]
    bad_type = err(client.bookmarks_add, channel_id="C0INCIDENTS", title="x", type="folder")
    assert bad_type == "invalid_bookmark_type"
    assert err(client.bookmarks_add, channel_id="C0NOPE", title="x", type="link") == (
        "channel_not_found"
    )


def test_reactions(client: WebClient, state: SlackState) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="ack?")["ts"]
    assert client.reactions_add(channel="C0INCIDENTS", timestamp=ts, name="eyes")["ok"]
    stored = state.message("C0INCIDENTS", ts)
    assert stored is not None and stored.reactions == {"eyes": ["U0OPSBOT"]}
    assert err(client.reactions_add, channel="C0INCIDENTS", timestamp=ts, name="eyes") == (
        "already_reacted"
    )
    assert err(client.reactions_add, channel="C0INCIDENTS", timestamp=ts, name="Bad Name") == (
        "invalid_name"
    )
    assert err(client.reactions_add, channel="C0INCIDENTS", timestamp="1.1", name="eyes") == (
        "message_not_found"
    )
