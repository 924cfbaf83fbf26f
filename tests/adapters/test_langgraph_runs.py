"""The pure LangGraph mappings of ``bot.adapters.langgraph_runs``, against real run payloads
captured from ``langgraph dev`` (langgraph-api 0.16.7) in the shared reference folder."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.adapters.langgraph_runs import (
    DECISIONS_KEY,
    error_line,
    interrupt_question,
    run_annotations,
    run_state,
    run_steps,
    thread_decisions,
    thread_question,
    to_run,
)
from bot.domain.runs import RunState, Step


def reference(name: str) -> dict[str, Any]:
    """A run payload from the shared reference folder; skip (or fail under CI) when missing."""
    default = Path(__file__).resolve().parents[2].parent / "shared" / "reference"
    path = Path(os.environ.get("OPSBOT_REFERENCE_DIR") or default) / "langgraph" / name
    if not path.is_file():
        message = f"LangGraph reference payload not found at {path} (set OPSBOT_REFERENCE_DIR)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def test_reference_success() -> None:
    run = to_run(reference("langgraph_run_success.json"), thread={"status": "idle"})
    assert (run.source, run.workflow, run.state) == ("langgraph", "ops", RunState.SUCCESS)
    assert run.run_id == "01a22155-3d37-7259-8fe7-618132ef3418"
    assert run.error is None and run.retries == 0
    assert run.started_at == datetime(2026, 11, 28, 8, 46, 4, 676337, tzinfo=UTC)
    assert run.duration == timedelta(microseconds=683611 - 676337)


def test_reference_error_carries_its_error_text() -> None:
    payload = reference("langgraph_run_error.json")
    run = to_run(payload, thread={"status": "error"}, url="http://lg:2024")
    assert run.state is RunState.ERROR and run.workflow == "ops"
    assert run.error == "RuntimeError: work failed on purpose for task='hook-err'"
    assert run.url == (
        "http://lg:2024/threads/01a22155-3fa4-73f8-98f6-173cd20bfe69"
        "/runs/01a22155-3fa7-7688-a7f4-3b33cfb6d9ba"
    )
    # A run object read through the API has no error: the thread's error is used.
    del payload["error"]
    thread = {"status": "error", "error": {"error": "RuntimeError", "message": "boom\nagain"}}
    assert to_run(payload, thread=thread).error == "RuntimeError: boom again"
    assert run_annotations(payload["metadata"]) == {"kind": "err", "incident": "INC-42"}


def test_reference_interrupt_reads_success_but_waits() -> None:
    payload = reference("langgraph_run_interrupted.json")
    assert payload["status"] == "success"
    assert to_run(payload, thread={"status": "interrupted"}).state is RunState.WAITING
    assert run_state(payload, "interrupted") is RunState.WAITING
    assert run_state(payload) is RunState.SUCCESS  # not the thread's latest run: as it reads
    assert to_run(payload).ended_at is not None


@pytest.mark.parametrize(
    ("status", "thread", "state"),
    [
        ("pending", "busy", RunState.PENDING),
        ("running", "busy", RunState.RUNNING),
        ("success", "idle", RunState.SUCCESS),
        ("error", "error", RunState.ERROR),
        ("timeout", "idle", RunState.TIMEOUT),
        ("interrupted", "interrupted", RunState.WAITING),
        ("interrupted", None, RunState.WAITING),
        ("success", "interrupted", RunState.WAITING),
        ("error", "interrupted", RunState.ERROR),
        ("something-new", None, RunState.PENDING),
    ],
)
def test_status_mapping(status: str, thread: str | None, state: RunState) -> None:
    assert run_state({"status": status}, thread) is state


def test_cancelled_and_unfinished_runs() -> None:
    base = reference("langgraph_run_success.json")
    assert run_state({**base, "cancel_reason": "user"}) is RunState.CANCELLED
    running = to_run({**base, "status": "running", "run_ended_at": None})
    assert running.state is RunState.RUNNING and running.ended_at is None
    attempt = {**base["kwargs"]["config"]["metadata"], "run_attempt": 3}
    retried = {**base, "kwargs": {"config": {"metadata": attempt}}}
    assert to_run(retried).retries == 2


def test_workflow_falls_back_to_the_assistants_graph() -> None:
    payload = {**reference("langgraph_run_success.json"), "metadata": {"kind": "ok"}}
    assert to_run(payload, workflow="triage").workflow == "triage"
    assert to_run(payload).workflow == "?"


def test_error_line() -> None:
    assert error_line({"error": "ValueError", "message": "bad\n  input"}) == "ValueError: bad input"
    assert error_line({"message": "only a message"}) == "only a message"
    assert error_line("Traceback\n  line") == "Traceback line"
    assert error_line(None) is None and error_line({}) is None
    assert len(error_line("x" * 1000) or "") == 300


def test_interrupt_question() -> None:
    assert interrupt_question("Deploy?") == "Deploy?"
    assert interrupt_question({"question": "Deploy the fix for db-7?"}) == (
        "Deploy the fix for db-7?"
    )
    assert interrupt_question({"message": "Approve\nrollback?"}) == "Approve rollback?"
    assert interrupt_question({"other": 1}) == "{'other': 1}"
    assert interrupt_question(None) is None and interrupt_question({}) is None
    thread = {"interrupts": {"t1": [{"id": "i", "value": {"question": "Go?"}}]}}
    assert thread_question(thread) == "Go?"
    assert thread_question({"interrupts": {}}) is None


def test_decisions_from_thread_metadata() -> None:
    meta = {
        DECISIONS_KEY: [
            {
                "by": "U0BOB",
                "decision": "approve",
                "at": "2026-11-28T12:00:00+00:00",
                "comment": "ok",
            },
            {"by": "U0EVE", "decision": "reject", "at": "2026-11-28T12:05:00Z", "comment": None},
            {"by": "U0BAD", "decision": "approve", "at": "yesterday"},  # skipped
            "garbage",  # skipped
        ]
    }
    bob, eve = thread_decisions(meta)
    assert (bob.by, bob.decision, bob.comment) == ("U0BOB", "approve", "ok")
    assert bob.at == datetime(2026, 11, 28, 12, tzinfo=UTC)
    assert (eve.by, eve.decision, eve.comment) == ("U0EVE", "reject", None)
    assert thread_decisions({}) == () and thread_decisions(None) == ()


def checkpoint(*tasks: dict[str, Any]) -> dict[str, Any]:
    return {"tasks": list(tasks), "metadata": {}}


def task(name: str, **kw: Any) -> dict[str, Any]:
    return {"name": name, "error": None, "interrupts": [], "result": None} | kw


# Newest first, as ``threads.get_history`` returns them (shapes as langgraph-api 0.16.7 gives).
START = checkpoint(task("__start__", result={"task": "x"}))
PREPARE = checkpoint(task("prepare", result={"steps": ["prepare"]}))
WORK = checkpoint(task("work", result={"steps": ["work"]}))
ASK = [{"id": "i1", "value": {"question": "Deploy the fix for x?"}}]


def test_steps_of_a_failed_run() -> None:
    failed = checkpoint(task("work", error="RuntimeError('work failed')"))
    assert run_steps([failed, PREPARE, START], RunState.ERROR) == (
        Step("prepare", "done"),
        Step("work", "failed"),
    )


def test_steps_of_a_waiting_then_resumed_run() -> None:
    waiting = [checkpoint(task("approve", interrupts=ASK)), WORK, PREPARE, START]
    assert [s.status for s in run_steps(waiting, RunState.WAITING)] == ["done", "done", "waiting"]
    # The resume run is created, not picked up yet: the interrupted node is about to run.
    assert run_steps(waiting, RunState.PENDING)[-1] == Step("approve", "running")
    done = checkpoint(task("approve", interrupts=ASK, result={"result": "X"}))
    finished = [checkpoint(), checkpoint(task("finish", result={})), done, WORK, PREPARE, START]
    assert run_steps(finished, RunState.SUCCESS) == (
        Step("prepare", "done"),
        Step("work", "done"),
        Step("approve", "done"),
        Step("finish", "done"),
    )
    assert run_steps([], RunState.SUCCESS) == ()
