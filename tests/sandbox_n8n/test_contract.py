"""The contract: auth, routes, 404s, validation, and payloads shaped like real n8n's."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.sandbox.n8n import WAIT_INDEFINITELY, N8nState, SandboxN8n

from .conftest import KEY, error, ok

REFERENCE = Path("/work/shared/reference/n8n")
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def reference(name: str) -> dict[str, Any]:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def test_the_api_key_is_required_and_checked(sandbox: SandboxN8n, state: N8nState) -> None:
    url = f"{sandbox.url}/api/v1/executions"
    assert error(httpx.get(url), 401) == "'X-N8N-API-KEY' header required"
    assert error(httpx.get(url, headers={"X-N8N-API-KEY": ""}), 401) == (
        "'X-N8N-API-KEY' header required"
    )
    assert error(httpx.get(url, headers={"X-N8N-API-KEY": "wrong"}), 401) == "unauthorized"
    assert ok(httpx.get(url, headers={"x-n8n-api-key": KEY})) == {"data": [], "nextCursor": None}
    assert [(c.path, c.status, c.message) for c in state.calls()] == [
        ("/api/v1/executions", 401, "'X-N8N-API-KEY' header required"),
        ("/api/v1/executions", 401, "'X-N8N-API-KEY' header required"),
        ("/api/v1/executions", 401, "unauthorized"),
        ("/api/v1/executions", 200, None),
    ]


def test_unknown_routes_and_methods(api: httpx.Client, sandbox: SandboxN8n) -> None:
    assert error(api.get("/nothing-here"), 404) == "not found"
    assert error(httpx.get(f"{sandbox.url}/api/v1/nothing"), 404) == "not found"  # before auth
    assert error(api.post("/executions", json={}), 405) == "POST method not allowed"
    assert httpx.get(f"{sandbox.url}/healthz").json() == {"status": "ok"}


def test_unknown_ids_are_404_not_found(api: httpx.Client, state: N8nState) -> None:
    state.add_workflow("known", workflow_id="AbCdEfGhIjKlMnOp")
    assert error(api.get("/executions/12345"), 404) == "Not Found"
    assert error(api.get("/workflows/NoSuchWorkflow00"), 404) == "Not Found"
    assert ok(api.get("/workflows/AbCdEfGhIjKlMnOp"))["name"] == "known"
    assert error(api.get("/executions/abc"), 400) == "request/params/id must be number"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"limit": "251"}, "request/query/limit must be <= 250"),
        ({"limit": "many"}, "request/query/limit must be number"),
        ({"includeData": "yes"}, "request/query/includeData must be boolean"),
        (
            {"status": "failed"},
            "request/query/status must be equal to one of the allowed values: "
            "canceled, error, running, success, waiting",
        ),
        ({"cursor": "not-a-cursor"}, "An invalid cursor was provided"),
        ({"cursor": "W10="}, "An invalid cursor was provided"),  # base64 of []
    ],
)
def test_query_validation(api: httpx.Client, params: dict[str, str], message: str) -> None:
    assert error(api.get("/executions", params=params), 400) == message


def test_workflow_list_validation(api: httpx.Client) -> None:
    assert error(api.get("/workflows", params={"active": "1"}), 400) == (
        "request/query/active must be boolean"
    )
    assert error(api.get("/workflows", params={"limit": "300"}), 400) == (
        "request/query/limit must be <= 250"
    )


def test_a_success_is_shaped_like_the_real_one(api: httpx.Client, state: N8nState) -> None:
    real = reference("n8n_execution_success.json")
    wf = state.add_workflow("chatops-peer-webhook", ["Webhook", "Work"])
    done = state.success(wf, duration=0.006)
    body = ok(api.get(f"/executions/{done.id}"))
    assert list(body) == list(real)
    assert {k: type(v) for k, v in body.items()} == {k: type(v) for k, v in real.items()}
    assert body["id"] == done.id and body["workflowId"] == wf.id
    assert (body["status"], body["finished"], body["mode"]) == ("success", True, "webhook")
    assert ISO_Z.match(body["startedAt"]) and ISO_Z.match(body["stoppedAt"])
    assert "data" not in body  # includeData defaults to false


def test_an_error_with_data_is_shaped_like_the_real_one(api: httpx.Client, state: N8nState) -> None:
    real = reference("n8n_execution_error_includeData.json")
    wf = state.add_workflow("chatops-peer-webhook", ["Webhook", "Work", "Reply"])
    failed = state.error(wf, "Work", "boom [line 2]")
    body = ok(api.get(f"/executions/{failed.id}", params={"includeData": "true"}))
    assert list(body) == list(real)
    assert list(body["data"]) == list(real["data"])
    assert list(body["data"]["resultData"]) == list(real["data"]["resultData"])
    assert list(body["data"]["executionData"]) == list(real["data"]["executionData"])
    assert list(body["workflowData"]) == list(real["workflowData"])
    assert (body["status"], body["finished"]) == ("error", False)
    result = body["data"]["resultData"]
    assert result["error"]["message"] == "boom [line 2]"
    assert result["lastNodeExecuted"] == "Work"
    assert list(result["runData"]) == ["Webhook", "Work"]  # the node after never ran
    real_task = real["data"]["resultData"]["runData"]["Work"][0]
    task = result["runData"]["Work"][0]
    assert set(task) == set(real_task)
    assert (task["executionStatus"], task["executionIndex"]) == ("error", 1)
    assert task["source"] == [
        {"previousNode": "Webhook", "previousNodeOutput": 0, "previousNodeRun": 0}
    ]
    assert result["runData"]["Webhook"][0]["executionStatus"] == "success"
    stack = body["data"]["executionData"]["nodeExecutionStack"]
    assert [entry["node"]["name"] for entry in stack] == ["Work"]
    assert body["workflowData"]["name"] == "chatops-peer-webhook"
    assert [n["name"] for n in body["workflowData"]["nodes"]] == ["Webhook", "Work", "Reply"]


def test_waiting_running_and_queued(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("approve", ["Webhook", "Prepare", "Wait", "Apply"])
    waits = state.waiting(wf)
    until = state.waiting(wf, wait_till=WAIT_INDEFINITELY.replace(year=2030))
    runs = state.running(wf, "Prepare")
    queued = state.add_execution(wf, "new")
    body = ok(api.get(f"/executions/{waits.id}", params={"includeData": "true"}))
    assert (body["status"], body["waitTill"]) == ("waiting", "3000-01-01T00:00:00.000Z")
    assert body["stoppedAt"] is not None and body["finished"] is False
    assert body["data"]["resultData"]["lastNodeExecuted"] == "Wait"
    assert list(body["data"]["resultData"]["runData"]) == ["Webhook", "Prepare", "Wait"]
    assert ok(api.get(f"/executions/{until.id}"))["waitTill"] == "2030-01-01T00:00:00.000Z"
    body = ok(api.get(f"/executions/{runs.id}", params={"includeData": "true"}))
    assert (body["status"], body["stoppedAt"], body["finished"]) == ("running", None, False)
    assert list(body["data"]["resultData"]["runData"]) == ["Webhook"]
    stack = body["data"]["executionData"]["nodeExecutionStack"]
    assert [entry["node"]["name"] for entry in stack] == ["Prepare"]
    body = ok(api.get(f"/executions/{queued.id}"))
    assert (body["status"], body["startedAt"], body["stoppedAt"]) == ("new", None, None)


def test_crashed_and_canceled_carry_their_reason(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("etl", ["Cron", "Load"])
    crashed = state.crashed(wf, "Load")
    canceled = state.canceled(wf, "Load", mode="manual")
    body = ok(api.get(f"/executions/{crashed.id}", params={"includeData": "true"}))
    assert body["status"] == "crashed"
    assert body["data"]["resultData"]["error"]["message"] == (
        "Workflow did not finish, possible out-of-memory issue"
    )
    body = ok(api.get(f"/executions/{canceled.id}", params={"includeData": "true"}))
    assert (body["status"], body["mode"]) == ("canceled", "manual")
    assert body["data"]["resultData"]["error"]["message"] == "The execution was cancelled"


def test_retries_link_both_ways(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("sync", ["Webhook", "Push"])
    first = state.error(wf, "Push", "HTTP 502")
    second = state.retry(first, "error", node="Push", message="HTTP 502")
    third = state.retry(second)
    bodies = {e.id: ok(api.get(f"/executions/{e.id}")) for e in (first, second, third)}
    assert [(b["mode"], b["retryOf"], b["retrySuccessId"]) for b in bodies.values()] == [
        ("webhook", None, None),
        ("retry", first.id, third.id),
        ("retry", second.id, None),
    ]


def test_workflows_are_shaped_like_n8n_2(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("digest", ["Schedule Trigger", "Fetch", "Post"], tags=("ops",))
    body = ok(api.get(f"/workflows/{wf.id}"))
    assert re.fullmatch(r"[A-Za-z0-9]{16}", body["id"])
    assert (body["name"], body["active"], body["isArchived"]) == ("digest", True, False)
    assert body["activeVersionId"] == body["versionId"]
    assert [n["type"] for n in body["nodes"]] == [
        "n8n-nodes-base.scheduleTrigger",
        "n8n-nodes-base.code",
        "n8n-nodes-base.code",
    ]
    assert body["connections"]["Fetch"] == {
        "main": [[{"node": "Post", "type": "main", "index": 0}]]
    }
    assert [t["name"] for t in body["tags"]] == ["ops"]
    assert ISO_Z.match(body["createdAt"])
