"""n8n executions as runs (``RunSource``) through n8n's public REST API v1 and ``httpx``.

``url`` is the instance's base URL (a trailing ``/api/v1`` is accepted). Each call opens its
own client (any event loop will do) under one deadline of ``timeout`` seconds. Errors map to
``TransientError`` (timeouts, connection, 429, 5xx; ``retry_after`` from ``Retry-After``) or
``PermanentError``. The API key goes in ``X-N8N-API-KEY`` only: never logged, never in an
error (nor chained through the request that carried it). Upstream, lists leave running
executions out unless ``status=running`` is asked, so ``runs()`` asks for them too (queued
``new`` ones are never listed); failure texts need ``includeData=true``, asked only for failed
executions (one request each) and in ``run()``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import FINISHED, Run, RunDetail, RunState, Step

__all__ = ["N8nRuns"]

log = logging.getLogger("opsbot.n8n")

Json = dict[str, Any]
Names = dict[str, tuple[str, bool]]  # workflow id -> (name, archived)
_STATES = {s: RunState(s) for s in ("success", "error", "waiting", "running")}
_STATES |= {"crashed": RunState.ERROR, "new": RunState.RUNNING, "canceled": RunState.CANCELLED}
_FAILED = frozenset({"error", "crashed"})
_PAGE_MAX, _CHAIN_HOPS, _DETAIL_CONCURRENCY, _ERROR_CHARS = 250, 10, 4, 300


class _NotFound(Exception):
    """A 404 answer (``run()`` turns it into None)."""


class N8nRuns:
    """The executions of one n8n instance."""

    name = "n8n"

    def __init__(
        self,
        url: str,
        api_key: str,
        timeout: float = 2.0,
        *,
        names_ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._base = url.rstrip("/").removesuffix("/api/v1")
        self._key, self._timeout = api_key, timeout
        self._names_ttl, self._clock, self._transport = names_ttl, clock, transport
        self._names: Names = {}
        self._names_at: float | None = None

    # ----- RunSource ---------------------------------------------------------------------
    async def runs(self, *, since: datetime, workflow: str | None, limit: int) -> list[Run]:
        """Executions started since ``since``, newest first, at most ``limit``; ``workflow``
        is a workflow name (an unknown one: no runs)."""
        if limit <= 0:
            return []
        since = since if since.tzinfo else since.replace(tzinfo=UTC)
        async with self._session() as client:
            names, fresh = await self._workflow_names(client)
            ids: list[str | None] = [None] if workflow is None else _named(names, workflow)
            if workflow is not None and not ids and not fresh:  # created in the last minute?
                names, _ = await self._workflow_names(client, refresh=True)
                ids = _named(names, workflow)
            seen: dict[str, Json] = {}
            for workflow_id in ids:
                for running in (False, True):
                    seen.update(await self._listed(client, since, workflow_id, limit, running))
            picked = sorted(seen.values(), key=_newest_first)[:limit]
            details = await self._details(client, [e for e in picked if e.get("status") in _FAILED])
            # In a list each retry counts once, so an overview's sum is the number of retries;
            # ``run()`` shows how many attempts came before one run.
            return [
                self._run(e, names, 1 if e.get("retryOf") else 0, details.get(e["id"]))
                for e in picked
            ]

    async def run(self, run_id: str) -> RunDetail | None:
        """One execution with its steps; None for an id n8n does not know (or not numeric)."""
        if not (rid := run_id.strip()).isdigit():
            return None
        async with self._session() as client:
            try:
                found = await self._get(client, f"/executions/{rid}", {"includeData": "true"})
            except _NotFound:
                return None
            names: Names = {}
            if not (found.get("workflowData") or {}).get("name"):
                names, _ = await self._workflow_names(client)
            run = self._run(found, names, await self._attempts(client, found), found)
            return RunDetail(run=run, steps=_steps(found, run.state), annotations=_notes(found))

    async def workflows(self) -> list[str]:
        """The names of the instance's workflows (archived ones left out)."""
        async with self._session() as client:
            names, _ = await self._workflow_names(client)
        return sorted({name for name, archived in names.values() if not archived})

    # ----- HTTP --------------------------------------------------------------------------
    @asynccontextmanager
    async def _session(self) -> AsyncIterator[httpx.AsyncClient]:
        client = httpx.AsyncClient(
            base_url=f"{self._base}/api/v1",
            headers={"X-N8N-API-KEY": self._key, "Accept": "application/json"},
            timeout=httpx.Timeout(self._timeout),
            transport=self._transport,
        )
        try:
            async with client, asyncio.timeout(self._timeout):
                yield client
        except TimeoutError:
            raise TransientError(f"n8n: no answer within {self._timeout:g}s") from None

    async def _get(self, client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> Json:
        what = f"n8n GET {path}"
        try:
            response = await client.get(path, params=params)
        except httpx.TimeoutException:
            raise TransientError(f"{what}: timed out after {self._timeout:g}s") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"{what}: {type(exc).__name__}") from None
        status = response.status_code
        log.debug("%s -> %s", what, status)
        if status == 404:
            raise _NotFound(path)
        reason = f"{what}: HTTP {status} {_message(response)}".replace(self._key or "\0", "***")
        if status == 429 or status >= 500:
            raise TransientError(reason, retry_after=_retry_after(response.headers))
        if status >= 400:
            raise PermanentError(reason + (" (check the API key)" if status in (401, 403) else ""))
        try:
            body = response.json()
        except ValueError:
            raise PermanentError(f"{what}: the answer is not JSON") from None
        if not isinstance(body, dict):
            raise PermanentError(f"{what}: the answer is not a JSON object")
        return body

    async def _pages(
        self, client: httpx.AsyncClient, path: str, params: dict[str, Any]
    ) -> AsyncIterator[list[Json]]:
        """Each page's items, following ``nextCursor`` (the filters sent again each time)."""
        cursor: str | None = None
        while True:
            page = await self._get(client, path, params | ({"cursor": cursor} if cursor else {}))
            items = [i for i in page.get("data") or [] if isinstance(i, dict) and "id" in i]
            for item in items:
                item["id"] = str(item["id"])
            yield items
            if not (cursor := page.get("nextCursor")) or not items:
                return

    # ----- reading -----------------------------------------------------------------------
    async def _workflow_names(
        self, client: httpx.AsyncClient, *, refresh: bool = False
    ) -> tuple[Names, bool]:
        """Workflow id -> (name, archived), read at most once a ``names_ttl`` unless
        ``refresh``; and whether it was read just now."""
        now = self._clock()
        if not refresh and self._names_at is not None and now - self._names_at < self._names_ttl:
            return self._names, False
        names: Names = {}
        params = {"limit": _PAGE_MAX, "excludePinnedData": "true"}
        async for items in self._pages(client, "/workflows", params):
            for wf in items:
                names[wf["id"]] = (str(wf.get("name") or wf["id"]), bool(wf.get("isArchived")))
        self._names, self._names_at = names, now
        return names, True

    async def _listed(
        self, client: httpx.AsyncClient, since: datetime, wf: str | None, limit: int, running: bool
    ) -> dict[str, Json]:
        """Executions started since ``since``, by id: pages until one ends before ``since`` or
        ``limit`` are found (``running``: one page of ``status=running``)."""
        params: dict[str, Any] = {"limit": min(_PAGE_MAX, limit)}
        params |= ({"workflowId": wf} if wf else {}) | ({"status": "running"} if running else {})
        found: dict[str, Json] = {}
        async for items in self._pages(client, "/executions", params):
            for item in items:
                if (started := _time(item.get("startedAt"))) is None or started >= since:
                    found[item["id"]] = item
            oldest = _time(items[-1].get("startedAt")) if items else None
            if running or len(found) >= limit or (oldest is not None and oldest < since):
                break
        return found

    async def _details(self, client: httpx.AsyncClient, executions: list[Json]) -> dict[str, Json]:
        """The failed executions again, with their data (a few requests at a time)."""
        gate = asyncio.Semaphore(_DETAIL_CONCURRENCY)

        async def one(execution_id: str) -> tuple[str, Json | None]:
            async with gate:
                try:
                    path, params = f"/executions/{execution_id}", {"includeData": "true"}
                    return execution_id, await self._get(client, path, params)
                except _NotFound:  # deleted since it was listed
                    return execution_id, None

        pairs = await asyncio.gather(*(one(e["id"]) for e in executions))
        return {i: d for i, d in pairs if d is not None}

    async def _attempts(self, client: httpx.AsyncClient, execution: Json) -> int:
        """How many attempts came before this one, following ``retryOf`` through n8n (up to
        10 hops)."""
        depth, current, visited = 0, execution, {str(execution["id"])}
        while (parent := str(current.get("retryOf") or "")) and depth < _CHAIN_HOPS:
            depth += 1
            if parent in visited:
                break
            visited.add(parent)
            try:
                current = await self._get(client, f"/executions/{parent}", {})
            except _NotFound:
                break
        return depth

    def _run(self, execution: Json, names: Names, retries: int, detail: Json | None) -> Run:
        workflow_id, run_id = str(execution.get("workflowId") or ""), str(execution["id"])
        snapshot = ((detail or {}).get("workflowData") or {}).get("name") or workflow_id
        state = _state(execution)
        started, stopped = _time(execution.get("startedAt")), _time(execution.get("stoppedAt"))
        return Run(
            source=self.name,
            workflow=names.get(workflow_id, (str(snapshot), False))[0],
            run_id=run_id,
            state=state,
            started_at=started,
            ended_at=stopped if state in FINISHED else None,
            retries=retries,
            error=_error_text(detail),
            url=f"{self._base}/workflow/{workflow_id}/executions/{run_id}",
        )


