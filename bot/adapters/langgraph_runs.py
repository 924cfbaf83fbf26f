"""LangGraph runs (``RunSource``, name ``langgraph``) and interrupts (``HitlSource``) through
``langgraph-sdk``'s async client.

A run is one invocation on a thread. ``run()`` accepts ``<thread_id>/<run_id>`` (exact),
a thread id (its latest run) or a bare run id (looked up among the threads updated since the
run was created, its uuid7 time; at most ``_SCAN`` threads). A run that reads ``success``
while its thread reads ``interrupted`` waits for a human. The thread holds the error text
and, under ``opsbot_decisions``, the decisions ``resume`` made. Every call has the timeout;
errors map to ``TransientError`` (timeouts, connection, 429/5xx) or ``PermanentError``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import httpx
from langgraph_sdk import get_client
from langgraph_sdk.errors import APIStatusError, LangGraphError

from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import Decision, Run, RunDetail, RunState, Step

__all__ = ["DECISIONS_KEY", "LangGraphRuns", "run_state", "run_steps", "to_run"]

T = TypeVar("T")
J = Mapping[str, Any]
log = logging.getLogger("opsbot.langgraph")
DECISIONS_KEY = "opsbot_decisions"
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}
_STATES = {s: RunState(s) for s in ("pending", "running", "success", "error", "timeout")}
_STATES["interrupted"] = RunState.WAITING
_UNFINISHED = (RunState.RUNNING, RunState.PENDING)
_SYSTEM_KEYS = {"created_by", "graph_id", "assistant_id", "user_id", "thread_id", "run_id"}
_OPEN_STEP = {RunState.SUCCESS: "done", RunState.WAITING: "waiting"}
_SCAN, _PARALLEL, _HISTORY, _SLACK = 100, 8, 100, timedelta(seconds=1)


# --------------------------------------------------------------------------- pure mapping


def run_state(run: J, thread_status: str | None = None) -> RunState:
    """The run's state; ``thread_status`` only for the thread's latest run."""
    if run.get("cancel_reason"):
        return RunState.CANCELLED
    state = _STATES.get(str(run.get("status")), RunState.PENDING)
    interrupted = state is RunState.SUCCESS and thread_status == "interrupted"
    return RunState.WAITING if interrupted else state


def error_line(error: Any) -> str | None:
    """``{"error": "RuntimeError", "message": "…"}`` (or a string) as one line."""
    if isinstance(error, Mapping):
        kind, message = error.get("error"), error.get("message")
        error = f"{kind}: {message}" if kind and message else (message or kind)
    return " ".join(str(error or "").split())[:300] or None


def interrupt_question(value: Any) -> str | None:
    """An interrupt's question: the value itself, or its ``question``/``message``."""
    if isinstance(value, Mapping):
        value = value.get("question") or value.get("message") or (dict(value) or None)
    return None if value is None else " ".join(str(value).split()) or None


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None
    except ValueError:
        return None


def to_run(run: J, *, thread: J | None = None, workflow: str | None = None, url: str = "") -> Run:
    """A LangGraph run object as a ``Run``; ``thread`` only when this is its latest run."""
    config: J = (run.get("kwargs") or {}).get("config") or {}
    attempt = (config.get("metadata") or {}).get("run_attempt")
    state = run_state(run, thread.get("status") if thread else None)
    ended = _when(run.get("run_ended_at") or run.get("updated_at"))
    error = run.get("error") or (thread or {}).get("error")
    thread_id, run_id = str(run.get("thread_id", "")), str(run["run_id"])
    return Run(
        source="langgraph",
        workflow=str((run.get("metadata") or {}).get("graph_id") or workflow or "?"),
        run_id=run_id,
        state=state,
        started_at=_when(run.get("run_started_at") or run.get("created_at")),
        ended_at=None if state in _UNFINISHED else ended,
        retries=max(0, attempt - 1) if isinstance(attempt, int) else 0,
        error=error_line(error) if state in (RunState.ERROR, RunState.TIMEOUT) else None,
        url=f"{url}/threads/{thread_id}/runs/{run_id}" if url and thread_id else None,
    )


