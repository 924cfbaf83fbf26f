"""Raw HTTP: auth, Notion-Version, error envelope, bad JSON and URLs, the /_sandbox controls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from notion_client import Client
from notion_client.errors import APIErrorCode

from bot.sandbox.notion import NotionState, SandboxNotion

from .conftest import TOKEN, api_error

HEADERS = {"Authorization": f"Bearer {TOKEN}", "Notion-Version": "2025-09-03"}


def call(
    http: httpx.Client,
    sandbox: SandboxNotion,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    return http.request(method, sandbox.url + path, headers=headers or HEADERS, **kwargs)


def assert_error(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    body: dict[str, Any] = resp.json()
    assert resp.status_code == status
    assert (body["object"], body["status"], body["code"]) == ("error", status, code)
    assert isinstance(body["message"], str) and body["message"]
    return body


def test_wrong_or_missing_token_is_401(
    http: httpx.Client, sandbox: SandboxNotion, make_client: Any
) -> None:
    bad = {**HEADERS, "Authorization": "Bearer secret_wrong"}
    body = assert_error(call(http, sandbox, "GET", "/v1/users/me", bad), 401, "unauthorized")
    assert body["message"] == "API token is invalid."
    no_auth = {"Notion-Version": "2025-09-03"}
    assert_error(call(http, sandbox, "GET", "/v1/users/me", no_auth), 401, "unauthorized")
    client: Client = make_client(auth="secret_wrong")
    error = api_error(client.users.me)
    assert (error.status, error.code) == (401, APIErrorCode.Unauthorized)
    assert [c.status for c in sandbox.state.calls()] == [401, 401, 401]


def test_notion_version_is_required_and_checked(http: httpx.Client, sandbox: SandboxNotion) -> None:
    no_version = {"Authorization": f"Bearer {TOKEN}"}
    body = assert_error(
        call(http, sandbox, "GET", "/v1/users/me", no_version), 400, "missing_version"
    )
    assert "Notion-Version" in body["message"]
    old = {**HEADERS, "Notion-Version": "2022-06-28"}
    body = assert_error(call(http, sandbox, "GET", "/v1/users/me", old), 400, "invalid_request")
    assert "2025-09-03" in body["message"]
    assert [c.notion_version for c in sandbox.state.calls()] == [None, "2022-06-28"]


def test_an_older_notion_version_can_be_allowed(http: httpx.Client, sandbox: SandboxNotion) -> None:
    sandbox.reset(NotionState(versions=("2025-09-03", "2022-06-28")))
    old = {**HEADERS, "Notion-Version": "2022-06-28"}
    assert call(http, sandbox, "GET", "/v1/users/me", old).status_code == 200


def test_client_sends_version_2025_09_03_by_default(client: Client, state: NotionState) -> None:
    client.users.me()
    client.databases.retrieve(state.database_id)
    calls = state.calls()
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", "/v1/users/me", 200),
        ("GET", f"/v1/databases/{state.database_id}", 200),
    ]
    assert {c.notion_version for c in calls} == {"2025-09-03"}
    assert state.count("GET", "/v1/databases") == 1 and state.count() == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nope"),
        ("DELETE", "/v1/pages/00000000-0000-4000-8000-000000000000"),
        ("POST", "/v1/databases/00000000-0000-4000-8000-000000000000/query"),  # gone in 3.x
        ("GET", "/pages"),
    ],
)
def test_unknown_urls(http: httpx.Client, sandbox: SandboxNotion, method: str, path: str) -> None:
    assert_error(call(http, sandbox, method, path), 400, "invalid_request_url")


def test_bad_json_bodies(http: httpx.Client, sandbox: SandboxNotion) -> None:
    headers = {**HEADERS, "Content-Type": "application/json"}
    resp = call(http, sandbox, "POST", "/v1/pages", headers, content=b"{not json")
    assert_error(resp, 400, "invalid_json")
    resp = call(http, sandbox, "POST", "/v1/pages", headers, content=b"[1, 2]")
    assert_error(resp, 400, "validation_error")


def test_sandbox_controls(http: httpx.Client, sandbox: SandboxNotion, client: Client) -> None:
    client.users.me()
    journal = http.get(sandbox.url + "/_sandbox/journal").json()
    assert [c["path"] for c in journal["calls"]] == ["/v1/users/me"]
    fault = {"path_prefix": "/v1/users", "kind": "error", "status": 503, "times": 1}
    assert http.post(sandbox.url + "/_sandbox/faults", json=fault).json()["ok"] is True
    assert_error(call(http, sandbox, "GET", "/v1/users/me"), 503, "service_unavailable")
    assert len(http.get(sandbox.url + "/_sandbox/faults").json()["faults"]) == 1
    assert http.delete(sandbox.url + "/_sandbox/faults").json() == {"ok": True}
    assert sandbox.state.faults == []
    bad = http.post(sandbox.url + "/_sandbox/faults", json={"kind": "explode"})
    assert bad.status_code == 400
    assert http.get(sandbox.url + "/_sandbox/pages").json() == {"ok": True, "pages": []}
