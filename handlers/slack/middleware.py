"""Bolt middleware: a span per Slack request, request id, service injection, Events API retry
de-duplication, errors."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncApp, AsyncBoltContext, AsyncRespond
from slack_bolt.response import BoltResponse

from bot import telemetry
from bot.logs import request_id_var
from bot.services.registry import Services
from handlers.slack.access import request_name
from handlers.slack.blocks import error_blocks

__all__ = ["register"]

log = logging.getLogger("opsbot.slack")
Next = Callable[[], Awaitable[BoltResponse]]


def register(bolt: AsyncApp, services: Services) -> None:
    """Attach the global middleware and the error handler."""

    async def inject(context: AsyncBoltContext, next: Next) -> BoltResponse:
        if request_id_var.get() is None:
            request_id_var.set(uuid.uuid4().hex[:16])
        for name, service in services.as_context().items():
            context[name] = service
        return await next()

    async def drop_event_retries(body: dict[str, Any], next: Next) -> BoltResponse:
        if body.get("type") != "event_callback" or not body.get("event_id"):
            return await next()
        first = await to_thread.run_sync(
            partial(
                services.slack_events.first_delivery,
                event_id=str(body["event_id"]),
                event_type=str(body.get("event", {}).get("type", "")),
            )
        )
        if first:
            return await next()
        services.metrics.slack_events_duplicate.inc()
        log.info("slack event retry ignored", extra={"event_id": body["event_id"]})
        return BoltResponse(status=200, body="")

    bolt.use(traced)
    bolt.use(inject)
    bolt.use(drop_event_retries)
    bolt.error(on_error)


async def traced(body: dict[str, Any], next: Next) -> BoltResponse:
    """Name the request's span (``slack_router`` starts it) after what Slack sent:
    ``slack.command /incident ack``, ``slack.action incident_ack``, ``slack.event ...``."""
    telemetry.annotate({}, name=_span_name(body))
    return await next()


def _span_name(body: dict[str, Any]) -> str:
    named = request_name(body)
    if named is not None:
        return f"slack.{named[0]} {named[1]}".rstrip()
    if body.get("type") == "event_callback":
        return f"slack.event {body.get('event', {}).get('type', '')}".rstrip()
    return f"slack.{body.get('type') or 'request'}"


async def on_error(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: AsyncRespond | None = None,
) -> BoltResponse | None:
    """Log an unexpected failure under an id; the user sees the id, never a stack trace."""
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "slack listener failed",
        exc_info=error,
        extra={"error_id": error_id, "payload_type": body.get("type") or "command"},
    )
    text = f"Something went wrong on opsbot's side. Error id {error_id}."
    if response is None:  # already acknowledged: answer through response_url when there is one
        if respond is not None and body.get("response_url"):
            await respond(text=text, response_type="ephemeral", replace_original=False)
        return None
    if body.get("command"):
        return BoltResponse(
            status=200,
            body=json.dumps(
                {"response_type": "ephemeral", "text": text, "blocks": error_blocks(error_id)}
            ),
            headers={"content-type": "application/json"},
        )
    return BoltResponse(status=200, body="")
