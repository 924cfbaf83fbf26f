"""Client updates in Slack: the card's "Draft client update" button, its form, and the
preview's Post/Approve and Discard buttons."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.client_cards import client_update_modal
from bot.domain.lifecycle import Refused
from bot.services.registry import ClientUpdateService, LifecycleService

__all__ = ["register"]


def register(bolt: AsyncApp) -> None:
    """Attach the client-update listeners."""
    bolt.action("incident_client_update")(on_draft_button)
    bolt.view("incident_client_update")(on_draft_submitted)
    bolt.action("client_update_post")(on_decision)
    bolt.action("client_update_discard")(on_decision)


async def on_draft_button(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    client: AsyncWebClient,
    lifecycle: LifecycleService,
) -> None:
    """Open the draft form, pre-filled from the template."""
    await ack()
    incident_id = int(action.get("value") or 0)
    view = await to_thread.run_sync(lambda: lifecycle.view(incident_id))
    if view is None:
        return
    due = view.update_due_at
    next_update = due.strftime("%H:%M UTC") if due else "when we know more"
    registered = lifecycle.policy.clients.get(view.client) if view.client else None
    modal = client_update_modal(
        incident_id,
        status=view.status,
        next_update=next_update,
        template=registered.template if registered else None,
    )
    await client.views_open(trigger_id=body["trigger_id"], view=modal)


async def on_draft_submitted(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], client_updates: ClientUpdateService
) -> None:
    """Store the redacted draft; its preview appears in the incident channel."""
    values = view.get("state", {}).get("values", {})
    text = str(values.get("text", {}).get("text", {}).get("value") or "")
    incident_id = int(view.get("private_metadata") or 0)
    drafter = str(body["user"]["id"])
    try:
        await to_thread.run_sync(lambda: client_updates.draft(incident_id, text, drafter))
    except (Refused, LookupError) as exc:
        await ack(response_action="errors", errors={"text": str(exc)})
        return
    await ack()


async def on_decision(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    client_updates: ClientUpdateService,
) -> None:
    """Post (or approve and post) a draft, or discard it."""
    await ack()
    update_id = int(action.get("value") or 0)
    user = str(body["user"]["id"])
    posting = action["action_id"] == "client_update_post"
    try:
        if posting:
            await to_thread.run_sync(lambda: client_updates.approve(update_id, user))
        else:
            await to_thread.run_sync(lambda: client_updates.discard(update_id, user))
    except (Refused, LookupError) as exc:
        await respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
        return
    done = "Approved; posting to the client." if posting else "Discarded."
    await respond(text=done, response_type="ephemeral", replace_original=False)
