"""The incident card's buttons and the incident modals."""

from __future__ import annotations

import logging
from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.incident_args import parse_severity
from bot.domain.lifecycle import Action, Refused
from bot.domain.severity import Severity
from bot.errors import UsageError
from bot.services.lifecycle import Actor, Change
from bot.services.registry import LifecycleService
from handlers.slack import incident_blocks as ui

__all__ = ["register"]

log = logging.getLogger("opsbot.slack")
_DIRECT = {
    "incident_ack": Action.ACK,
    "incident_escalate": Action.ESCALATE,
    "incident_reopen": Action.REOPEN,
}


def register(bolt: AsyncApp) -> None:
    """Attach the button and modal listeners."""
    for action_id in (*_DIRECT, "incident_update", "incident_resolve", "incident_sev"):
        bolt.action(action_id)(on_button)
    bolt.view("incident_declare")(on_declare_submitted)
    for callback in ("incident_update", "incident_resolve", "incident_sev"):
        bolt.view(callback)(on_change_submitted)


def _incident_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


async def on_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    lifecycle: LifecycleService,
) -> None:
    """Acknowledge, Escalate, Reopen act at once; Post update, Change severity, Resolve ask."""
    await ack()
    incident_id = _incident_id(action.get("value"))
    if incident_id is None:
        await respond(
            text="This button has no incident attached.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    action_id = str(action["action_id"])
    if action_id in _DIRECT:
        actor = Actor(user_id=str(body["user"]["id"]), surface="button")
        change = Change(_DIRECT[action_id])
        try:
            view = await to_thread.run_sync(lambda: lifecycle.apply(incident_id, change, actor))
        except (Refused, LookupError) as exc:
            await respond(
                text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False
            )
            return
        await respond(
            text=f"Done: #{view.number} is {view.status}.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    modal = await _modal_for(action_id, incident_id, lifecycle)
    await client.views_open(trigger_id=body["trigger_id"], view=modal)


async def _modal_for(
    action_id: str, incident_id: int, lifecycle: LifecycleService
) -> dict[str, Any]:
    if action_id == "incident_update":
        return ui.update_modal(incident_id)
    if action_id == "incident_resolve":
        return ui.resolve_modal(incident_id)
    view = await to_thread.run_sync(lambda: lifecycle.view(incident_id))
    return ui.severity_modal(incident_id, view.severity.value if view else "S2")


def _value(view: dict[str, Any], block_id: str) -> str | None:
    field = view.get("state", {}).get("values", {}).get(block_id, {}).get(block_id, {})
    if field.get("selected_option"):
        return str(field["selected_option"]["value"])
    text = field.get("value")
    return str(text).strip() if text else None


async def on_declare_submitted(
    ack: AsyncAck,
    body: dict[str, Any],
    view: dict[str, Any],
    client: AsyncWebClient,
    lifecycle: LifecycleService,
) -> None:
    """Declare from the form; a missing title is shown on the form."""
    title = _value(view, "title")
    if not title:
        await ack(response_action="errors", errors={"title": "A title is needed."})
        return
    await ack()
    severity = Severity(_value(view, "severity") or "S2")
    service = _value(view, "service") or "default"
    actor = Actor(user_id=str(body["user"]["id"]), surface="modal")
    created = await to_thread.run_sync(
        lambda: lifecycle.declare(
            title=title[:200], severity=severity, service=service, client=None, actor=actor
        )
    )
    channel = view.get("private_metadata") or ""
    if channel:
        await client.chat_postEphemeral(
            channel=channel,
            user=actor.user_id,
            text=f"Incident #{created.number} declared ({created.severity.value}).",
        )


async def on_change_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], lifecycle: LifecycleService
) -> None:
    """Update, resolve or change severity from a form; refusals are shown on the form."""
    incident_id = _incident_id(view.get("private_metadata"))
    callback = str(view.get("callback_id"))
    if incident_id is None:
        await ack(response_action="errors", errors={"text": "This form lost its incident."})
        return
    try:
        change, first_block = _change_from(callback, view)
    except UsageError as exc:
        await ack(response_action="errors", errors={"severity": str(exc)})
        return
    actor = Actor(user_id=str(body["user"]["id"]), surface="modal")
    try:
        await to_thread.run_sync(lambda: lifecycle.apply(incident_id, change, actor))
    except (Refused, LookupError) as exc:
        await ack(response_action="errors", errors={first_block: str(exc)})
        return
    await ack()


def _change_from(callback: str, view: dict[str, Any]) -> tuple[Change, str]:
    if callback == "incident_update":
        return Change(Action.UPDATE, text=_value(view, "text") or ""), "text"
    if callback == "incident_resolve":
        return (
            Change(Action.RESOLVE, text=_value(view, "summary"), impact=_value(view, "impact")),
            "summary",
        )
    severity = parse_severity(_value(view, "severity") or "", "S1, S2 or S3")
    return Change(Action.SEVERITY, severity=severity, text=_value(view, "reason")), "severity"
