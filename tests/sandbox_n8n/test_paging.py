"""Lists: cursors (``lastId`` for executions, offset for workflows) and the filters."""

from __future__ import annotations

from typing import Any

import httpx

from bot.sandbox.n8n import N8nState

from .conftest import cursor, ok


def every_page(api: httpx.Client, path: str, params: dict[str, Any]) -> list[list[str]]:
    pages, next_cursor = [], None
    while True:
        body = ok(
            api.get(path, params={**params, **({"cursor": next_cursor} if next_cursor else {})})
        )
        pages.append([item["id"] for item in body["data"]])
        next_cursor = body["nextCursor"]
        if next_cursor is None:
            return pages


def test_executions_page_newest_id_first_with_a_last_id_cursor(
    api: httpx.Client, state: N8nState
) -> None:
    wf = state.add_workflow("w")
    ids = [state.success(wf).id for _ in range(7)]
    first = ok(api.get("/executions", params={"limit": 3}))
    assert [e["id"] for e in first["data"]] == ["7", "6", "5"]
    assert cursor(first["nextCursor"]) == {"lastId": "5", "limit": 3}
    pages = every_page(api, "/executions", {"limit": 3})
    assert pages == [["7", "6", "5"], ["4", "3", "2"], ["1"]]
    assert sorted((i for page in pages for i in page), key=int) == ids


def test_no_cursor_when_a_page_ends_exactly_at_the_last(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("w")
    for _ in range(4):
        state.success(wf)
    assert every_page(api, "/executions", {"limit": 2}) == [["4", "3"], ["2", "1"]]
    assert ok(api.get("/executions", params={"limit": 4}))["nextCursor"] is None


def test_the_default_page_is_100(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("w")
    for _ in range(102):
        state.success(wf)
    body = ok(api.get("/executions"))
    assert len(body["data"]) == 100 and cursor(body["nextCursor"])["limit"] == 100
    assert len(ok(api.get("/executions", params={"limit": 250}))["data"]) == 102


def test_the_cursor_limit_wins_and_filters_must_be_sent_again(
    api: httpx.Client, state: N8nState
) -> None:
    a, b = state.add_workflow("a"), state.add_workflow("b")
    for n in range(6):
        state.success(a if n % 2 else b)
    first = ok(api.get("/executions", params={"limit": 2, "workflowId": a.id}))
    assert [e["id"] for e in first["data"]] == ["6", "4"]
    same = {"cursor": first["nextCursor"], "limit": 50, "workflowId": a.id}
    assert [e["id"] for e in ok(api.get("/executions", params=same))["data"]] == ["2"]
    forgot = ok(api.get("/executions", params={"cursor": first["nextCursor"]}))
    assert [e["id"] for e in forgot["data"]] == ["3", "2"]  # every workflow, two at a time


def test_status_filter(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("w", ["Webhook", "Wait", "Work"])
    made = {
        "success": state.success(wf).id,
        "error": state.error(wf, "Work", "boom").id,
        "crashed": state.crashed(wf, "Work").id,
        "canceled": state.canceled(wf, "Work").id,
        "waiting": state.waiting(wf).id,
        "running": state.running(wf).id,
        "new": state.add_execution(wf, "new").id,
    }

    def listed(**params: str) -> list[str]:
        return [e["id"] for e in ok(api.get("/executions", params=params))["data"]]

    assert listed(status="error") == [made["crashed"], made["error"]]
    assert listed(status="success") == [made["success"]]
    assert listed(status="canceled") == [made["canceled"]]
    assert listed(status="waiting") == [made["waiting"]]
    assert listed(status="running") == [made["running"]]
    # running and queued executions are left out unless status=running is asked
    assert set(listed()) == {
        made[s] for s in ("success", "error", "crashed", "canceled", "waiting")
    }
    assert ok(api.get(f"/executions/{made['running']}"))["status"] == "running"


def test_workflow_filter(api: httpx.Client, state: N8nState) -> None:
    a, b = state.add_workflow("a"), state.add_workflow("b")
    mine = [state.success(a).id, state.error(a, "Work", "x").id]
    state.success(b)
    body = ok(api.get("/executions", params={"workflowId": a.id}))
    assert [e["id"] for e in body["data"]] == mine[::-1]
    assert {e["workflowId"] for e in body["data"]} == {a.id}
    unknown = ok(api.get("/executions", params={"workflowId": "NoSuchWorkflow00"}))
    assert unknown == {"data": [], "nextCursor": None}


def test_include_data_in_lists(api: httpx.Client, state: N8nState) -> None:
    wf = state.add_workflow("w")
    state.error(wf, "Work", "boom")
    state.success(wf)
    bare = ok(api.get("/executions"))["data"]
    assert all("data" not in e and "workflowData" not in e for e in bare)
    full = ok(api.get("/executions", params={"includeData": "true", "status": "error"}))["data"]
    assert [e["data"]["resultData"]["error"]["message"] for e in full] == ["boom"]
    assert full[0]["workflowData"]["name"] == "w" and full[0]["customData"] == {}


def test_workflows_page_with_an_offset_cursor(api: httpx.Client, state: N8nState) -> None:
    ids = [state.add_workflow(f"wf-{n}").id for n in range(5)]
    first = ok(api.get("/workflows", params={"limit": 2}))
    assert cursor(first["nextCursor"]) == {"limit": 2, "offset": 2}
    assert every_page(api, "/workflows", {"limit": 2}) == [ids[:2], ids[2:4], ids[4:]]
    assert ok(api.get("/workflows", params={"limit": 5}))["nextCursor"] is None


def test_workflow_filters(api: httpx.Client, state: N8nState) -> None:
    digest = state.add_workflow("Ops Digest", tags=("ops", "daily"))
    state.add_workflow("ops-sync", active=False, tags=("ops",))
    state.add_workflow("billing", archived=True)

    def names(**params: str) -> list[str]:
        return [w["name"] for w in ok(api.get("/workflows", params=params))["data"]]

    assert names() == ["Ops Digest", "ops-sync", "billing"]
    assert names(name=" ops ") == ["Ops Digest", "ops-sync"]  # trimmed, any case, a substring
    assert names(name="Ops Digest") == ["Ops Digest"]
    assert names(active="false") == ["ops-sync"]
    assert names(active="true") == ["Ops Digest", "billing"]
    assert names(tags="ops,daily") == ["Ops Digest"]
    assert names(tags="ops") == ["Ops Digest", "ops-sync"]
    assert ok(api.get(f"/workflows/{digest.id}"))["tags"][1]["name"] == "daily"
