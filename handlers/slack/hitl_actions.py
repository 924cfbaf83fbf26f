"""Approve / Reject on a run waiting for a human: ack, decide through the service, and
answer privately when the decision is refused (the message itself is edited by the outbox)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.adapters.slack.hitl_cards import APPROVE, REJECT
from bot.domain.lifecycle import Refused
from bot.services.hitl import HitlService

__all__ = ["register"]


def register(bolt: AsyncApp) -> None:
    """Attach the decision buttons."""
    bolt.action(APPROVE)(on_decision)
    bolt.action(REJECT)(on_decision)


async def on_decision(
    ack: AsyncAck,
    body: dict[str, Any],
    action: dict[str, Any],
    respond: AsyncRespond,
    hitl: HitlService,
) -> None:
    """Resume the run with the decision."""
    await ack()
    value = str(action.get("value") or "")
    if not value.isdigit():
        await respond(
            text="This button has no request attached.",
            response_type="ephemeral",
            replace_original=False,
        )
        return
    approve = action["action_id"] == APPROVE
    try:
        decided = await hitl.decide(int(value), approve=approve, user=str(body["user"]["id"]))
    except Refused as exc:
        await respond(text=f":no_entry: {exc}", response_type="ephemeral", replace_original=False)
        return
    state = f"; the run is now {decided.result_state}" if decided.result_state else ""
    await respond(
        text=f"Done: {decided.status}{state}.", response_type="ephemeral", replace_original=False
    )
