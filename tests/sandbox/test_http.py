"""HTTP-level behaviour: body encodings, tokens, unknown methods, verbs, the registry guard."""

from __future__ import annotations

import threading

import httpx
import pytest

from bot.sandbox.slack import SandboxSlack, SlackError, SlackState
from bot.sandbox.slack._registry import REGISTRY, UndeclaredError, call, method

from .conftest import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_form_body_with_token_field(http: httpx.Client, sandbox: SandboxSlack) -> None:
    resp = http.post(
        sandbox.api_url + "chat.postMessage",
        data={"token": TOKEN, "channel": "C0ALERTS", "text": "form"},
    )
    assert resp.status_code == 200 and resp.json()["ok"] is True
    assert "token" not in sandbox.state.calls()[-1].args


def test_json_body_with_list_blocks(http: httpx.Client, sandbox: SandboxSlack) -> None:
    body = {"channel": "C0ALERTS", "text": "json", "blocks": [{"type": "divider"}]}
    resp = http.post(sandbox.api_url + "chat.postMessage", json=body, headers=AUTH)
    assert resp.json()["message"]["blocks"] == [{"type": "divider"}]


@pytest.mark.parametrize(
    ("headers", "data", "error"),
    [
        ({}, {}, "not_authed"),
        ({"Authorization": "Bearer xoxb-wrong"}, {}, "invalid_auth"),
        ({}, {"token": "xoxb-wrong"}, "invalid_auth"),
    ],
)
def test_auth_errors(
    http: httpx.Client,
    sandbox: SandboxSlack,
    headers: dict[str, str],
    data: dict[str, str],
    error: str,
) -> None:
    resp = http.post(sandbox.api_url + "auth.test", data=data, headers=headers)
    assert resp.status_code == 200 and resp.json() == {"ok": False, "error": error}


def test_unknown_method_and_bad_json(http: httpx.Client, sandbox: SandboxSlack) -> None:
    unknown = http.post(sandbox.api_url + "chat.teleport", headers=AUTH).json()
    assert unknown == {"ok": False, "error": "unknown_method"}
    broken = http.post(
        sandbox.api_url + "chat.postMessage",
        content=b"{nope",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert broken.json()["error"] == "invalid_json"
    listed = http.post(
        sandbox.api_url + "chat.postMessage",
        content=b"[1]",
        headers={**AUTH, "Content-Type": "application/json"},
    )
    assert listed.json()["error"] == "json_not_object"


def test_get_only_where_the_spec_allows(http: httpx.Client, sandbox: SandboxSlack) -> None:
    info = http.get(sandbox.api_url + "conversations.info?channel=C0ALERTS", headers=AUTH)
    assert info.json()["channel"]["name"] == "alerts"
    post_only = http.get(sandbox.api_url + "chat.postMessage?channel=C0ALERTS&text=x", headers=AUTH)
    assert post_only.status_code == 405


def test_undeclared_error_is_a_sandbox_bug() -> None:
    @method("test.undeclared", errors={"declared"})
    def handler(state: SlackState, args: object) -> dict[str, object]:
        raise SlackError("surprise")

    try:
        with pytest.raises(UndeclaredError, match="surprise"):
            call(SlackState(), "test.undeclared", {})
    finally:
        del REGISTRY["test.undeclared"]


def test_start_stop_leaves_no_threads(http: httpx.Client) -> None:
    before = set(threading.enumerate())
    sandbox = SandboxSlack(port=0)
    sandbox.start()
    assert sandbox.port != 0 and sandbox.api_url == f"http://127.0.0.1:{sandbox.port}/api/"
    assert http.post(sandbox.api_url + "auth.test", headers=AUTH).json()["ok"] is True
    sandbox.stop()
    sandbox.stop()  # idempotent
    assert set(threading.enumerate()) <= before
    with httpx.Client(timeout=1) as probe, pytest.raises(httpx.ConnectError):
        probe.post(sandbox.api_url + "auth.test")


def test_reset_swaps_workspace(http: httpx.Client, sandbox: SandboxSlack) -> None:
    http.post(sandbox.api_url + "auth.test", headers=AUTH)
    fresh = sandbox.reset(SlackState(bot_token="xoxb-other"))
    assert fresh.calls() == []
    assert http.post(sandbox.api_url + "auth.test", headers=AUTH).json()["error"] == "invalid_auth"
    other = {"Authorization": "Bearer xoxb-other"}
    assert http.post(sandbox.api_url + "auth.test", headers=other).json()["ok"] is True
