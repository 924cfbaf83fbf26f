"""Events API listeners."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.audience import Audience
from bot.services.registry import LifecycleService
from handlers.slack.blocks import home_view
from handlers.slack.commands import SLASH_COMMANDS

__all__ = ["register"]


def register(bolt: AsyncApp, *, timeline_emoji: str) -> None:
    """Attach the event listeners."""
    bolt.event("app_home_opened")(on_app_home_opened)
    bolt.event("pin_added")(on_pin_added)

    async def on_reaction_added(
        event: dict[str, Any],
        client: AsyncWebClient,
        lifecycle: LifecycleService,
        audience: Audience | None = None,
    ) -> None:
        """A message marked with the timeline emoji joins the incident's timeline."""
        item = event.get("item") or {}
        if event.get("reaction") != timeline_emoji or item.get("type") != "message":
            return
        if audience is not None and not audience.is_home:
            return  # only the home team writes to timelines
        history = await client.conversations_history(
            channel=item["channel"], latest=item["ts"], inclusive=True, limit=1
        )
        messages = history.get("messages") or []
        if messages:
            text = str(messages[0].get("text", ""))
            await to_thread.run_sync(
                lambda: lifecycle.record_message(
                    channel_id=item["channel"], user_id=event["user"], text=text, how="reaction"
                )
            )

    bolt.event("reaction_added")(on_reaction_added)


async def on_pin_added(
    event: dict[str, Any], lifecycle: LifecycleService, audience: Audience | None = None
) -> None:
    """A pinned message in an incident channel joins the incident's timeline."""
    if audience is not None and not audience.is_home:
        return  # only the home team writes to timelines
    item = event.get("item") or {}
    message = item.get("message") or {}
    channel = event.get("channel_id") or item.get("channel")
    if not channel or not message.get("text") or message.get("bot_id"):
        return
    text = str(message["text"])
    await to_thread.run_sync(
        lambda: lifecycle.record_message(
            channel_id=channel, user_id=event.get("user", ""), text=text, how="pinned"
        )
    )


async def on_app_home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
    """Publish the App Home tab for the user who opened it."""
    if event.get("tab", "home") != "home":
        return
    await client.views_publish(user_id=event["user"], view=home_view(list(SLASH_COMMANDS.values())))
