"""Slash command listeners: ``/incident`` and ``/runs``. Ack first, always with an answer."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.domain.commands import INCIDENT, RUNS, CommandSet
from handlers.slack.incident_commands import on_incident
from handlers.slack.runs_commands import on_runs

__all__ = ["SLASH_COMMANDS", "register"]

SLASH_COMMANDS: dict[str, CommandSet] = {INCIDENT.command: INCIDENT, RUNS.command: RUNS}


def register(bolt: AsyncApp) -> None:
    """Listen to every slash command opsbot declares in its manifest."""
    bolt.command(INCIDENT.command)(on_incident)
    bolt.command(RUNS.command)(on_runs)
