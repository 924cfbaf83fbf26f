"""``POST /slack/events``: every Slack command, interaction and event, handed to Bolt."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp

__all__ = ["slack_router"]


def slack_router(bolt: AsyncApp | None) -> APIRouter:
    """The Slack endpoint; answers 503 with a reason when Slack is not configured."""
    router = APIRouter(tags=["slack"])
    handler = AsyncSlackRequestHandler(bolt) if bolt is not None else None

    @router.post("/slack/events", response_model=None)
    async def slack_events(request: Request) -> Response:
        """Slash commands, block actions, view submissions and Events API callbacks."""
        if handler is None:
            return JSONResponse(
                {"detail": "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"},
                status_code=503,
            )
        return await handler.handle(request)

    return router
