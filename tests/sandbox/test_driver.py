"""SlackDriver: signed requests to a real ASGI app, and Slack's handling of the answers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from bot.sandbox.slack import (
    AsyncSlackDriver,
    SandboxSlack,
    SlackDriver,
    SlackState,
    sign_request,
)
from bot.server import ThreadedServer

from .conftest import buttons, err, modal, reference_dir

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@dataclass
class FakeApp:
    """A tiny app that verifies signatures like Bolt and answers canned acks."""

    acks: dict[str, Response] = field(default_factory=dict)
    received: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        verifier = SignatureVerifier(SECRET)
        if not verifier.is_valid_request(body, dict(request.headers)):
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        self.headers.append(dict(request.headers))
        if request.headers["content-type"].startswith("application/json"):
            data = json.loads(body)
            kind = data["type"]
            if kind == "url_verification":
                return JSONResponse({"challenge": data["challenge"]})
        else:
            form = dict(parse_qsl(body.decode()))
            data = json.loads(form["payload"]) if "payload" in form else form
            kind = data.get("type", "command")
        self.received.append(data)
        return self.acks.get(kind, Response(status_code=200))


@pytest.fixture(scope="module")
def fake_app() -> Iterator[tuple[FakeApp, str]]:
    app = FakeApp()
    asgi = Starlette(routes=[Route("/slack/events", app.handle, methods=["POST"])])
    with ThreadedServer(asgi, lifespan="off") as server:
        yield app, server.base_url + "/slack/events"


@pytest.fixture
def app(fake_app: tuple[FakeApp, str]) -> FakeApp:
    fake_app[0].acks.clear()
    fake_app[0].received.clear()
    fake_app[0].headers.clear()
    return fake_app[0]


@pytest.fixture
def driver(fake_app: tuple[FakeApp, str], sandbox: SandboxSlack) -> Iterator[SlackDriver]:
    with SlackDriver(fake_app[1], SECRET, sandbox) as drv:
        yield drv


def test_sign_request_matches_slack_algorithm() -> None:
    body = b"token=x&command=%2Fincident"
    expected = hmac.new(SECRET.encode(), b"v0:1700000000:" + body, hashlib.sha256).hexdigest()
    assert sign_request(SECRET, 1700000000, body) == f"v0={expected}"
    verifier = SignatureVerifier(SECRET, clock=type("C", (), {"now": lambda self: 1700000010})())
    assert verifier.is_valid(body, "1700000000", sign_request(SECRET, "1700000000", body))


def test_command_ack_becomes_ephemeral_message(driver: SlackDriver, app: FakeApp) -> None:
    app.acks["command"] = JSONResponse({"text": "Declaring incident…"})
    resp = driver.command("declare db down")
    assert resp.status_code == 200 and resp.json == {"text": "Declaring incident…"}
    sent = app.received[0]
    assert sent["command"] == "/incident" and sent["text"] == "declare db down"
    assert sent["user_id"] == "U0ALICE" and sent["channel_name"] == "incidents"
    assert sent["response_url"].startswith(driver.sandbox.base_url + "/response/")
    [msg] = driver.sandbox.state.messages("C0INCIDENTS")
    assert msg.text == "Declaring incident…" and msg.visible_to == "U0ALICE"
    assert msg.user == "U0OPSBOT"


def test_command_in_channel_and_plain_text_acks(driver: SlackDriver, app: FakeApp) -> None:
    app.acks["command"] = JSONResponse({"response_type": "in_channel", "text": "Incident open"})
    driver.command("declare")
    app.acks["command"] = PlainTextResponse("usage: /incident declare <title>")
    driver.command("help", channel_id="C0ALERTS", user_id="U0BOB")
    app.acks["command"] = Response(status_code=200)
    driver.command("silent")
    [public] = driver.sandbox.state.messages("C0INCIDENTS")
    assert public.text == "Incident open" and public.visible_to is None
    [usage] = driver.sandbox.state.messages("C0ALERTS")
    assert usage.text.startswith("usage:") and usage.visible_to == "U0BOB"


def test_command_payload_keys_match_reference_sample(driver: SlackDriver, app: FakeApp) -> None:
    sample_path = reference_dir() / "slack/samples/app-backend/SlashCommandPayload.json"
    sample = json.loads(sample_path.read_text())
    driver.command("x")
    optional = {"enterprise_id", "enterprise_name"}
    assert set(app.received[0]) == set(sample) - optional


def test_response_url_limits(
    http: httpx.Client, driver: SlackDriver, app: FakeApp, state: SlackState
) -> None:
    driver.command("x")
    url = app.received[0]["response_url"]
    for i in range(5):
        assert http.post(url, json={"text": f"update {i}"}).status_code == 200
    sixth = http.post(url, json={"text": "too many"})
    assert sixth.status_code == 404 and sixth.json()["error"] == "used_url"
    assert len(state.messages("C0INCIDENTS")) == 5
    assert all(m.visible_to == "U0ALICE" for m in state.messages("C0INCIDENTS"))
    state.response_url_ttl_s = 0.05
    driver.command("y")
    time.sleep(0.1)
    late = http.post(app.received[1]["response_url"], json={"text": "late"})
    assert late.status_code == 404 and late.json()["error"] == "expired_url"
    bogus = http.post(driver.sandbox.base_url + "/response/nope", json={"text": "x"})
    assert bogus.status_code == 404


def test_block_action_copies_message_and_response_url_replaces_it(
    http: httpx.Client, driver: SlackDriver, app: FakeApp, client: WebClient, state: SlackState
) -> None:
    ts = client.chat_postMessage(channel="C0INCIDENTS", text="DB", blocks=buttons("Ack"))["ts"]
    driver.block_action("ack", message_ts=ts, user_id="U0BOB")
    payload = app.received[0]
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U0BOB"
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": "C0INCIDENTS",
        "is_ephemeral": False,
    }
    assert payload["message"]["blocks"] == buttons("Ack")
    action = payload["actions"][0]
    assert (action["action_id"], action["block_id"], action["value"]) == (
        "ack",
        "incident_actions",
        "v-ack",
    )
    reply = {"replace_original": True, "text": "Acknowledged by <@U0BOB>"}
    assert http.post(payload["response_url"], json=reply).json()["ok"] is True
    msg = state.message("C0INCIDENTS", ts)
    assert msg is not None and msg.text == "Acknowledged by <@U0BOB>" and msg.edits == 1
    assert http.post(payload["response_url"], json={"delete_original": True}).json()["ok"]
    assert state.message("C0INCIDENTS", ts) is None


def test_trigger_from_command_opens_modal_then_expires(
    driver: SlackDriver, app: FakeApp, client: WebClient, state: SlackState
) -> None:
    driver.command("declare")
    driver.command("declare again")
    first, second = (p["trigger_id"] for p in app.received)
    view = client.views_open(trigger_id=first, view=modal())["view"]
    assert state.open_views("U0ALICE")[0].id == view["id"]
    time.sleep(state.trigger_ttl_s + 0.05)
    assert err(client.views_open, trigger_id=second, view=modal()) == "expired_trigger_id"


def _open(client: WebClient, state: SlackState, user: str = "U0ALICE") -> str:
    return str(client.views_open(trigger_id=state.issue_trigger(user), view=modal())["view"]["id"])


def test_view_submission_payload_and_plain_ack_closes(
    driver: SlackDriver, app: FakeApp, client: WebClient, state: SlackState
) -> None:
    view_id = _open(client, state)
    values = {"title_block": {"title": {"type": "plain_text_input", "value": "DB down"}}}
    driver.view_submission(view_id, values)
    payload = app.received[0]
    assert payload["type"] == "view_submission" and payload["view"]["callback_id"] == "declare"
    assert payload["view"]["private_metadata"] == "C0INCIDENTS"
    assert payload["view"]["state"]["values"] == values
    assert state.open_views("U0ALICE") == []


def test_view_submission_response_actions(
    driver: SlackDriver, app: FakeApp, client: WebClient, state: SlackState
) -> None:
    view_id = _open(client, state)
    errors = {"title_block": "Title is required"}
    app.acks["view_submission"] = JSONResponse({"response_action": "errors", "errors": errors})
    driver.view_submission(view_id, {})
    view = state.view(view_id)
    assert view is not None and view.errors == errors and not view.closed
    app.acks["view_submission"] = JSONResponse({"response_action": "update", "view": modal("Two")})
    driver.view_submission(view_id, {})
    assert [v.title for v in state.open_views("U0ALICE")] == ["Two"]
    app.acks["view_submission"] = JSONResponse({"response_action": "push", "view": modal("Three")})
    driver.view_submission(view_id, {})
    assert [v.title for v in state.open_views("U0ALICE")] == ["Two", "Three"]
    app.acks["view_submission"] = JSONResponse({"response_action": "clear"})
    driver.view_submission(view_id, {})
    assert state.open_views("U0ALICE") == []


def test_event_envelope_and_retry_headers(driver: SlackDriver, app: FakeApp) -> None:
    event = {"type": "app_mention", "user": "U0ALICE", "channel": "C0INCIDENTS", "text": "hi"}
    driver.event(event, event_id="Ev0001", retry_num=1)
    envelope = app.received[0]
    assert envelope["type"] == "event_callback" and envelope["event_id"] == "Ev0001"
    assert envelope["team_id"] == "T0OPSBOT" and envelope["authorizations"][0]["is_bot"]
    assert envelope["event"]["ts"] == envelope["event"]["event_ts"]
    headers = app.headers[0]
    assert headers["x-slack-retry-num"] == "1" and headers["x-slack-retry-reason"] == "http_timeout"
    [stored] = driver.sandbox.state.messages("C0INCIDENTS")
    assert stored.user == "U0ALICE" and stored.text == "hi"
    driver.event(event | {"ts": envelope["event"]["ts"]}, event_id="Ev0001", retry_num=2)
    assert len(driver.sandbox.state.messages("C0INCIDENTS")) == 1
    assert app.headers[1]["x-slack-retry-num"] == "2"
    driver.event({"type": "reaction_added", "user": "U0BOB", "reaction": "eyes"})
    assert "x-slack-retry-num" not in app.headers[2]
    assert app.received[2]["event_id"].startswith("Ev")


def test_url_verification(driver: SlackDriver, app: FakeApp) -> None:
    resp = driver.url_verification("challenge-123")
    assert resp.json == {"challenge": "challenge-123"} and resp.elapsed_s >= 0


@pytest.mark.parametrize(
    "sign",
    [
        {"timestamp": int(time.time()) - 6 * 60},
        {"signature": "v0=bad"},
        {"unsigned": True},
    ],
)
def test_broken_signatures_are_rejected_and_not_applied(
    driver: SlackDriver, app: FakeApp, sign: dict[str, Any]
) -> None:
    app.acks["command"] = JSONResponse({"text": "should not appear"})
    resp = driver.command("x", **sign)
    assert resp.status_code == 401 and app.received == []
    assert driver.sandbox.state.messages("C0INCIDENTS") == []


def test_async_driver(fake_app: tuple[FakeApp, str], app: FakeApp, sandbox: SandboxSlack) -> None:
    app.acks["command"] = JSONResponse({"text": "async ack"})

    async def scenario() -> int:
        async with AsyncSlackDriver(fake_app[1], SECRET, sandbox) as drv:
            return (await drv.command("x", channel_id="C0ALERTS")).status_code

    assert asyncio.run(scenario()) == 200
    assert [m.text for m in sandbox.state.messages("C0ALERTS")] == ["async ack"]
