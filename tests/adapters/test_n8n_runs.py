"""``N8nRuns`` against the sandbox n8n: states, names, failures, paging, filters, errors."""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest

from bot.adapters.n8n_runs import N8nRuns
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import RunSource, RunState, Step
from bot.sandbox.n8n import N8nFault, N8nState, SandboxN8n

KEY = "n8n_api_9f2c51d7e0b84a6f"  # distinctive, so a leak is easy to spot
T = TypeVar("T")


@pytest.fixture(scope="module")
def _running() -> Iterator[SandboxN8n]:
    with SandboxN8n() as running:
        yield running


@pytest.fixture
def state() -> N8nState:
    return N8nState(api_key=KEY)


@pytest.fixture
def sandbox(_running: SandboxN8n, state: N8nState) -> SandboxN8n:
    _running.reset(state)
    return _running


@pytest.fixture
def source(sandbox: SandboxN8n) -> N8nRuns:
    return N8nRuns(sandbox.url, KEY, timeout=2.0)


def run(coro: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coro)


def hours_ago(hours: float) -> datetime:
    return datetime.now(UTC) - timedelta(hours=hours)


def data_requests(state: N8nState) -> list[str]:
    """The execution ids fetched with ``includeData=true``."""
    calls = state.calls("/api/v1/executions/")
    return sorted(c.path.rsplit("/", 1)[1] for c in calls if c.query.get("includeData") == "true")


def test_it_is_a_run_source(source: N8nRuns) -> None:
    checked: RunSource = source
    assert checked.name == "n8n"


def test_states_names_and_times(source: N8nRuns, state: N8nState, sandbox: SandboxN8n) -> None:
    wf = state.add_workflow("lead-enrich", ["Webhook", "Enrich", "Wait", "Update CRM"])
    made = {
        "success": state.success(wf, ago=600, duration=2.5),
        "error": state.error(wf, "Enrich", "boom", ago=500),
        "crashed": state.crashed(wf, "Update CRM", ago=400),
        "canceled": state.canceled(wf, "Enrich", ago=300),
        "waiting": state.waiting(wf, ago=200),
        "running": state.running(wf, "Enrich", ago=100),
    }
    state.add_execution(wf, "new")  # queued: n8n lists it nowhere
    runs = run(source.runs(since=hours_ago(1), workflow=None, limit=50))
    by_id = {r.run_id: r for r in runs}
    assert [r.run_id for r in runs] == [made[k].id for k in reversed(list(made))]  # newest first
    assert {k: by_id[e.id].state for k, e in made.items()} == {
        "success": RunState.SUCCESS,
        "error": RunState.ERROR,
        "crashed": RunState.ERROR,
        "canceled": RunState.CANCELLED,
        "waiting": RunState.WAITING,
        "running": RunState.RUNNING,
    }
    assert {r.workflow for r in runs} == {"lead-enrich"} and {r.source for r in runs} == {"n8n"}
    done = by_id[made["success"].id]
    seeded = made["success"].started_at
    assert done.started_at is not None and seeded is not None
    assert abs((done.started_at - seeded).total_seconds()) < 0.001  # n8n keeps milliseconds
    assert done.duration is not None and abs(done.duration.total_seconds() - 2.5) < 0.01
    assert by_id[made["waiting"].id].ended_at is None and by_id[made["running"].id].ended_at is None
    assert done.url == f"{sandbox.url}/workflow/{wf.id}/executions/{done.run_id}"


def test_error_text_is_fetched_for_failures_only(source: N8nRuns, state: N8nState) -> None:
    wf = state.add_workflow("invoice-sync", ["Webhook", "Validate", "Write to ERP"])
    failed = state.error(wf, "Write to ERP", "ERP said 503 [item 0]\nat line 2")
    crashed = state.crashed(wf, "Validate")
    state.success(wf)
    state.canceled(wf, "Validate")
    runs = {r.run_id: r for r in run(source.runs(since=hours_ago(1), workflow=None, limit=10))}
    assert runs[failed.id].error == "ERP said 503 [item 0]"  # the first line
    assert runs[crashed.id].error == "Workflow did not finish, possible out-of-memory issue"
    assert [r.error for r in runs.values() if r.state is not RunState.ERROR] == [None, None]
    assert data_requests(state) == sorted([failed.id, crashed.id])