def _named(names: Names, workflow: str) -> list[str | None]:
    return [i for i, (name, _) in names.items() if name == workflow]


def _state(execution: Json) -> RunState:
    status = str(execution.get("status") or "unknown")
    if status in _STATES:
        return _STATES[status]
    if execution.get("finished"):  # "unknown": executions older than the status column
        return RunState.SUCCESS
    return RunState.ERROR if execution.get("stoppedAt") else RunState.RUNNING


def _time(raw: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(raw).replace("Z", "+00:00")) if raw else None
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment and not moment.tzinfo else moment


def _newest_first(execution: Json) -> tuple[float, int]:
    started, ident = _time(execution.get("startedAt")), execution["id"]
    return (-started.timestamp() if started else -1e18, -int(ident) if ident.isdigit() else 0)


def _result(execution: Json | None) -> Json:
    data = (execution or {}).get("data")
    return (data.get("resultData") or {}) if isinstance(data, dict) else {}


def _failed(task: Json) -> bool:
    return task.get("executionStatus") == "error" or bool(task.get("error"))


def _error_text(execution: Json | None) -> str | None:
    """``data.resultData.error.message`` (else the failing node's), first line, trimmed."""
    result = _result(execution)
    message = str((result.get("error") or {}).get("message") or "")
    for tasks in (result.get("runData") or {}).values():
        for task in tasks or []:
            message = message.strip() or str((task.get("error") or {}).get("message") or "")
    return message.strip().splitlines()[0][:_ERROR_CHARS] if message.strip() else None


