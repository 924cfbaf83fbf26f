"""``LangGraphRuns`` against the real LangGraph dev server running the tiny ``ops`` graph: one
run succeeds, one fails, one stops at an interrupt that is approved and then completes."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
from langgraph_sdk import get_client

from bot.adapters.langgraph_runs import LangGraphRuns
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import RunState
from bot.sandbox.langgraph import LangGraphServer

from .promstack import free_port

pytestmark = pytest.mark.e2e
T = TypeVar("T")
Ids = dict[str, tuple[str, str]]  # kind -> (thread id, run id)


def use(url: str, scenario: Callable[[LangGraphRuns], Awaitable[T]], timeout: float = 5.0) -> T:
    """Run ``scenario`` with a fresh adapter (its HTTP client belongs to one event loop)."""

    async def main() -> T:
        source = LangGraphRuns(url, timeout=timeout)
        try:
            return await scenario(source)
        finally:
            await source.aclose()

    return asyncio.run(main())


async def start(url: str, kinds: dict[str, dict[str, Any]]) -> Ids:
    """One thread and run per kind (input as given), all waited for."""
    client = get_client(url=url, api_key=None)
    try:
        ids: Ids = {}
        for kind, given in kinds.items():
            thread = await client.threads.create()
            meta = {"kind": kind, "incident": "INC-7", "attempt": 1}
            run = await client.runs.create(thread["thread_id"], "ops", input=given, metadata=meta)
            ids[kind] = (thread["thread_id"], run["run_id"])
        for thread_id, run_id in ids.values():
            await asyncio.wait_for(client.runs.join(thread_id, run_id), 30)
        return ids
    finally:
        await client.aclose()


@pytest.fixture(scope="module")
def runs(langgraph_server: LangGraphServer) -> Ids:
    return asyncio.run(
        start(
            langgraph_server.url,
            {
                "ok": {"task": "e2e-ok"},
                "err": {"task": "e2e-err", "fail": True},
                "hitl": {"task": "e2e-hitl", "need_approval": True},
            },
        )
    )


def test_runs_lists_all_three_with_their_states(
    langgraph_server: LangGraphServer, runs: Ids
) -> None:
    since = datetime.now(UTC) - timedelta(hours=1)

    async def scenario(source: LangGraphRuns) -> tuple[Any, ...]:
        return (
            await source.runs(since=since, workflow="ops", limit=50),
            await source.runs(since=since, workflow=None, limit=50),
            await source.runs(since=since, workflow="nope", limit=50),
            await source.runs(
                since=datetime.now(UTC) + timedelta(minutes=1), workflow=None, limit=5
            ),
            await source.workflows(),
        )

    ops, every, none, future, workflows = use(langgraph_server.url, scenario)
    by_id = {run.run_id: run for run in ops}
    states = {kind: by_id[run_id].state for kind, (_, run_id) in runs.items()}
    assert states == {"ok": RunState.SUCCESS, "err": RunState.ERROR, "hitl": RunState.WAITING}
    assert {by_id[run_id].workflow for _, run_id in runs.values()} == {"ops"}
    failed = by_id[runs["err"][1]]
    assert failed.error == "RuntimeError: work failed on purpose for task='e2e-err'"
    assert failed.duration is not None and failed.retries == 0
    assert by_id[runs["ok"][1]].error is None and by_id[runs["hitl"][1]].ended_at is not None
    starts = [run.started_at for run in ops]
    assert starts == sorted(starts, reverse=True)
    assert {r.run_id for r in every} >= {run_id for _, run_id in runs.values()}
    assert none == [] and future == [] and workflows == ["ops"]


def test_run_shows_steps_error_and_annotations(
    langgraph_server: LangGraphServer, runs: Ids
) -> None:
    ok_thread, ok_run = runs["ok"]
    _, err_run = runs["err"]

    async def scenario(source: LangGraphRuns) -> tuple[Any, ...]:
        return (
            await source.run(f"{ok_thread}/{ok_run}"),
            await source.run(ok_run),  # a bare run id
            await source.run(ok_thread),  # a thread id: its latest run
            await source.run(err_run),
        )

    exact, bare, by_thread, failed = use(langgraph_server.url, scenario)
    assert exact is not None and exact == bare == by_thread
    assert exact.run.state is RunState.SUCCESS and exact.thread_id == ok_thread
    assert [(s.name, s.status) for s in exact.steps] == [
        ("prepare", "done"),
        ("work", "done"),
        ("finish", "done"),
    ]
    assert exact.annotations == {"kind": "ok", "incident": "INC-7"}  # string values only
    assert exact.question is None and exact.decisions == ()
    assert failed is not None and failed.run.state is RunState.ERROR
    assert failed.run.error is not None and "work failed on purpose" in failed.run.error
    assert [(s.name, s.status) for s in failed.steps] == [("prepare", "done"), ("work", "failed")]


def test_interrupt_is_approved_and_completes(langgraph_server: LangGraphServer, runs: Ids) -> None:
    ids = asyncio.run(
        start(langgraph_server.url, {"gate": {"task": "db-7", "need_approval": True}})
    )
    thread_id, run_id = ids["gate"]

    async def scenario(source: LangGraphRuns) -> tuple[Any, ...]:
        waiting = await source.waiting()
        before = await source.run(run_id)
        resumed = await source.resume(thread_id, approve=True, by="U0BOB", comment="ok")
        async with get_client(url=langgraph_server.url, api_key=None) as client:
            await asyncio.wait_for(client.runs.join(thread_id, resumed.run.run_id), 30)
        after = await source.run(resumed.run.run_id)
        first = await source.run(f"{thread_id}/{run_id}")
        with pytest.raises(PermanentError, match="no longer waiting"):
            await source.resume(thread_id, approve=False, by="U0EVE", comment=None)
        return waiting, before, resumed, after, first, await source.waiting()

    waiting, before, resumed, after, first, waiting_after = use(langgraph_server.url, scenario)
    mine = [w for w in waiting if w.thread_id == thread_id]
    assert len(mine) == 1 and mine[0].question == "Deploy the fix for db-7?"
    assert mine[0].run.run_id == run_id and mine[0].run.state is RunState.WAITING
    assert {w.thread_id for w in waiting} >= {runs["hitl"][0], thread_id}
    assert before is not None and before.run.state is RunState.WAITING
    assert before.question == "Deploy the fix for db-7?"
    assert [(s.name, s.status) for s in before.steps] == [
        ("prepare", "done"),
        ("work", "done"),
        ("approve", "waiting"),
    ]
    assert resumed.run.run_id != run_id and resumed.thread_id == thread_id
    assert resumed.run.state in (RunState.PENDING, RunState.RUNNING, RunState.SUCCESS)
    assert [d.by for d in resumed.decisions] == ["U0BOB"]
    assert after is not None and after.run.state is RunState.SUCCESS and after.question is None
    assert [s.name for s in after.steps] == ["prepare", "work", "approve", "finish"]
    assert {s.status for s in after.steps} == {"done"}
    (decision,) = after.decisions
    assert (decision.by, decision.decision, decision.comment) == ("U0BOB", "approve", "ok")
    assert abs(decision.at - datetime.now(UTC)) < timedelta(minutes=1)
    assert after.annotations == {"opsbot_decision": "approve", "opsbot_decided_by": "U0BOB"}
    assert first is not None and first.run.state is RunState.SUCCESS  # no longer waiting
    assert thread_id not in {w.thread_id for w in waiting_after}


def test_unknown_runs_and_refusals(langgraph_server: LangGraphServer, runs: Ids) -> None:
    ok_thread, _ = runs["ok"]
    unknown = str(uuid.uuid4())

    async def scenario(source: LangGraphRuns) -> tuple[Any, ...]:
        with pytest.raises(PermanentError, match="no longer waiting"):
            await source.resume(ok_thread, approve=True, by="U0BOB", comment=None)
        return (
            await source.run(unknown),
            await source.run("nope"),
            await source.run(f"{ok_thread}/{unknown}"),
            await source.run(f"{unknown}/{unknown}"),
        )

    assert use(langgraph_server.url, scenario) == (None, None, None, None)


def test_a_server_that_is_down_is_transient_within_the_timeout() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    async def scenario(source: LangGraphRuns) -> list[float]:
        took = []
        for call in (
            lambda: source.runs(since=datetime.now(UTC), workflow=None, limit=5),
            source.waiting,
            lambda: source.run("01a22155-3fa4-73f8-98f6-173cd20bfe69/x"),
            lambda: source.resume(
                "01a22155-3fa4-73f8-98f6-173cd20bfe69", approve=True, by="U", comment=None
            ),
        ):
            started = time.monotonic()
            with pytest.raises(TransientError, match=r"^langgraph (threads|runs)\.\w+: "):
                await call()
            took.append(time.monotonic() - started)
        return took

    assert max(use(url, scenario, timeout=0.5)) < 0.5 + 0.3