def run_annotations(metadata: J | None) -> dict[str, str]:
    """The run metadata's string values, less LangGraph's own keys."""
    ours = {k: v for k, v in (metadata or {}).items() if isinstance(v, str)}
    return {k: v for k, v in ours.items() if k not in _SYSTEM_KEYS and k[:10] != "langgraph_"}


def thread_decisions(metadata: J | None) -> tuple[Decision, ...]:
    """The decisions recorded in the thread metadata (``opsbot_decisions``), oldest first."""
    out = []
    for item in (metadata or {}).get(DECISIONS_KEY) or []:
        at = _when(item.get("at")) if isinstance(item, Mapping) else None
        if at is not None and item.get("by") and item.get("decision"):
            comment = str(item.get("comment") or "") or None
            out.append(Decision(str(item["by"]), str(item["decision"]), at, comment))
    return tuple(out)


def run_steps(history: Sequence[J], state: RunState) -> tuple[Step, ...]:
    """The nodes passed, from checkpoints (``get_history``, newest first). The newest one's
    tasks are where the run stopped: running, failed, or waiting (an interrupt)."""
    out: list[Step] = []
    newest = history[0] if history else None
    for checkpoint in reversed(history):
        for task in checkpoint.get("tasks") or []:
            if (name := str(task.get("name", ""))).startswith("__"):
                continue
            if task.get("error"):
                status = "failed"
            elif checkpoint is not newest or task.get("result") is not None:
                status = "done"
            elif state in _UNFINISHED:
                status = "running"  # a resumed run picks up the interrupted node
            else:
                status = "waiting" if task.get("interrupts") else _OPEN_STEP.get(state, "failed")
            out.append(Step(name, status))
    return tuple(out)


def thread_question(thread: J) -> str | None:
    """The question of the thread's (first) pending interrupt."""
    pending = [i for found in (thread.get("interrupts") or {}).values() for i in found or []]
    return next((q for i in pending if (q := interrupt_question(i.get("value")))), None)


def _uuid7_time(value: str) -> datetime | None:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return datetime.fromtimestamp((parsed.int >> 80) / 1000, UTC) if parsed.version == 7 else None


class _Unknown(PermanentError):
    """The server does not know the id (404, or 422: not a UUID)."""


class _Conflict(PermanentError):
    """The thread is busy with another run (409)."""


# --------------------------------------------------------------------------- the adapter


