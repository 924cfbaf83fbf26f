"""Seeding from plain data (``POST /_sandbox/seed``) and a ready-made demo instance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ._models import WAIT_INDEFINITELY
from ._state import N8nState

_EXECUTION_KEYS = (
    "node",
    "message",
    "ago",
    "duration",
    "mode",
    "custom_data",
)


def _when(raw: Any) -> datetime | None:
    if raw is None:
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


def seed(state: N8nState, spec: dict[str, Any]) -> dict[str, Any]:
    """Add ``spec["workflows"]`` then ``spec["executions"]`` to ``state``.

    A workflow: ``{"name", "nodes": [...], "active", "archived", "tags", "id"}`` (only
    ``name`` required). An execution: ``{"workflow": name or id, "status", "node", "message",
    "ago" (seconds), "started_at" (ISO), "duration", "wait_till" (ISO), "retry_of" (an
    execution id), "mode", "custom_data"}``. Returns ``{"workflows": {name: id},
    "executions": [id, ...]}``.
    """
    if not isinstance(spec, dict):
        raise ValueError("the seed must be a JSON object")
    made: dict[str, str] = {}
    for item in spec.get("workflows") or []:
        wf = state.add_workflow(
            str(item["name"]),
            list(item.get("nodes") or ["Webhook", "Work"]),
            active=bool(item.get("active", True)),
            archived=bool(item.get("archived", False)),
            tags=tuple(item.get("tags") or ()),
            workflow_id=item.get("id"),
        )
        made[wf.name] = wf.id
    ids: list[str] = []
    for item in spec.get("executions") or []:
        options = {k: item[k] for k in _EXECUTION_KEYS if k in item}
        status = str(item.get("status", "success"))
        wait_till = _when(item.get("wait_till"))
        if status == "waiting" and wait_till is None:
            wait_till = WAIT_INDEFINITELY
        execution = state.add_execution(
            str(item["workflow"]),
            status,
            started_at=_when(item.get("started_at")),
            wait_till=wait_till,
            retry_of=str(item["retry_of"]) if item.get("retry_of") else None,
            **options,
        )
        ids.append(execution.id)
    return {"workflows": made, "executions": ids}


def demo_state(api_key: str | None = None) -> N8nState:
    """An instance with three workflows and a day of executions in every state: successes,
    failures with their node and message, a retry chain, a crash, a wait, a run in flight."""
    state = N8nState(api_key) if api_key else N8nState()
    hour = 3600.0
    digest = state.add_workflow(
        "ops-digest", ["Schedule Trigger", "Fetch Tickets", "Summarise", "Post to Slack"]
    )
    invoices = state.add_workflow("invoice-sync", ["Webhook", "Validate", "Write to ERP"])
    leads = state.add_workflow(
        "lead-enrich", ["Webhook", "Enrich", "Wait for Approval", "Update CRM"]
    )
    state.add_workflow("legacy-export", ["Webhook", "Export"], active=False, archived=True)
    for n in range(6):
        state.success(digest, ago=(20 - 3 * n) * hour, duration=4.0 + n, mode="trigger")
    failed = state.error(
        digest,
        "Fetch Tickets",
        "getaddrinfo ENOTFOUND tickets.example.com",
        ago=2.5 * hour,
        duration=1.2,
        mode="trigger",
    )
    again = state.retry(failed, "error", node="Fetch Tickets", message=failed.message, ago=2 * hour)
    state.retry(again, ago=1.5 * hour, duration=5.5)
    for n in range(4):
        state.success(invoices, ago=(10 - 2 * n) * hour, duration=0.8)
    state.error(
        invoices,
        "Write to ERP",
        "The service is receiving too many requests from you [item 0]",
        ago=hour,
        duration=0.4,
    )
    state.crashed(invoices, "Validate", ago=0.5 * hour, duration=30.0)
    state.success(leads, ago=6 * hour, duration=2.0)
    state.canceled(leads, "Enrich", ago=4 * hour, duration=12.0, mode="manual")
    state.waiting(leads, ago=0.75 * hour, duration=1.5)
    state.running(leads, "Enrich", ago=20.0)
    return state
