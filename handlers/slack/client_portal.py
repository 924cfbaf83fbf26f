"""Client-safe answers: ``/incident status|list|help`` from a client user, and the "Latest
status" button of client posts (for anyone the audience gate lets through)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.adapters.slack.cards import Rendered
from bot.adapters.slack.portal_cards import (
    CLIENT_SAFE_SUBCOMMANDS,
    CLIENT_STATUS_ACTION,
    client_help,
    client_incident_blocks,
    client_incident_list,
    not_visible,
)
from bot.domain.audience import Audience, ClientIncident, Kind
from bot.domain.commands import INCIDENT
from bot.domain.incident_args import split_target
from bot.errors import UsageError
from bot.services.client_portal import ClientPortalService

__all__ = ["answer_command", "on_client_status", "register"]


def register(bolt: AsyncApp) -> None:
    """Attach the "Latest status" button listener."""
    bolt.action(CLIENT_STATUS_ACTION)(on_client_status)


async def _incident_for(
    audience: Audience | None, incident_id: int, portal: ClientPortalService
) -> ClientIncident | None:
    if audience is None or audience.kind is Kind.STRANGER:
        return None
    if audience.kind is Kind.CLIENT:
        client = str(audience.client)
        return await to_thread.run_sync(lambda: portal.incident(client, incident_id))
    return await to_thread.run_sync(lambda: portal.as_client_sees_it(incident_id))


async def on_client_status(
    ack: AsyncAck,
    action: dict[str, Any],
    respond: AsyncRespond,
    audience: Audience | None,
    client_portal: ClientPortalService,
) -> None:
    """Answer privately with the incident as its client sees it (home users see the same)."""
    await ack()
    value = str(action.get("value") or "")
    incident_id = int(value) if value.isdigit() else 0
    found = await _incident_for(audience, incident_id, client_portal)
    if found is None:
        text, blocks = not_visible(incident_id)
    else:
        text, blocks = client_incident_blocks(found, client_portal.client_name(found.client))
    await respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)


async def answer_command(
    command: Mapping[str, Any], client: str, portal: ClientPortalService
) -> Rendered | None:
    """The answer to ``/incident …`` from a user of ``client``; None when it must be refused.

    ``status [number]``, ``list [open|all]``, ``help``, an empty or an unknown sub-command are
    answered about ``client``'s communicated incidents only; every other sub-command is None.
    """
    try:
        parsed = INCIDENT.parse(str(command.get("text") or ""))
    except UsageError:
        return client_help()
    if parsed.name not in CLIENT_SAFE_SUBCOMMANDS:
        return None
    if parsed.name == "help":
        return client_help()
    number, rest = split_target(parsed.args)
    name = portal.client_name(client)
    if parsed.name == "status" and number is not None:
        found = await to_thread.run_sync(lambda: portal.incident(client, number))
        return client_incident_blocks(found, name) if found else not_visible(number)
    which = "all" if parsed.name == "list" and rest and rest[0].lower() == "all" else "open"
    rows = await to_thread.run_sync(lambda: portal.incidents(client, which))
    return client_incident_list(rows, name, which=which)
