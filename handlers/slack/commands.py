"""Slash command listeners: ``/incident`` and ``/runs``. Ack first, always with an answer."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.domain.commands import INCIDENT, RUNS, CommandSet
from bot.errors import UsageError
from handlers.slack.blocks import help_blocks, usage_error_blocks
from handlers.slack.incident_commands import on_incident

__all__ = ["SLASH_COMMANDS", "register"]

SLASH_COMMANDS: dict[str, CommandSet] = {INCIDENT.command: INCIDENT, RUNS.command: RUNS}


async def _answer(commands: CommandSet, ack: AsyncAck, command: dict[str, Any]) -> None:
    try:
        parsed = commands.parse(command.get("text") or "")
    except UsageError as exc:
        await ack(text=str(exc), blocks=usage_error_blocks(str(exc), commands))
        return
    if parsed.name == "help":
        await ack(text=commands.usage(), blocks=help_blocks(commands))


def register(bolt: AsyncApp) -> None:
    """Listen to every slash command opsbot declares in its manifest."""
    bolt.command(INCIDENT.command)(on_incident)
    bolt.command(RUNS.command)(_listener(RUNS))


def _listener(commands: CommandSet) -> Any:
    async def listener(ack: AsyncAck, command: dict[str, Any]) -> None:
        await _answer(commands, ack, command)

    listener.__name__ = f"on_{commands.command.strip('/')}"
    return listener