class LangGraphRuns:
    """One LangGraph server (``langgraph dev``, LangSmith Deployment, self-hosted). Its HTTP
    client belongs to the event loop that first uses it: one instance per loop."""

    name = "langgraph"

    def __init__(self, url: str, api_key: str | None = None, timeout: float = 2.0) -> None:
        self._url = url.rstrip("/")
        self._timeout = timeout
        self._client = get_client(url=self._url, api_key=api_key, timeout=timeout)
        self._graphs: dict[str, str] = {}  # assistant id -> graph id

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def _call(self, what: str, request: Awaitable[Any]) -> Any:
        try:
            async with asyncio.timeout(self._timeout):
                return await request
        except TimeoutError as exc:
            raise TransientError(f"langgraph {what}: no answer within {self._timeout}s") from exc
        except APIStatusError as exc:
            status, why = exc.status_code, f"langgraph {what}: {exc.status_code} {exc.message}"
            if status in (404, 422):
                raise _Unknown(why) from exc
            if status == 409:
                raise _Conflict(why) from exc
            if status in _TRANSIENT_STATUS:
                after = exc.response.headers.get("retry-after", "")
                retry = float(after) if after.isdecimal() else None
                raise TransientError(why, retry_after=retry) from exc
            raise PermanentError(why) from exc
        except httpx.TransportError as exc:
            raise TransientError(f"langgraph {what}: {type(exc).__name__}") from exc
        except (LangGraphError, httpx.HTTPError, ValueError) as exc:
            raise PermanentError(f"langgraph {what}: {exc}") from exc

    async def _each(self, items: Sequence[J], call: Callable[[J], Awaitable[T]]) -> list[T]:
        """``call`` for each item, ``_PARALLEL`` at a time (the API lists runs per thread)."""
        gate = asyncio.Semaphore(_PARALLEL)

        async def one(item: J) -> T:
            async with gate:
                return await call(item)

        return await _all(*(one(item) for item in items))

    async def workflows(self) -> list[str]:
        """The graph ids of the server's assistants."""
        found = await self._call("assistants.search", self._client.assistants.search(limit=100))
        return sorted({str(a["graph_id"]) for a in found})

    async def _map(self, run: J, thread: J | None) -> Run:
        graph, assistant = (run.get("metadata") or {}).get("graph_id"), run.get("assistant_id")
        if not graph and assistant and assistant not in self._graphs:
            found = await self._call("assistants.get", self._client.assistants.get(assistant))
            self._graphs[assistant] = str(found["graph_id"])
        graph = graph or self._graphs.get(str(assistant))
        return to_run(run, thread=thread, workflow=graph, url=self._url)

    async def _threads(self, **query: Any) -> list[J]:
        found = self._client.threads.search(sort_by="updated_at", sort_order="desc", **query)
        return cast(list[J], await self._call("threads.search", found))

    async def _runs_of(self, threads: Sequence[J], limit: int) -> list[list[J]]:
        async def runs(thread: J) -> list[J]:
            found = self._client.runs.list(str(thread["thread_id"]), limit=limit)
            return cast(list[J], await self._call("runs.list", found))

        return await self._each(threads, runs)

    async def runs(self, *, since: datetime, workflow: str | None, limit: int) -> list[Run]:
        """Runs created since ``since``, newest first: one search for the ``limit`` threads
        updated last (at most ``_SCAN``), then each one's runs (1 + up to ``limit`` calls)."""
        limit = max(1, min(limit, _SCAN))
        meta = {"graph_id": workflow} if workflow else None
        found = await self._threads(limit=limit, metadata=meta)
        threads = [t for t in found if (_when(t.get("updated_at")) or since) >= since]
        out: list[Run] = []
        for thread, runs in zip(threads, await self._runs_of(threads, limit), strict=True):
            for i, raw in enumerate(runs):  # newest first: the thread's status is the first's
                run = await self._map(raw, thread if i == 0 else None)
                if (run.started_at or since) >= since and workflow in (None, run.workflow):
                    out.append(run)
        epoch = datetime.min.replace(tzinfo=UTC)
        return sorted(out, key=lambda r: r.started_at or epoch, reverse=True)[:limit]

    async def _lookup(self, ref: str) -> J | None:
        """``<thread_id>/<run_id>``; a thread id (its latest run); or a run id, looked for
        among the threads updated since it was created (its uuid7 time, less a second)."""
        thread_id, _, run_id = ref.strip().rpartition("/")
        if thread_id:
            return cast(J, await self._call("runs.get", self._client.runs.get(thread_id, run_id)))
        with contextlib.suppress(_Unknown):
            latest = await self._call("runs.list", self._client.runs.list(run_id, limit=1))
            if latest:
                return cast(J, latest[0])
        created = _uuid7_time(run_id) or datetime.min.replace(tzinfo=UTC) + _SLACK
        found = await self._threads(limit=_SCAN)
        threads = [t for t in found if (_when(t.get("updated_at")) or created) >= created - _SLACK]

        async def get(thread: J) -> J | None:
            with contextlib.suppress(_Unknown):
                found = self._client.runs.get(str(thread["thread_id"]), run_id)
                return cast(J, await self._call("runs.get", found))
            return None

        return next((hit for hit in await self._each(threads, get) if hit is not None), None)

    async def run(self, run_id: str) -> RunDetail | None:
        """One run with its steps, question, annotations and decisions; None when unknown.
        ``run_id``: ``<thread_id>/<run_id>``, a thread id (its latest run), or a run id."""
        try:
            raw = await self._lookup(run_id)
        except _Unknown:
            return None
        if raw is None:
            return None
        thread_id = str(raw["thread_id"])
        thread, history = await _all(
            self._call("threads.get", self._client.threads.get(thread_id)),
            self._call("get_history", self._client.threads.get_history(thread_id, limit=_HISTORY)),
        )
        mine = [i for i, c in enumerate(history) if c["metadata"].get("run_id") == raw["run_id"]]
        latest = mine[:1] == [0] or not history or raw.get("status") in ("pending", "running")
        passed = history[mine[0] :] if mine else (history if latest else [])
        return await self._detail(raw, thread, passed, latest=latest)

    async def _detail(self, raw: J, thread: J, history: list[J], *, latest: bool) -> RunDetail:
        run = await self._map(raw, thread if latest else None)
        return RunDetail(
            run=run,
            steps=run_steps(history, run.state if latest else RunState.SUCCESS),
            question=thread_question(thread) if run.state is RunState.WAITING else None,
            annotations=run_annotations(raw.get("metadata")),
            decisions=thread_decisions(thread.get("metadata")),
            thread_id=str(thread["thread_id"]),
        )

    async def waiting(self) -> list[RunDetail]:
        """Threads stopped at an interrupt (newest first, at most ``_SCAN``), each with its
        question and latest run; ``run()`` gives the steps."""
        threads = await self._threads(status="interrupted", limit=_SCAN)
        found = zip(threads, await self._runs_of(threads, 1), strict=True)
        return [await self._detail(runs[0], t, [], latest=True) for t, runs in found if runs]

    async def resume(
        self, thread_id: str, *, approve: bool, by: str, comment: str | None
    ) -> RunDetail:
        """Resume the waiting thread with ``{"approved", "by", "comment"}``, record the
        decision in its metadata, and return the new run's detail. ``PermanentError`` ("no
        longer waiting") when the thread does not wait or another resume took it first."""
        thread = await self._call("threads.get", self._client.threads.get(thread_id))
        if thread.get("status") != "interrupted":
            raise PermanentError(f"langgraph thread {thread_id} is no longer waiting")
        meta: J = thread.get("metadata") or {}
        decision = "approve" if approve else "reject"
        create = self._client.runs.create(
            thread_id,
            str(meta.get("assistant_id") or meta.get("graph_id") or ""),
            command={"resume": {"approved": approve, "by": by, "comment": comment}},
            metadata={"opsbot_decision": decision, "opsbot_decided_by": by},
            multitask_strategy="reject",  # a concurrent second resume gets a 409
        )
        try:
            created = await self._call("runs.create", create)
        except _Conflict as exc:
            raise PermanentError(f"langgraph thread {thread_id} is no longer waiting") from exc
        at = datetime.now(UTC).isoformat()
        record = {"by": by, "decision": decision, "at": at, "comment": comment}
        recorded = {DECISIONS_KEY: [*(meta.get(DECISIONS_KEY) or []), record]}
        try:  # the run goes on already: a failure here must not read as a failed resume
            await self._call(
                "threads.update", self._client.threads.update(thread_id, metadata=recorded)
            )
        except (TransientError, PermanentError) as exc:
            log.error("decision on thread %s not recorded: %s", thread_id, exc)
        detail = await self.run(f"{thread_id}/{created['run_id']}")
        if detail is None:
            raise PermanentError(f"langgraph run {created['run_id']} vanished")
        return detail


async def _all(*calls: Awaitable[T]) -> list[T]:
    """Every call's result, or the first failure once all have ended (none is left behind)."""
    done = await asyncio.gather(*calls, return_exceptions=True)
    if failed := next((d for d in done if isinstance(d, BaseException)), None):
        raise failed
    return cast(list[T], done)
