"""Bolt middleware: the acting home user's role, checked against what the request needs.

Runs after the audience gate (users of other teams never get here, except client-facing
requests that carry their own checks). A denial is a private explanation and an audit entry;
nothing else happens. Finer rules (closing, lowering a severity, waiving an RCA, deciding a
HITL request) are checked by the services where the change is made."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.adapters.slack.cards import section
from bot.domain.access import allows, required_role
from bot.services.registry import Services
from handlers.slack.refusals import refuse

__all__ = ["actor_of", "register", "request_name"]

log = logging.getLogger("opsbot.slack")
Next = Callable[[], Awaitable[BoltResponse]]


def request_name(body: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(kind, name)`` of a command, button or form submission; None for anything else."""
    if "command" in body:
        words = str(body.get("text") or "").split()
        return "command", " ".join([str(body["command"]), *words[:1]])
    if body.get("type") == "block_actions" and body.get("actions"):
        return "action", str(body["actions"][0].get("action_id", ""))
    if body.get("type") == "view_submission":
        return "view", str(body.get("view", {}).get("callback_id", ""))
    return None


def actor_of(body: Mapping[str, Any]) -> str:
    """The acting user's id in a command, interaction or form payload."""
    user = body.get("user")
    return str(user.get("id", "")) if isinstance(user, dict) else str(body.get("user_id", ""))


def register(bolt: AsyncApp, services: Services) -> None:
    """Attach the role check."""

    async def role_gate(
        body: dict[str, Any], context: AsyncBoltContext, next: Next
    ) -> BoltResponse:
        audience = context.get("audience")
        asked = request_name(body)
        if asked is None or audience is None or not audience.is_home:
            return await next()
        user = actor_of(body)
        role = services.access.role(user)
        context["role"] = role
        kind, name = asked
        needed = required_role(kind, name)
        if allows(role, needed):
            return await next()
        await to_thread.run_sync(
            lambda: services.audit.record(
                actor=user,
                surface="slack",
                action="access.denied",
                target=f"{kind}:{name}"[:200],
                source=str(audience.team_id or ""),
                detail={"role": role, "needed": needed},
            )
        )
        log.info("slack request denied", extra={"needed": needed, "role": role})
        text = f":no_entry: This needs the {needed} role; you are a {role}."
        return await refuse(body, context, text, [section(text)])

    bolt.use(role_gate)
