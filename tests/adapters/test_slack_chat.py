"""``SlackChat`` through a real ``AsyncWebClient`` against the running sandbox Slack."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.adapters.slack.cards import escape
from bot.adapters.slack.chat import SlackChat
from bot.adapters.slack.client import make_web_client
from bot.domain.ports import ChannelNameTaken, ChatError, TransientChatError
from bot.sandbox.slack import Fault, SandboxSlack

T = TypeVar("T")
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*DB down*"}}]


def web(slack: SandboxSlack, *, timeout: int = 10, rate_limit_retries: int = 5) -> AsyncWebClient:
    """The production client; tests may allow fewer rate-limit retries to stay fast."""
    client = make_web_client(token=slack.state.bot_token, base_url=slack.api_url, timeout=timeout)
    for handler in client.retry_handlers:
        if isinstance(handler, AsyncRateLimitErrorRetryHandler):
            handler.max_retry_count = rate_limit_retries
    return client


def run(slack: SandboxSlack, scenario: Callable[[SlackChat], Awaitable[T]], **kw: Any) -> T:
    async def main() -> T:
        return await scenario(SlackChat(web(slack, **kw)))

    return asyncio.run(main())


def test_create_and_find_channel(slack: SandboxSlack) -> None:
    async def scenario(chat: SlackChat) -> None:
        cid = await chat.create_channel("inc-42-db-down")
        assert await chat.find_channel("inc-42-db-down") == cid
        assert await chat.find_channel("#incidents") == "C0INCIDENTS"
        assert await chat.find_channel("nope") is None
        with pytest.raises(ChannelNameTaken) as info:
            await chat.create_channel("incidents")
        assert (info.value.code, info.value.method) == ("name_taken", "conversations.create")

    run(slack, scenario)
    assert slack.state.channel_by_name("inc-42-db-down") is not None


def test_find_channel_pages_and_skips_archived(slack: SandboxSlack) -> None:
    for i in range(450):
        slack.state.add_channel(f"C0MANY{i:04d}", f"many-{i}")
    slack.state.add_channel("C0OLD", "old-incident", is_archived=True)

    async def scenario(chat: SlackChat) -> tuple[str | None, str | None]:
        return await chat.find_channel("many-449"), await chat.find_channel("old-incident")

    assert run(slack, scenario) == ("C0MANY0449", None)
    calls = slack.state.calls("conversations.list")
    assert len(calls) == 3 + 3  # three pages per lookup
    assert all(c.args["limit"] == "200" and c.args["types"] == "public_channel" for c in calls)
    assert all(c.args["exclude_archived"] in ("1", "true") for c in calls)


def test_topic_and_purpose_are_cut(slack: SandboxSlack) -> None:
    async def scenario(chat: SlackChat) -> None:
        await chat.set_topic("C0INCIDENTS", "S1 · open · " + "t" * 300)
        await chat.set_purpose("C0INCIDENTS", "Incident #42")

    run(slack, scenario)
    chan = slack.state.channel("C0INCIDENTS")
    assert chan is not None
    assert len(chan.topic) == 250 and chan.topic.endswith("t…")
    assert chan.purpose == "Incident #42"


def test_invite_skips_members_self_and_unknown_users(slack: SandboxSlack) -> None:
    async def scenario(chat: SlackChat) -> str:
        cid = await chat.create_channel("inc-7")
        await chat.invite(cid, ["U0ALICE", "U0BOB", "U0ALICE"])
        await chat.invite(cid, ["U0ALICE"])  # everyone in already
        await chat.invite(cid, ["U0ALICE", "U0CAROL", "U0NOBODY", slack.state.bot_user_id])
        await chat.invite(cid, [])
        return cid

    cid = run(slack, scenario)
    chan = slack.state.channel(cid)
    assert chan is not None
    assert chan.members == [slack.state.bot_user_id, "U0ALICE", "U0BOB", "U0CAROL"]
    invites = slack.state.calls("conversations.invite")
    assert invites[0].args["users"] == "U0ALICE,U0BOB" and invites[0].ok
    # the refused batch of four, then one call per user (the sandbox names no culprits)
    assert [c.error for c in invites[2:]] == [
        "user_not_found",
        None,
        None,
        "user_not_found",
        "cant_invite_self",
    ]


class ScriptedInvites(AsyncWebClient):
    """A client whose ``conversations.invite`` answers from a script, like real Slack."""

    def __init__(self, answers: list[dict[str, Any]]) -> None:
        super().__init__(token="xoxb-test")
        self.answers = answers
        self.sent: list[str] = []

    async def conversations_invite(self, **kwargs: Any) -> AsyncSlackResponse:
        self.sent.append(",".join(kwargs["users"]))
        data = self.answers.pop(0)
        reply = AsyncSlackResponse(
            client=self,
            http_verb="POST",
            api_url="https://slack.test/api/conversations.invite",
            req_args={},
            data=data,
            headers={},
            status_code=200,
        )
        return reply.validate()


def test_invite_retries_without_the_users_slack_names() -> None:
    refused = {
        "ok": False,
        "error": "user_not_found",
        "errors": [
            {"user": "U0GONE", "ok": False, "error": "user_not_found"},
            {"user": "U0SELF", "ok": False, "error": "cant_invite_self"},
        ],
    }
    client = ScriptedInvites([refused, {"ok": True}])
    asyncio.run(SlackChat(client).invite("C1", ["U0A", "U0GONE", "U0SELF", "U0B"]))
    assert client.sent == ["U0A,U0GONE,U0SELF,U0B", "U0A,U0B"]


def test_invite_fails_on_other_per_user_errors() -> None:
    refused = {
        "ok": False,
        "error": "user_not_found",
        "errors": [{"user": "U0G", "ok": False, "error": "user_is_restricted"}],
    }
    with pytest.raises(ChatError) as info:
        asyncio.run(SlackChat(ScriptedInvites([refused])).invite("C1", ["U0A", "U0G"]))
    assert (info.value.code, info.value.method) == ("user_is_restricted", "conversations.invite")


def test_invite_batches_of_one_hundred() -> None:
    client = ScriptedInvites([{"ok": True}, {"ok": True}, {"ok": True}])
    users = [f"U{i:05d}" for i in range(250)]
    asyncio.run(SlackChat(client).invite("C1", users))
    assert [len(batch.split(",")) for batch in client.sent] == [100, 100, 50]


def test_expand_members(slack: SandboxSlack) -> None:
    slack.state.add_usergroup("S0SRE", "sre", ["U0BOB", "U0CAROL", "U0ALICE"])

    async def scenario(chat: SlackChat) -> list[str]:
        ids = ["U0ALICE", "S0SRE", "U0BOB", "W0GRID", "S0SRE", "S0GONE", "junk"]
        return await chat.expand_members(ids)

    assert run(slack, scenario) == ["U0ALICE", "U0BOB", "U0CAROL", "W0GRID"]
    assert len(slack.state.calls("usergroups.users.list")) == 2


def test_post_update_and_pin(slack: SandboxSlack) -> None:
    async def scenario(chat: SlackChat) -> str:
        ts = await chat.post("C0INCIDENTS", "DB down", BLOCKS)
        await chat.update("C0INCIDENTS", ts, "DB down (ack)", [*BLOCKS, {"type": "divider"}])
        await chat.pin("C0INCIDENTS", ts)
        await chat.pin("C0INCIDENTS", ts)  # already pinned: fine
        return ts

    ts = run(slack, scenario)
    msg = slack.state.message("C0INCIDENTS", ts)
    assert msg is not None
    assert (msg.text, msg.edited, msg.pinned, len(msg.blocks)) == ("DB down (ack)", True, True, 2)
    assert [c.error for c in slack.state.calls("pins.add")] == [None, "already_pinned"]


def test_client_retries_through_one_rate_limit(slack: SandboxSlack) -> None:
    slack.state.add_fault(Fault(method="chat.postMessage", kind="ratelimited", times=1))
    ts = run(slack, lambda chat: chat.post("C0ALERTS", escape("<b>")))
    assert slack.state.message("C0ALERTS", ts) is not None
    assert [c.status for c in slack.state.calls("chat.postMessage")] == [429, 200]


def test_rate_limit_beyond_retries_is_transient(slack: SandboxSlack) -> None:
    slack.state.add_fault(Fault(method="chat.postMessage", kind="ratelimited", times=None))
    with pytest.raises(TransientChatError) as info:
        run(slack, lambda chat: chat.post("C0ALERTS", "hi"), rate_limit_retries=1)
    assert info.value.retry_after == 1.0
    assert info.value.reason == "chat.postMessage: ratelimited"
    assert len(slack.state.calls("chat.postMessage")) == 2


@pytest.mark.parametrize("error", ["internal_error", "fatal_error", "service_unavailable"])
def test_server_errors_are_transient(slack: SandboxSlack, error: str) -> None:
    slack.state.add_fault(Fault(method="pins.add", kind="error", error=error))
    with pytest.raises(TransientChatError) as info:
        run(slack, lambda chat: chat.pin("C0ALERTS", "1.0"))
    assert info.value.retry_after is None and error in info.value.reason


def test_timeout_is_transient(slack: SandboxSlack) -> None:
    slack.state.add_fault(Fault(method="conversations.setTopic", kind="delay", delay=2.0))
    started = time.monotonic()
    with pytest.raises(TransientChatError) as info:
        run(slack, lambda chat: chat.set_topic("C0ALERTS", "x"), timeout=1)
    assert "TimeoutError" in info.value.reason
    assert time.monotonic() - started < 1.9


def test_connection_refused_is_transient() -> None:
    client = AsyncWebClient(token="xoxb-test", base_url="http://127.0.0.1:9/api/", timeout=2)
    with pytest.raises(TransientChatError) as info:
        asyncio.run(SlackChat(client).post("C1", "hi"))
    assert info.value.reason.startswith("chat.postMessage: Client")


def test_permanent_errors_are_chat_errors(slack: SandboxSlack) -> None:
    with pytest.raises(ChatError) as info:
        run(slack, lambda chat: chat.post("C0MISSING", "hi"))
    assert not isinstance(info.value, ChannelNameTaken)
    assert (info.value.code, info.value.method) == ("channel_not_found", "chat.postMessage")


def test_http_5xx_is_transient() -> None:
    class Broken(AsyncWebClient):
        async def chat_postMessage(self, **kwargs: Any) -> AsyncSlackResponse:
            raise SlackApiError(
                "bad gateway",
                AsyncSlackResponse(
                    client=self,
                    http_verb="POST",
                    api_url="https://slack.test/api/chat.postMessage",
                    req_args={},
                    data={},
                    headers={"Retry-After": "30"},
                    status_code=502,
                ),
            )

    with pytest.raises(TransientChatError) as info:
        asyncio.run(SlackChat(Broken(token="xoxb-test")).post("C1", "hi"))
    assert (info.value.reason, info.value.retry_after) == ("chat.postMessage: HTTP 502", 30.0)
