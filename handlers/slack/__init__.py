"""Slack listeners (Bolt). ``register`` attaches them all to an ``AsyncApp``."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.services.registry import Services
from handlers.slack import client_actions, commands, events, incident_actions, middleware

__all__ = ["SLASH_COMMANDS", "register"]

SLASH_COMMANDS = commands.SLASH_COMMANDS


def register(bolt: AsyncApp, services: Services, *, timeline_emoji: str) -> None:
    """Attach middleware, listeners and the error handler to ``bolt``."""
    middleware.register(bolt, services)
    commands.register(bolt)
    incident_actions.register(bolt)
    client_actions.register(bolt)
    events.register(bolt, timeline_emoji=timeline_emoji)
