"""Checklist and RCA buttons and forms: tick an item, open an RCA section or the action item
form, save them (missing fields are shown on the form)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack import rca_cards
from bot.adapters.slack.checklist_cards import TICK_ACTION
from bot.domain import rca as rca_domain
from bot.domain.lifecycle import Refused
from bot.services.checklist_service import ChecklistService
from bot.services.lifecycle import Actor

__all__ = ["register"]

_TICK = re.compile(rf"^{TICK_ACTION}:")
_SECTION = re.compile(rf"^{rca_cards.OPEN_SECTION}:")


def register(bolt: AsyncApp) -> None:
    """Attach the checklist and RCA listeners."""
    bolt.action(_TICK)(on_tick)
    bolt.action(_SECTION)(on_open_section)
    bolt.action(rca_cards.ADD_ACTION)(on_open_action)
    bolt.action(rca_cards.SHOW_RCA)(on_show_rca)
    bolt.view(rca_cards.SECTION_CALLBACK)(on_section_submitted)
    bolt.view(rca_cards.ACTION_CALLBACK)(on_action_submitted)


async def _tell(respond: AsyncRespond, text: str) -> None:
    await respond(text=text, response_type="ephemeral", replace_original=False)


async def on_tick(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    checklists: ChecklistService,
) -> None:
    """Done/Undo on a checklist item; the message is edited through the outbox."""
    await ack()
    parts = str(action.get("value", "")).split(":")
    if len(parts) != 4 or not parts[0].isdigit():
        await _tell(respond, "This button has no checklist item attached.")
        return
    incident_id, checklist, key, done = int(parts[0]), parts[1], parts[2], parts[3] == "1"
    user = str(body["user"]["id"])
    try:
        await to_thread.run_sync(lambda: checklists.tick(incident_id, checklist, key, done, user))
    except (LookupError, Refused) as exc:
        await _tell(respond, f":no_entry: {exc}")


async def on_show_rca(
    ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond, checklists: ChecklistService
) -> None:
    """The card's RCA button: where the RCA stands, with a button per section."""
    await ack()
    incident_id = int(str(action.get("value") or "0") or 0)
    status = await to_thread.run_sync(lambda: checklists.rca(incident_id))
    if status is None:
        await _tell(respond, f"There is no incident {incident_id}.")
        return
    blocks = rca_cards.rca_status_blocks(incident_id, status)
    await respond(
        text=f"RCA of #{incident_id}",
        blocks=blocks,
        response_type="ephemeral",
        replace_original=False,
    )


async def on_open_section(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client: AsyncWebClient,
    checklists: ChecklistService,
) -> None:
    """Open one section's form, pre-filled."""
    await ack()
    number, _, key = str(action.get("value", "")).partition(":")
    if not number.isdigit() or key not in {s.key for s in rca_domain.SECTIONS}:
        await _tell(respond, "This button has no RCA section attached.")
        return
    status = await to_thread.run_sync(lambda: checklists.rca(int(number)))
    if status is None or not status.started:
        await _tell(respond, "The RCA starts when the incident is resolved.")
        return
    state = next(s for s in status.sections if s.section.key == key)
    modal = rca_cards.section_modal(int(number), state.section, state.values)
    await client.views_open(trigger_id=body["trigger_id"], view=modal)


async def on_open_action(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    checklists: ChecklistService,
) -> None:
    """Open the action item form."""
    await ack()
    incident_id = str(action.get("value") or "0")
    modal = rca_cards.action_modal(int(incident_id), today=checklists.today().isoformat())
    await client.views_open(trigger_id=body["trigger_id"], view=modal)


def _values(view: dict[str, Any]) -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for block_id, fields in view.get("state", {}).get("values", {}).items():
        field = fields.get(block_id, {})
        flat[block_id] = (
            field.get("value") or field.get("selected_user") or field.get("selected_date") or ""
        )
    return flat


async def on_section_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], checklists: ChecklistService
) -> None:
    """Save a section; what is missing is shown on the form."""
    number, _, key = str(view.get("private_metadata", "")).partition(":")
    if not number.isdigit() or key not in {s.key for s in rca_domain.SECTIONS}:
        await ack(response_action="errors", errors={"text": "This form lost its incident."})
        return
    values = {k: str(v) for k, v in _values(view).items()}
    missing = rca_domain.missing_fields(rca_domain.section(key), values)
    if missing:
        await ack(response_action="errors", errors=missing)
        return
    actor = Actor(user_id=str(body["user"]["id"]), surface="modal")
    first = rca_domain.section(key).fields[0].key
    try:
        await to_thread.run_sync(lambda: checklists.save_section(int(number), key, values, actor))
    except (LookupError, Refused) as exc:
        await ack(response_action="errors", errors={first: str(exc)})
        return
    await ack()


async def on_action_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], checklists: ChecklistService
) -> None:
    """Add an action item."""
    incident_id = str(view.get("private_metadata", ""))
    values = _values(view)
    try:
        due = date.fromisoformat(str(values.get("due", "")))
    except ValueError:
        await ack(response_action="errors", errors={"due": "Pick a due date."})
        return
    owner = str(values.get("owner") or "")
    if not incident_id.isdigit() or not owner:
        await ack(response_action="errors", errors={"owner": "Pick an owner."})
        return
    actor = Actor(user_id=str(body["user"]["id"]), surface="modal")
    text = str(values.get("text") or "")
    try:
        await to_thread.run_sync(
            lambda: checklists.add_action(
                int(incident_id), text=text, owner=owner, due=due, actor=actor
            )
        )
    except (LookupError, Refused) as exc:
        await ack(response_action="errors", errors={"text": str(exc)})
        return
    await ack()