def test_run_shows_the_steps_and_the_failing_node(source: N8nRuns, state: N8nState) -> None:
    wf = state.add_workflow("invoice-sync", ["Webhook", "Validate", "Write to ERP", "Notify"])
    failed = state.error(wf, "Write to ERP", "ERP said 503", custom_data={"invoice": "INV-7"})
    detail = run(source.run(failed.id))
    assert detail is not None
    assert (detail.run.state, detail.run.error, detail.run.workflow) == (
        RunState.ERROR,
        "ERP said 503",
        "invoice-sync",
    )
    assert detail.steps == (
        Step("Webhook", "done"),
        Step("Validate", "done"),
        Step("Write to ERP", "failed"),
    )
    assert detail.annotations == {"invoice": "INV-7", "mode": "webhook"}
    assert state.count("GET", "/api/v1/workflows") == 0  # the name came with the data


def test_run_of_waiting_running_and_crashed(source: N8nRuns, state: N8nState) -> None:
    wf = state.add_workflow("lead-enrich", ["Webhook", "Enrich", "Wait", "Update CRM"])
    waits, busy = state.waiting(wf), state.running(wf, "Enrich")
    crashed = state.crashed(wf, "Enrich")
    waiting = run(source.run(waits.id))
    assert waiting is not None and waiting.run.state is RunState.WAITING
    assert [s.status for s in waiting.steps] == ["done", "done", "waiting"]
    assert waiting.annotations["waits for"] == "a webhook or form call"
    running = run(source.run(busy.id))
    assert running is not None
    assert running.steps == (Step("Webhook", "done"), Step("Enrich", "running"))
    dead = run(source.run(crashed.id))
    assert dead is not None and dead.steps[-1] == Step("Enrich", "failed")


def test_unknown_or_foreign_ids_are_none(source: N8nRuns, state: N8nState) -> None:
    assert run(source.run("424242")) is None
    assert run(source.run("3f1c9a2e-langgraph-run")) is None  # not asked: n8n ids are numbers
    assert [c.path for c in state.calls()] == ["/api/v1/executions/424242"]


def test_a_list_counts_each_retry_once_and_a_run_follows_its_chain(
    source: N8nRuns, state: N8nState
) -> None:
    wf = state.add_workflow("sync")
    first = state.error(wf, "Work", "HTTP 502", ago=300)
    second = state.retry(first, "error", node="Work", message="HTTP 502", ago=200)
    third = state.retry(second, ago=100)
    runs = {r.run_id: r for r in run(source.runs(since=hours_ago(1), workflow=None, limit=10))}
    assert [runs[e.id].retries for e in (first, second, third)] == [0, 1, 1]  # 2 retries
    detail = run(source.run(third.id))
    assert detail is not None and detail.run.retries == 2  # followed through n8n
    assert detail.annotations["retry of"] == second.id
    original = run(source.run(second.id))
    assert original is not None and original.annotations["retried by"] == third.id


def test_paging_past_one_page(source: N8nRuns, state: N8nState) -> None:
    wf = state.add_workflow("busy")
    for n in range(262):
        state.success(wf, ago=3000 - n)
    runs = run(source.runs(since=hours_ago(2), workflow=None, limit=255))
    assert len(runs) == 255 and runs[0].run_id == "262" and runs[-1].run_id == "8"
    pages = [c.query for c in state.calls("/api/v1/executions") if "status" not in c.query]
    assert len(pages) == 2 and "cursor" in pages[1] and pages[0]["limit"] == "250"


def test_since_cuts_off_and_stops_paging(source: N8nRuns, state: N8nState) -> None:
    wf = state.add_workflow("nightly")
    for _ in range(30):
        state.success(wf, ago=48 * 3600)
    recent = [state.success(wf, ago=(5 - n) * 3600).id for n in range(3)]
    runs = run(source.runs(since=hours_ago(6), workflow=None, limit=10))
    assert [r.run_id for r in runs] == recent[::-1]
    assert len([c for c in state.calls("/api/v1/executions") if "status" not in c.query]) == 1


def test_running_executions_are_asked_for_separately(source: N8nRuns, state: N8nState) -> None:
    wf = state.add_workflow("w")
    busy = state.running(wf)
    state.success(wf)
    runs = run(source.runs(since=hours_ago(1), workflow=None, limit=10))
    assert busy.id in {r.run_id for r in runs}
    asked = [c.query.get("status") for c in state.calls("/api/v1/executions")]
    assert asked == [None, "running"]


def test_workflow_filter_by_name(source: N8nRuns, state: N8nState) -> None:
    digest, other = state.add_workflow("ops-digest"), state.add_workflow("ops-digest-v2")
    mine = state.success(digest).id
    state.success(other)
    runs = run(source.runs(since=hours_ago(1), workflow="ops-digest", limit=10))
    assert [r.run_id for r in runs] == [mine]
    assert {c.query.get("workflowId") for c in state.calls("/api/v1/executions")} == {digest.id}
    assert run(source.runs(since=hours_ago(1), workflow="no-such-flow", limit=10)) == []


