"""``POST /slack/events``: every Slack command, interaction and event, handed to Bolt."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from slack_bolt.adapter.fastapi.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.requests import ClientDisconnect

from bot import telemetry

__all__ = ["slack_router"]


def slack_router(bolt: AsyncApp | None) -> APIRouter:
    """The Slack endpoint; answers 503 with a reason when Slack is not configured."""
    router = APIRouter(tags=["slack"])
    handler = AsyncSlackRequestHandler(bolt) if bolt is not None else None

    @router.post(
        "/slack/events",
        response_model=None,
        responses={
            400: {"description": "the client disconnected before the whole body arrived"},
            401: {"description": "missing, stale or wrong Slack signature"},
            404: {"description": "a signed request that no listener handles"},
            503: {"description": "Slack is not configured"},
        },
    )
    async def slack_events(request: Request) -> Response:
        """Slash commands, block actions, view submissions and Events API callbacks."""
        if handler is None:
            return JSONResponse(
                {"detail": "Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"},
                status_code=503,
            )
        try:
            # Bolt names the span; listeners go on after the ack in tasks that inherit it.
            with telemetry.span("slack.request"):
                return await handler.handle(request)
        except ClientDisconnect:  # nobody reads this answer; it keeps the traceback out
            return JSONResponse({"detail": "the client disconnected mid-request"}, status_code=400)

    return router
