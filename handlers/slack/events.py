"""Events API listeners."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from handlers.slack.blocks import home_view
from handlers.slack.commands import SLASH_COMMANDS

__all__ = ["register"]


def register(bolt: AsyncApp) -> None:
    """Attach the event listeners."""
    bolt.event("app_home_opened")(on_app_home_opened)


async def on_app_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
    """Publish the App Home tab for the user who opened it."""
    if event.get("tab", "home") != "home":
        return
    await client.views_publish(user_id=event["user"], view=home_view(list(SLASH_COMMANDS.values())))
