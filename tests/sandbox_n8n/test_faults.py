"""Faults (429 with Retry-After, 5xx, slow answers), the journal, seeding, /_sandbox controls."""

from __future__ import annotations

import time

import httpx
import pytest

from bot.sandbox.n8n import N8nFault, N8nState, SandboxN8n, demo_state
from tests.waiting import wait_until

from .conftest import KEY, error, ok


def test_rate_limited_with_retry_after_then_served(api: httpx.Client, state: N8nState) -> None:
    state.add_fault(N8nFault("/api/v1/executions", kind="rate_limited", retry_after=7, times=1))
    limited = api.get("/executions")
    assert error(limited, 429) == "Too Many Requests"
    assert limited.headers["retry-after"] == "7"
    assert ok(api.get("/executions")) == {"data": [], "nextCursor": None}
    assert [(c.status, c.fault) for c in state.calls()] == [(429, "rate_limited"), (200, None)]


def test_retry_after_may_be_an_http_date(api: httpx.Client, state: N8nState) -> None:
    date = "Wed, 21 Oct 2099 07:28:00 GMT"
    state.add_fault(N8nFault(kind="rate_limited", retry_after=date, times=1))
    assert api.get("/workflows").headers["retry-after"] == date


def test_server_errors(api: httpx.Client, state: N8nState) -> None:
    state.add_fault(N8nFault("/api/v1/executions/", kind="error", status=500, times=1))
    assert error(api.get("/executions/1"), 500) == "Injected error 500"
    state.add_fault(N8nFault("/api/v1/workflows", method="GET", status=502, times=1))
    proxy = api.get("/workflows")
    assert proxy.status_code == 502 and proxy.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in proxy.text
    assert ok(api.get("/workflows"))["data"] == []
    assert [(c.path, c.status, c.message) for c in state.calls()] == [
        ("/api/v1/executions/1", 500, "Injected error 500"),
        ("/api/v1/workflows", 502, "502 Bad Gateway"),
        ("/api/v1/workflows", 200, None),
    ]


def test_every_nth_call_fails(api: httpx.Client, state: N8nState) -> None:
    state.add_fault(N8nFault(kind="error", status=503, every=3))
    statuses = [api.get("/workflows").status_code for _ in range(7)]
    assert [n for n, s in enumerate(statuses, 1) if s == 503] == [3, 6]


def test_faults_come_after_auth(sandbox: SandboxN8n, state: N8nState) -> None:
    state.add_fault(N8nFault(kind="error", status=503, times=1))
    assert error(httpx.get(f"{sandbox.url}/api/v1/workflows"), 401)
    assert state.faults[0].fired == 0


def test_a_slow_answer(api: httpx.Client, state: N8nState) -> None:
    state.add_fault(N8nFault("/api/v1/executions", kind="delay", delay=0.3, times=1))
    started = time.monotonic()
    ok(api.get("/executions"))
    assert time.monotonic() - started >= 0.3
    assert [(c.status, c.fault) for c in state.calls()] == [(200, "delay")]


def test_a_client_that_gives_up_is_journaled_as_dropped(
    sandbox: SandboxN8n, state: N8nState
) -> None:
    state.add_fault(N8nFault(kind="delay", delay=3.0, times=1))
    headers = {"X-N8N-API-KEY": KEY}
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sandbox.url}/api/v1/executions", headers=headers, timeout=0.2)
    calls = wait_until(lambda: state.calls(), timeout=4, what="the dropped request")
    assert (calls[0].status, calls[0].fault) == (499, "delay")


def test_the_journal_records_queries(api: httpx.Client, state: N8nState) -> None:
    api.get("/executions", params={"status": "error", "limit": 5})
    api.get("/executions/9", params={"includeData": "true"})
    calls = state.calls("/api/v1/executions")
    assert [(c.method, c.path, c.query, c.status) for c in calls] == [
        ("GET", "/api/v1/executions", {"status": "error", "limit": "5"}, 200),
        ("GET", "/api/v1/executions/9", {"includeData": "true"}, 404),
    ]
    assert calls[1].message == "Not Found"
    assert state.count("GET") == 2 and state.count("GET", "/api/v1/workflows") == 0


def test_sandbox_controls_over_http(sandbox: SandboxN8n, state: N8nState) -> None:
    base = f"{sandbox.url}/_sandbox"
    fault = {"kind": "rate_limited", "retry_after": 2, "times": 1}
    assert httpx.post(f"{base}/faults", json=fault).json()["ok"] is True
    assert httpx.post(f"{base}/faults", json={"kind": "explode"}).status_code == 400
    assert [f["kind"] for f in httpx.get(f"{base}/faults").json()["faults"]] == ["rate_limited"]
    seeded = httpx.post(
        f"{base}/seed",
        json={
            "workflows": [{"name": "ops", "nodes": ["Webhook", "Fetch", "Wait", "Post"]}],
            "executions": [
                {"workflow": "ops", "status": "success", "ago": 600, "duration": 3},
                {"workflow": "ops", "status": "error", "node": "Fetch", "message": "ETIMEDOUT"},
                {"workflow": "ops", "status": "waiting", "node": "Wait"},
                {"workflow": "ops", "status": "success", "retry_of": "2"},
            ],
        },
    ).json()
    assert seeded["ok"] is True and seeded["executions"] == ["1", "2", "3", "4"]
    assert state.execution("2").retry_success_id == "4"
    assert state.execution("3").wait_till is not None
    assert (
        httpx.post(f"{base}/seed", json={"executions": [{"workflow": "nope"}]}).status_code == 400
    )
    headers = {"X-N8N-API-KEY": KEY}
    assert httpx.get(f"{sandbox.url}/api/v1/workflows", headers=headers).status_code == 429
    journal = httpx.get(f"{base}/journal", params={"path_prefix": "/api/v1/"}).json()["calls"]
    assert [(c["path"], c["status"], c["fault"]) for c in journal] == [
        ("/api/v1/workflows", 429, "rate_limited")
    ]
    assert httpx.delete(f"{base}/faults").json() == {"ok": True} and state.faults == []


def test_reset_swaps_the_instance(sandbox: SandboxN8n, state: N8nState) -> None:
    state.add_workflow("before")
    fresh = sandbox.reset()
    assert fresh is not state and fresh.workflows() == []
    assert sandbox.state is fresh


def test_the_demo_instance_has_every_state(api: httpx.Client, sandbox: SandboxN8n) -> None:
    demo = sandbox.reset(demo_state(KEY))
    statuses = {e.status for e in demo.executions()}
    assert statuses == {"success", "error", "crashed", "canceled", "waiting", "running"}
    assert any(e.retry_of for e in demo.executions())
    assert {w["name"] for w in ok(api.get("/workflows"))["data"]} == {
        "ops-digest",
        "invoice-sync",
        "lead-enrich",
        "legacy-export",
    }


def test_seeding_rejects_what_n8n_could_not_hold(state: N8nState) -> None:
    wf = state.add_workflow("w", ["Webhook", "Work"])
    with pytest.raises(ValueError, match="no node"):
        state.error(wf, "Elsewhere", "boom")
    with pytest.raises(ValueError, match="unknown status"):
        state.add_execution(wf, "exploded")
    with pytest.raises(ValueError, match="distinct"):
        state.add_workflow("dup", ["A", "A"])
    with pytest.raises(KeyError):
        state.success("no such workflow")