def _steps(execution: Json, state: RunState) -> tuple[Step, ...]:
    """The nodes in the order they ran (``executionIndex``): the failing one ``failed``, the
    one it waits at (``lastNodeExecuted``) ``waiting``, a running one's next ``running``."""
    result = _result(execution)
    last = result.get("lastNodeExecuted")
    ran: list[tuple[str, list[Json]]] = list((result.get("runData") or {}).items())
    first = {n: min((t.get("executionIndex", 1e9) for t in ts or []), default=1e9) for n, ts in ran}
    steps = {n: "failed" if any(_failed(t) for t in ts or []) else "done" for n, ts in ran}
    steps = {n: steps[n] for n in sorted(steps, key=lambda n: first[n])}
    if last and state is RunState.WAITING:
        steps[str(last)] = "waiting"
    if last and state is RunState.ERROR and "failed" not in steps.values():
        steps[str(last)] = "failed"
    if state is RunState.RUNNING:
        data = execution.get("data") or {}
        for entry in (data.get("executionData") or {}).get("nodeExecutionStack") or []:
            if (name := ((entry or {}).get("node") or {}).get("name")) and name not in steps:
                steps[str(name)] = "running"
    return tuple(Step(name=str(n), status=s) for n, s in steps.items())


def _notes(execution: Json) -> dict[str, str]:
    """``customData`` (the Execution Data node's), the mode, the retry links, the wait."""
    notes = {str(k): str(v) for k, v in (execution.get("customData") or {}).items()}
    notes["mode"] = str(execution.get("mode") or "")
    notes["retry of"] = str(execution.get("retryOf") or "")
    notes["retried by"] = str(execution.get("retrySuccessId") or "")
    if (until := _time(execution.get("waitTill"))) and execution.get("status") == "waiting":
        notes["waits for"] = "a webhook or form call" if until.year >= 3000 else until.isoformat()
    return {k: v for k, v in notes.items() if v}


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.reason_phrase
    found = body.get("message") if isinstance(body, dict) else None
    return str(found)[:200] if found else response.reason_phrase


def _retry_after(headers: httpx.Headers) -> float | None:
    """``Retry-After`` in seconds: a number, or an HTTP date."""
    value = (headers.get("retry-after") or "").strip()
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        pass
    try:
        wait = parsedate_to_datetime(value).astimezone(UTC) - datetime.now(UTC)
    except (TypeError, ValueError):
        return None
    return max(0.0, wait.total_seconds())
