"""In-memory, thread-safe instance of the sandbox n8n: workflows, executions, faults, journal.

Seed it with :meth:`N8nState.add_workflow` and the execution helpers (:meth:`~N8nState.success`,
:meth:`~N8nState.error`, :meth:`~N8nState.waiting`, :meth:`~N8nState.running`,
:meth:`~N8nState.canceled`, :meth:`~N8nState.crashed`, :meth:`~N8nState.retry`); execution ids
count up from 1 in the order they are added, as n8n's do.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import QueryParams

from .._faults import SandboxState
from . import _query
from ._models import (
    ACTIVE_STATUSES,
    DEFAULT_API_KEY,
    NOT_FOUND,
    STATUSES,
    WAIT_INDEFINITELY,
    Execution,
    Json,
    N8nCall,
    N8nError,
    N8nFault,
    Workflow,
    new_workflow_id,
)
from ._render import execution_json, workflow_json

_STOPPED = frozenset({"success", "error", "crashed", "canceled", "waiting"})


class N8nState(SandboxState[N8nFault, N8nCall]):
    """The emulated instance; every access goes through one re-entrant lock."""

    def __init__(self, api_key: str = DEFAULT_API_KEY) -> None:
        super().__init__()
        self.api_key = api_key
        self._workflows: dict[str, Workflow] = {}
        self._executions: dict[int, Execution] = {}
        self._next_execution = 1

    # ----- journal and faults ------------------------------------------------------------
    def record(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        status: int,
        message: str | None = None,
        fault: str | None = None,
    ) -> N8nCall:
        """Append one request to the journal."""
        return self._journal.record(N8nCall, method, path, query, status, message, fault)

    def count(self, method: str | None = None, path_prefix: str = "/api/v1/") -> int:
        """How many requests of ``method`` (any if None) hit paths under ``path_prefix``."""
        return self._journal.count(method, path_prefix)

    # ----- seeding -----------------------------------------------------------------------
    def add_workflow(
        self,
        name: str,
        nodes: tuple[str, ...] | list[str] = ("Webhook", "Work"),
        *,
        active: bool = True,
        archived: bool = False,
        tags: tuple[str, ...] = (),
        workflow_id: str | None = None,
    ) -> Workflow:
        """Add a workflow whose ``nodes`` run one after the other."""
        if not nodes or len(set(nodes)) != len(nodes):
            raise ValueError("a workflow needs nodes with distinct names")
        with self.lock:
            wf = Workflow(
                workflow_id or new_workflow_id(), name, list(nodes), active, archived, list(tags)
            )
            wf.version_id = str(uuid.uuid4())
            self._workflows[wf.id] = wf
            return wf

    def workflow(self, ref: Workflow | str) -> Workflow:
        """A workflow by object, id or (first) name; ``KeyError`` if unknown."""
        if isinstance(ref, Workflow):
            return ref
        with self.lock:
            if ref in self._workflows:
                return self._workflows[ref]
            for wf in self._workflows.values():
                if wf.name == ref:
                    return wf
        raise KeyError(ref)

    def add_execution(
        self,
        workflow: Workflow | str,
        status: str = "success",
        *,
        node: str | None = None,
        message: str | None = None,
        started_at: datetime | None = None,
        ago: float | None = None,
        duration: float = 0.5,
        wait_till: datetime | None = None,
        retry_of: Execution | str | None = None,
        mode: str | None = None,
        custom_data: dict[str, str] | None = None,
    ) -> Execution:
        """Add an execution. It starts at ``started_at`` (or ``ago`` seconds back, or now)
        and, unless it still runs, stopped ``duration`` seconds later. ``node`` is where it
        stopped (error, crashed, canceled, waiting) or runs now (running, new)."""
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self.lock:
            wf = self.workflow(workflow)
            if node is not None and node not in wf.nodes:
                raise ValueError(f"{wf.name!r} has no node {node!r}")
            start = started_at or datetime.now(UTC) - timedelta(seconds=ago or 0)
            begun = started_at if status == "new" else start  # queued: not started yet
            stopped = start + timedelta(seconds=duration) if status in _STOPPED else None
            parent = retry_of.id if isinstance(retry_of, Execution) else retry_of
            mode = mode or ("retry" if parent else "webhook")
            execution = Execution(
                str(self._next_execution), wf.id, status, mode, begun, stopped, node, message
            )
            execution.wait_till, execution.retry_of = wait_till, parent
            execution.custom_data = dict(custom_data or {})
            self._executions[self._next_execution] = execution
            self._next_execution += 1
            if parent and status == "success" and int(parent) in self._executions:
                self._executions[int(parent)].retry_success_id = execution.id
            return execution

    def success(self, workflow: Workflow | str, **options: Any) -> Execution:
        """A finished, successful execution: every node ran."""
        return self.add_execution(workflow, "success", **options)

    def error(self, workflow: Workflow | str, node: str, message: str, **options: Any) -> Execution:
        """An execution that failed at ``node`` with ``message``."""
        return self.add_execution(workflow, "error", node=node, message=message, **options)

    def crashed(self, workflow: Workflow | str, node: str, **options: Any) -> Execution:
        """An execution whose process died at ``node`` (status ``crashed``)."""
        return self.add_execution(workflow, "crashed", node=node, **options)

    def canceled(self, workflow: Workflow | str, node: str, **options: Any) -> Execution:
        """An execution stopped by hand at ``node`` (status ``canceled``)."""
        return self.add_execution(workflow, "canceled", node=node, **options)

    def waiting(
        self,
        workflow: Workflow | str,
        node: str | None = None,
        wait_till: datetime | None = WAIT_INDEFINITELY,
        **options: Any,
    ) -> Execution:
        """An execution paused at a Wait node (the first node named ``Wait…`` by default)
        until ``wait_till`` (default: until a webhook or form resumes it)."""
        wf = self.workflow(workflow)
        where = node or next((n for n in wf.nodes if n.lower().startswith("wait")), wf.nodes[-1])
        return self.add_execution(wf, "waiting", node=where, wait_till=wait_till, **options)

    def running(
        self, workflow: Workflow | str, node: str | None = None, **options: Any
    ) -> Execution:
        """An execution running now, at ``node`` (the last node by default)."""
        wf = self.workflow(workflow)
        return self.add_execution(wf, "running", node=node or wf.nodes[-1], **options)

    def retry(self, of: Execution | str, status: str = "success", **options: Any) -> Execution:
        """A retry of execution ``of`` (``mode: retry``, ``retryOf``); when it succeeds the
        original gets its ``retrySuccessId``."""
        original = self.execution(of.id if isinstance(of, Execution) else of)
        return self.add_execution(original.workflow_id, status, retry_of=original.id, **options)

    # ----- test accessors ----------------------------------------------------------------
    def workflows(self) -> list[Workflow]:
        """Every workflow, in the order added."""
        with self.lock:
            return list(self._workflows.values())

    def executions(self) -> list[Execution]:
        """Every execution, oldest id first."""
        with self.lock:
            return [self._executions[k] for k in sorted(self._executions)]

    def execution(self, execution_id: str) -> Execution:
        """One execution; ``KeyError`` if unknown."""
        with self.lock:
            return self._executions[int(execution_id)]

    # ----- API ---------------------------------------------------------------------------
    def list_workflows(self, query: QueryParams) -> Json:
        """``GET /workflows``: ``active``, ``name`` (substring, any case), ``tags`` (all of
        them), offset cursor."""
        active = _query.boolean(query, "active")
        _query.boolean(query, "excludePinnedData")
        name = (query.get("name") or "").strip().lower()
        tags = [t.strip() for t in (query.get("tags") or "").split(",") if t.strip()]
        offset, size = _query.page_offset(query)
        with self.lock:
            found = [
                wf
                for wf in self._workflows.values()
                if (active is None or wf.active == active)
                and name in wf.name.lower()
                and all(t in wf.tags for t in tags)
            ]
            chunk = found[offset : offset + size] if size else found[offset:]
            more = size and len(found) > offset + size
            cursor = _query.encode({"limit": size, "offset": offset + size}) if more else None
            return {"data": [workflow_json(wf) for wf in chunk], "nextCursor": cursor}

    def get_workflow(self, workflow_id: str, query: QueryParams) -> Json:
        """``GET /workflows/{id}``."""
        _query.boolean(query, "excludePinnedData")
        with self.lock:
            wf = self._workflows.get(workflow_id)
            if wf is None:
                raise N8nError(404, NOT_FOUND)
            return workflow_json(wf)

    def list_executions(self, query: QueryParams) -> Json:
        """``GET /executions``: newest id first, ``status``, ``workflowId``, ``includeData``,
        cursor. Running executions are left out unless ``status=running`` (as upstream)."""
        status = _query.status(query)
        include = bool(_query.boolean(query, "includeData"))
        workflow_id = query.get("workflowId")
        last_id, size = _query.page_after(query)
        with self.lock:
            if workflow_id is not None and workflow_id not in self._workflows:
                return {"data": [], "nextCursor": None}
            wanted = {"error", "crashed"} if status == "error" else {status} if status else None
            found = [
                self._executions[k]
                for k in sorted(self._executions, reverse=True)
                if (last_id is None or k < last_id)
                and (workflow_id is None or self._executions[k].workflow_id == workflow_id)
                and (status == "running" or self._executions[k].status not in ACTIVE_STATUSES)
                and (wanted is None or self._executions[k].status in wanted)
            ]
            chunk = found[:size] if size else found
            data = [
                execution_json(e, self._workflows[e.workflow_id], include_data=include)
                for e in chunk
            ]
            new_last = chunk[-1].id if chunk else "0"
            more = len(found) > len(chunk)
            cursor = _query.encode({"lastId": new_last, "limit": size}) if more else None
            return {"data": data, "nextCursor": cursor}

    def get_execution(self, raw_id: str, query: QueryParams) -> Json:
        """``GET /executions/{id}`` (running ones too)."""
        execution_id = _query.execution_id(raw_id)
        include = bool(_query.boolean(query, "includeData"))
        with self.lock:
            found = self._executions.get(int(execution_id)) if execution_id.isdigit() else None
            if found is None:
                raise N8nError(404, NOT_FOUND)
            return execution_json(found, self._workflows[found.workflow_id], include_data=include)
