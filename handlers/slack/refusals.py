"""Refuse a Slack request privately, the way its payload type allows, and run nothing."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from slack_bolt.async_app import AsyncBoltContext
from slack_bolt.response import BoltResponse

__all__ = ["json_response", "refuse"]


def json_response(payload: dict[str, Any]) -> BoltResponse:
    """A 200 with a JSON body (an ack Slack shows)."""
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


async def refuse(
    body: Mapping[str, Any], context: AsyncBoltContext, text: str, blocks: list[dict[str, Any]]
) -> BoltResponse:
    """A command gets the refusal in its ack; a form is replaced by it; a button press gets
    it through ``response_url``."""
    if "command" in body:
        return json_response({"response_type": "ephemeral", "text": text, "blocks": blocks})
    if body.get("type") == "view_submission":
        view = {
            "type": "modal",
            "title": {"type": "plain_text", "text": "Not available"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": blocks,
        }
        return json_response({"response_action": "update", "view": view})
    if body.get("response_url") and context.respond is not None:
        await context.respond(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=False
        )
    return BoltResponse(status=200, body="")