def test_names_are_cached_for_a_minute(sandbox: SandboxN8n, state: N8nState) -> None:
    now = [1000.0]
    source = N8nRuns(sandbox.url, KEY, clock=lambda: now[0])
    state.add_workflow("a")
    assert run(source.workflows()) == ["a"]
    state.add_workflow("b", archived=True)
    state.add_workflow("c")
    now[0] += 30
    assert run(source.workflows()) == ["a"]  # cached
    late = state.success("c")
    runs = run(source.runs(since=hours_ago(1), workflow="c", limit=5))  # unknown name: look again
    assert [r.run_id for r in runs] == [late.id]
    now[0] += 61
    assert run(source.workflows()) == ["a", "c"]  # archived ones are left out
    assert state.count("GET", "/api/v1/workflows") == 3


def test_rate_limited_then_served(source: N8nRuns, state: N8nState) -> None:
    state.add_workflow("w")
    state.add_fault(N8nFault("/api/v1/executions", kind="rate_limited", retry_after=7, times=1))
    with pytest.raises(TransientError) as info:
        run(source.runs(since=hours_ago(1), workflow=None, limit=5))
    assert info.value.retry_after == 7 and "429" in info.value.reason
    assert run(source.runs(since=hours_ago(1), workflow=None, limit=5)) == []


def test_retry_after_as_an_http_date(source: N8nRuns, state: N8nState) -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    date = later.strftime("%a, %d %b %Y %H:%M:%S GMT")
    state.add_fault(N8nFault(kind="rate_limited", retry_after=date, times=1))
    with pytest.raises(TransientError) as info:
        run(source.workflows())
    assert info.value.retry_after is not None and 100 < info.value.retry_after <= 120


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_are_transient(source: N8nRuns, state: N8nState, status: int) -> None:
    state.add_fault(N8nFault(kind="error", status=status, times=1))
    with pytest.raises(TransientError) as info:
        run(source.run("1"))
    assert str(status) in info.value.reason and info.value.retry_after is None


def test_a_wrong_key_is_permanent(sandbox: SandboxN8n) -> None:
    with pytest.raises(PermanentError, match="401 unauthorized"):
        run(N8nRuns(sandbox.url, "wrong-key").workflows())


def test_a_slow_n8n_fails_within_the_timeout(sandbox: SandboxN8n, state: N8nState) -> None:
    state.add_fault(N8nFault(kind="delay", delay=3.0, times=1))
    source = N8nRuns(sandbox.url, KEY, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(TransientError, match=r"0\.3s"):
        run(source.runs(since=hours_ago(1), workflow=None, limit=5))
    assert time.monotonic() - started < 1.0


def test_the_deadline_covers_the_whole_call(sandbox: SandboxN8n, state: N8nState) -> None:
    state.add_workflow("w")
    for n in range(3):
        state.error("w", "Work", f"boom {n}")
    state.add_fault(N8nFault("/api/v1/", kind="delay", delay=0.2))  # four rounds: 0.8 s
    source = N8nRuns(sandbox.url, KEY, timeout=0.5)  # each request is in time, all are not
    started = time.monotonic()
    with pytest.raises(TransientError):
        run(source.runs(since=hours_ago(1), workflow=None, limit=5))
    assert time.monotonic() - started < 1.0


def test_connection_refused_is_transient() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientError, match="ConnectError"):
        run(N8nRuns(f"http://127.0.0.1:{port}", KEY).workflows())


def test_the_api_key_never_leaks(
    sandbox: SandboxN8n, state: N8nState, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    state.add_workflow("w")
    faults = [
        N8nFault(kind="rate_limited", times=1),
        N8nFault(kind="error", status=500, times=1),
        N8nFault(kind="error", status=503, times=1),
        N8nFault(kind="delay", delay=2.0, times=1),
    ]
    source = N8nRuns(f"{sandbox.url}/api/v1/", KEY, timeout=0.3)
    errors: list[Exception] = []
    for fault in faults:
        state.add_fault(fault)
        with pytest.raises((TransientError, PermanentError)) as info:
            run(source.runs(since=hours_ago(1), workflow=None, limit=5))
        errors.append(info.value)
    with pytest.raises(PermanentError) as wrong:
        run(N8nRuns(sandbox.url, KEY + "-revoked").workflows())
    errors.append(wrong.value)
    for exc in errors:
        assert KEY not in str(exc) and KEY not in repr(exc)
        assert exc.__cause__ is None  # the request (its headers hold the key) is not chained
        assert exc.__context__ is None or exc.__suppress_context__
    assert KEY not in repr(source)
    assert caplog.records and all(KEY not in r.getMessage() for r in caplog.records)
