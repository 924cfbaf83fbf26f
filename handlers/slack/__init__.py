"""Slack listeners (Bolt). ``register`` attaches them all to an ``AsyncApp``."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt.async_app import AsyncApp

from bot.services.registry import Services
from handlers.slack import (
    access,
    audience,
    checklist_actions,
    client_actions,
    client_portal,
    commands,
    events,
    hitl_actions,
    incident_actions,
    middleware,
)

__all__ = ["SLASH_COMMANDS", "register"]

SLASH_COMMANDS = commands.SLASH_COMMANDS


def register(
    bolt: AsyncApp,
    services: Services,
    *,
    timeline_emoji: str,
    home_team: Callable[[], str | None],
) -> None:
    """Attach middleware, listeners and the error handler to ``bolt``.

    ``home_team`` gives the installing team's id once known (the bot identity is learned
    after start-up); users of any other team only get client-safe answers.
    """
    middleware.register(bolt, services)
    audience.register(bolt, services, home_team=home_team)
    access.register(bolt, services)
    commands.register(bolt)
    incident_actions.register(bolt)
    client_actions.register(bolt)
    checklist_actions.register(bolt)
    hitl_actions.register(bolt)
    client_portal.register(bolt)
    events.register(bolt, timeline_emoji=timeline_emoji)
