"""Fault injection (429 + Retry-After, errors, delays, every/times) and the call journal."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sandbox.slack import Fault, SandboxSlack, SlackState

from .conftest import TOKEN, err


def test_ratelimited_answers_429_with_retry_after(
    http: httpx.Client, sandbox: SandboxSlack
) -> None:
    sandbox.state.add_fault(Fault(method="chat.postMessage", kind="ratelimited", retry_after=7))
    resp = http.post(
        sandbox.api_url + "chat.postMessage",
        data={"channel": "C0INCIDENTS", "text": "x"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert resp.json() == {"ok": False, "error": "ratelimited"}
    entry = sandbox.state.calls("chat.postMessage")[-1]
    assert (entry.ok, entry.error, entry.status) == (False, "ratelimited", 429)


def test_rate_limit_retry_handler_recovers(sandbox: SandboxSlack, state: SlackState) -> None:
    state.add_fault(Fault(method="chat.postMessage", kind="ratelimited", retry_after=0, times=1))
    client = WebClient(
        token=TOKEN,
        base_url=sandbox.api_url,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)],
    )
    assert client.chat_postMessage(channel="C0INCIDENTS", text="after retry")["ok"]
    assert [(c.status, c.ok) for c in state.calls("chat.postMessage")] == [
        (429, False),
        (200, True),
    ]
    assert [m.text for m in state.messages("C0INCIDENTS")] == ["after retry"]


def test_every_tenth_call_fails(client: WebClient, state: SlackState) -> None:
    state.add_fault(Fault(method="*", kind="error", error="internal_error", every=10))
    outcomes = []
    for _ in range(30):
        try:
            client.auth_test()
            outcomes.append(True)
        except SlackApiError:
            outcomes.append(False)
    assert [i for i, ok in enumerate(outcomes, 1) if not ok] == [10, 20, 30]
    assert state.count_by_method() == {"auth.test": 30}


def test_error_fault_times(client: WebClient, state: SlackState) -> None:
    state.add_fault(Fault(method="conversations.create", error="restricted_action", times=2))
    assert err(client.conversations_create, name="a1") == "restricted_action"
    assert err(client.conversations_create, name="a1") == "restricted_action"
    assert client.conversations_create(name="a1")["ok"]


def test_delay_fault(client: WebClient, state: SlackState) -> None:
    state.add_fault(Fault(method="auth.test", kind="delay", delay=0.2, times=1))
    start = time.monotonic()
    assert client.auth_test()["ok"]
    assert time.monotonic() - start >= 0.2


def test_async_client_and_delay_does_not_block_other_calls(sandbox: SandboxSlack) -> None:
    sandbox.state.add_fault(Fault(method="auth.test", kind="delay", delay=0.3, times=1))

    async def scenario() -> None:
        client = AsyncWebClient(token=TOKEN, base_url=sandbox.api_url)
        slow = asyncio.create_task(client.auth_test())
        await asyncio.sleep(0.05)
        fast_start = time.monotonic()
        posted = await client.chat_postMessage(channel="C0INCIDENTS", text="async")
        assert posted["ok"] and time.monotonic() - fast_start < 0.25
        assert (await slow)["user_id"] == "U0OPSBOT"

    asyncio.run(scenario())


def test_faults_over_http(http: httpx.Client, sandbox: SandboxSlack, client: WebClient) -> None:
    added = http.post(
        sandbox.base_url + "/_sandbox/faults",
        json={"method": "users.info", "kind": "error", "error": "fatal_error"},
    )
    assert added.status_code == 200 and added.json()["fault"]["method"] == "users.info"
    assert err(client.users_info, user="U0ALICE") == "fatal_error"
    assert http.delete(sandbox.base_url + "/_sandbox/faults").json() == {"ok": True}
    assert client.users_info(user="U0ALICE")["ok"]
    bad = http.post(sandbox.base_url + "/_sandbox/faults", json={"kind": "explode"})
    assert bad.status_code == 400


def test_journal(
    http: httpx.Client, client: WebClient, state: SlackState, sandbox: SandboxSlack
) -> None:
    client.chat_postMessage(channel="C0INCIDENTS", text="one")
    err(client.chat_postMessage, channel="C0NOPE", text="two")
    calls = state.calls("chat.postMessage")
    assert [c.ok for c in calls] == [True, False] and calls[1].error == "channel_not_found"
    assert calls[0].seq < calls[1].seq and calls[0].t <= calls[1].t
    assert all("token" not in c.args for c in state.calls())
    assert calls[0].args["text"] == "one"
    body = http.get(sandbox.base_url + "/_sandbox/journal").json()
    assert body["count_by_method"] == {"chat.postMessage": 2}
    assert body["calls"][1]["error"] == "channel_not_found"


@pytest.mark.parametrize("kind", ["ratelimited", "error"])
def test_fault_on_other_method_does_not_fire(
    client: WebClient, state: SlackState, kind: str
) -> None:
    state.add_fault(Fault(method="views.open", kind=kind))  # type: ignore[arg-type]
    assert client.auth_test()["ok"]
