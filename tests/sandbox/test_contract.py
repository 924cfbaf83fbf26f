"""Contract: the sandbox against Slack's per-method reference specs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox.slack import SandboxSlack, emitted_errors, implemented_methods

from .conftest import TOKEN, modal, reference_dir

VIEW = json.dumps(modal())
HOME = json.dumps({"type": "home", "blocks": []})

#: Valid arguments per method; "$ts", "$view" are filled from a prepared workspace.
VALID_ARGS: dict[str, dict[str, str]] = {
    "auth.test": {},
    "chat.postMessage": {"channel": "C0INCIDENTS", "text": "hi"},
    "chat.postEphemeral": {"channel": "C0INCIDENTS", "user": "U0ALICE", "text": "hi"},
    "chat.update": {"channel": "C0INCIDENTS", "ts": "$ts", "text": "hi"},
    "chat.delete": {"channel": "C0INCIDENTS", "ts": "$ts"},
    "chat.getPermalink": {"channel": "C0INCIDENTS", "message_ts": "$ts"},
    "conversations.create": {"name": "brand-new"},
    "conversations.info": {"channel": "C0INCIDENTS"},
    "conversations.list": {},
    "conversations.invite": {"channel": "C0ALERTS", "users": "U0CAROL"},
    "conversations.join": {"channel": "C0ALERTS"},
    "conversations.members": {"channel": "C0INCIDENTS"},
    "conversations.history": {"channel": "C0INCIDENTS"},
    "conversations.replies": {"channel": "C0INCIDENTS", "ts": "$ts"},
    "conversations.setTopic": {"channel": "C0INCIDENTS", "topic": "t"},
    "conversations.setPurpose": {"channel": "C0INCIDENTS", "purpose": "p"},
    "conversations.archive": {"channel": "C0ALERTS"},
    "conversations.open": {"users": "U0BOB"},
    "pins.add": {"channel": "C0INCIDENTS", "timestamp": "$ts"},
    "pins.remove": {"channel": "C0INCIDENTS", "timestamp": "$pinned"},
    "pins.list": {"channel": "C0INCIDENTS"},
    "bookmarks.add": {
        "channel_id": "C0INCIDENTS",
        "title": "t",
        "type": "link",
        "link": "https://x",
    },
    "bookmarks.list": {"channel_id": "C0INCIDENTS"},
    "reactions.add": {"channel": "C0INCIDENTS", "timestamp": "$ts", "name": "eyes"},
    "views.open": {"trigger_id": "$trigger", "view": VIEW},
    "views.push": {"trigger_id": "$trigger", "view": VIEW},
    "views.update": {"view_id": "$view", "view": VIEW},
    "views.publish": {"user_id": "U0ALICE", "view": HOME},
    "users.info": {"user": "U0ALICE"},
    "users.list": {},
    "users.lookupByEmail": {"email": "alice@example.com"},
    "usergroups.list": {},
    "usergroups.users.list": {"usergroup": "S0ONCALL"},
}


def spec(method: str) -> dict[str, Any]:
    path = reference_dir() / "slack" / "methods" / f"{method}.json"
    assert path.is_file(), f"no reference spec for {method} at {path}"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def spec_errors(data: dict[str, Any]) -> set[str]:
    errors = data.get("errors") or {}
    return set(errors) if isinstance(errors, dict | list) else set()


def call(
    http: httpx.Client, sandbox: SandboxSlack, method: str, args: dict[str, str]
) -> dict[str, Any]:
    resp = http.post(
        sandbox.api_url + method, data=args, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def prepared_args(http: httpx.Client, sandbox: SandboxSlack, method: str) -> dict[str, str]:
    state = sandbox.state
    state.add_usergroup("S0ONCALL", "oncall", ["U0ALICE"])
    ts = state.store_message("C0INCIDENTS", state.bot_user_id, "parent").ts
    pinned = state.store_message("C0INCIDENTS", state.bot_user_id, "pinned")
    pinned.pinned = True
    opened = call(
        http, sandbox, "views.open", {"trigger_id": state.issue_trigger("U0ALICE"), "view": VIEW}
    )
    values = {"$ts": ts, "$pinned": pinned.ts, "$view": opened["view"]["id"]}
    args = dict(VALID_ARGS[method])
    for key, value in args.items():
        if value == "$trigger":
            args[key] = state.issue_trigger("U0ALICE")
        elif value.startswith("$"):
            args[key] = values[value]
    return args


def test_valid_args_table_covers_every_method() -> None:
    assert sorted(VALID_ARGS) == implemented_methods()


@pytest.mark.parametrize("method", implemented_methods())
def test_spec_exists_and_http_verb_matches(
    http: httpx.Client, method: str, sandbox: SandboxSlack
) -> None:
    data = spec(method)
    resp = http.get(sandbox.api_url + method, headers={"Authorization": f"Bearer {TOKEN}"})
    accepts_get = resp.status_code != 405
    assert accepts_get == (data["http_method"] == "GET")


@pytest.mark.parametrize("method", implemented_methods())
def test_emitted_errors_are_documented(method: str) -> None:
    undocumented = emitted_errors()[method] - spec_errors(spec(method))
    assert not undocumented, f"{method} may emit undocumented errors: {sorted(undocumented)}"


@pytest.mark.parametrize("method", implemented_methods())
def test_required_args_are_enforced(http: httpx.Client, method: str, sandbox: SandboxSlack) -> None:
    data = spec(method)
    allowed = spec_errors(data) | {"invalid_arguments"}
    args = prepared_args(http, sandbox, method)
    for name in data["args"].get("required", []):
        if name == "token":
            continue
        partial = {k: v for k, v in args.items() if k != name}
        body = call(http, sandbox, method, partial)
        assert body["ok"] is False, f"{method} accepted a call without {name!r}"
        assert body["error"] in allowed, f"{method} without {name}: {body['error']}"
    body = call(http, sandbox, method, args)
    assert body["ok"] is True, f"{method} with valid args: {body}"


def test_missing_token_is_not_authed(http: httpx.Client, sandbox: SandboxSlack) -> None:
    for method in implemented_methods():
        assert http.post(sandbox.api_url + method).json()["error"] == "not_authed"


def test_reference_dir_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("OPSBOT_REFERENCE_DIR", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="OPSBOT_REFERENCE_DIR"):
        reference_dir()
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception):
        reference_dir()
