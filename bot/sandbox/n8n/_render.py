"""JSON as n8n 2.x answers it: workflows, executions, and an execution's ``data``
(``resultData.runData`` keyed by node name, ``lastNodeExecuted``, the error)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from ._models import (
    CANCELED_MESSAGE,
    CRASHED_MESSAGE,
    Execution,
    Json,
    Workflow,
    epoch_ms,
    iso,
)

_NODE_TYPES = {
    "webhook": "n8n-nodes-base.webhook",
    "wait": "n8n-nodes-base.wait",
    "schedule": "n8n-nodes-base.scheduleTrigger",
    "http": "n8n-nodes-base.httpRequest",
}
_SETTINGS = {
    "executionOrder": "v1",
    "saveDataErrorExecution": "all",
    "saveDataSuccessExecution": "all",
    "saveManualExecutions": True,
    "callerPolicy": "workflowsFromSameOwner",
    "availableInMCP": False,
}


def _node_type(name: str) -> str:
    lowered = name.lower()
    for word, kind in _NODE_TYPES.items():
        if word in lowered:
            return kind
    return "n8n-nodes-base.code"


def node_json(workflow: Workflow, index: int) -> Json:
    """One node of the workflow (stable ids, laid out left to right)."""
    name = workflow.nodes[index]
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"n8n:{workflow.id}:{name}")),
        "name": name,
        "type": _node_type(name),
        "typeVersion": 2,
        "position": [250 * index, 0],
        "parameters": {},
    }


def connections_json(workflow: Workflow) -> Json:
    """Each node feeds the next one."""
    pairs = zip(workflow.nodes, workflow.nodes[1:], strict=False)
    return {a: {"main": [[{"node": b, "type": "main", "index": 0}]]} for a, b in pairs}


def workflow_data(workflow: Workflow) -> Json:
    """The workflow as an execution's ``workflowData`` holds it."""
    return {
        "id": workflow.id,
        "name": workflow.name,
        "active": workflow.active,
        "activeVersionId": workflow.version_id if workflow.active else None,
        "isArchived": workflow.archived,
        "createdAt": iso(workflow.created_at),
        "updatedAt": iso(workflow.created_at),
        "nodes": [node_json(workflow, i) for i in range(len(workflow.nodes))],
        "connections": connections_json(workflow),
        "settings": dict(_SETTINGS),
        "staticData": None,
        "pinData": {},
    }


def workflow_json(workflow: Workflow) -> Json:
    """``GET /workflows/{id}`` and the items of ``GET /workflows``."""
    created = iso(workflow.created_at)
    tags = [
        {"id": f"tag-{n}", "name": n, "createdAt": created, "updatedAt": created}
        for n in workflow.tags
    ]
    return {
        **workflow_data(workflow),
        "meta": None,
        "versionId": workflow.version_id,
        "triggerCount": 1 if workflow.active else 0,
        "tags": tags,
        "shared": [],
    }


def execution_json(execution: Execution, workflow: Workflow, *, include_data: bool) -> Json:
    """An execution as ``GET /executions[/{id}]`` answers it (``includeData`` adds ``data``,
    ``workflowData`` and ``customData``)."""
    body: Json = {
        "id": execution.id,
        "finished": execution.status == "success",
        "mode": execution.mode,
        "retryOf": execution.retry_of,
        "retrySuccessId": execution.retry_success_id,
        "status": execution.status,
        "startedAt": iso(execution.started_at),
        "stoppedAt": iso(execution.stopped_at),
        "workflowId": execution.workflow_id,
        "waitTill": iso(execution.wait_till),
    }
    if include_data:
        body["data"] = execution_data(execution, workflow)
        body["workflowData"] = workflow_data(workflow)
        body["customData"] = dict(execution.custom_data)
    return body


def _ran(execution: Execution, workflow: Workflow) -> list[str]:
    """The nodes that have run data: all for success, up to the stopping node otherwise."""
    if execution.status == "success" or execution.node is None:
        return list(workflow.nodes) if execution.status == "success" else []
    upto = workflow.nodes.index(execution.node)
    if execution.status in ("running", "new"):
        return workflow.nodes[:upto]  # the current node has no run data yet
    return workflow.nodes[: upto + 1]


def _error(execution: Execution) -> Json | None:
    if execution.status == "crashed":
        return {"message": execution.message or CRASHED_MESSAGE, "name": "WorkflowCrashedError"}
    if execution.status == "canceled":
        return {"message": execution.message or CANCELED_MESSAGE, "name": "ExecutionCancelledError"}
    if execution.status != "error":
        return None
    message = execution.message or "Unknown error"
    return {
        "level": "error",
        "tags": {},
        "description": message,
        "message": message,
        "stack": f"Error: {message}\n    at {execution.node} (sandbox)",
    }


def _task(execution: Execution, ran: list[str], index: int, start: datetime) -> Json:
    name = ran[index]
    error = _error(execution)
    failed = error is not None and name == execution.node and execution.status == "error"
    source = {"previousNode": ran[index - 1], "previousNodeOutput": 0, "previousNodeRun": 0}
    task: Json = {
        "startTime": epoch_ms(start + timedelta(milliseconds=index)),
        "executionIndex": index,
        "source": [source] if index else [],
        "hints": [],
        "executionTime": 1,
        "executionStatus": "error" if failed else "success",
        "data": {"main": [[{"json": {"node": name}, "pairedItem": {"item": 0}}]]},
    }
    if failed:
        del task["data"]
        task["error"] = error
    return task


def execution_data(execution: Execution, workflow: Workflow) -> Json:
    """``data``: ``resultData`` (``runData``, ``lastNodeExecuted``, ``error``) and the stack."""
    ran = _ran(execution, workflow)
    start = execution.started_at or workflow.created_at
    error = _error(execution)
    run_data: Json = {name: [_task(execution, ran, i, start)] for i, name in enumerate(ran)}
    result: Json = {"runData": run_data}
    if error is not None:
        result = {"error": error, **result}
    if ran:
        result["lastNodeExecuted"] = ran[-1]
    stack: list[Json] = []
    if execution.node is not None and execution.status in ("error", "running", "new", "waiting"):
        node = node_json(workflow, workflow.nodes.index(execution.node))
        stack.append({"node": node, "data": {"main": [[{"json": {}}]]}, "source": None})
    data: Json = {
        "version": 1,
        "startData": {},
        "resultData": result,
        "executionData": {
            "contextData": {},
            "nodeExecutionStack": stack,
            "metadata": {},
            "waitingExecution": {},
            "waitingExecutionSource": {},
            "runtimeData": _runtime(execution, workflow, start),
        },
    }
    if execution.wait_till is not None:
        data["waitTill"] = iso(execution.wait_till)
    return data


def _runtime(execution: Execution, workflow: Workflow, start: datetime) -> Any:
    trigger = workflow.nodes[0] if workflow.nodes else "Trigger"
    return {
        "version": 1,
        "establishedAt": epoch_ms(start),
        "source": execution.mode,
        "triggerNode": {"name": trigger, "type": _node_type(trigger)},
    }
