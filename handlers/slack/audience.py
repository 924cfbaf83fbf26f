"""Bolt middleware: who is asking. Home-team users pass; users of other teams never reach a
listener that could show internal data or change anything.

For a client user: ``/incident status|list|help`` is answered here, client-safe (in the ack);
the "Latest status" button goes on to its listener, which answers about their client only;
events go on to their listeners (which skip non-home users). Everything else, and everything
from a stranger, gets a polite private refusal and nothing happens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from anyio import to_thread
from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.cards import Rendered
from bot.adapters.slack.portal_cards import CLIENT_STATUS_ACTION, refusal
from bot.domain.audience import Audience, Kind, classify_payload
from bot.domain.commands import INCIDENT
from bot.services.registry import Services
from handlers.slack.access import actor_of, request_name
from handlers.slack.client_portal import answer_command
from handlers.slack.refusals import json_response, refuse

__all__ = ["register"]

log = logging.getLogger("opsbot.slack")
Next = Callable[[], Awaitable[BoltResponse]]
_RETRY_AFTER_S = 60.0
_FALLBACK_ORG = "the agency"


@dataclass
class _Home:
    """The home team: its id from the bot identity, else (and its name) from ``auth.test``."""

    known: Callable[[], str | None]
    team_id: str | None = None
    name: str | None = None
    _next_try: float = 0.0

    async def _resolve(self, client: AsyncWebClient) -> None:
        if self.name is not None or time.monotonic() < self._next_try:
            return
        self._next_try = time.monotonic() + _RETRY_AFTER_S
        try:
            reply = await client.auth_test()
        except (SlackApiError, OSError, TimeoutError):
            log.warning("slack auth.test failed; the home team is unknown for now")
            return
        self.team_id, self.name = reply.get("team_id"), reply.get("team")

    async def id(self, client: AsyncWebClient) -> str | None:
        """The home team id (None while unknown: then only client teams are recognised)."""
        known = self.known()
        if known:
            return known
        await self._resolve(client)
        return self.team_id

    async def org(self, client: AsyncWebClient) -> str:
        """The home workspace's name for refusals."""
        await self._resolve(client)
        return self.name or _FALLBACK_ORG


def _is_client_status(body: Mapping[str, Any]) -> bool:
    actions = body.get("actions") or []
    return (
        body.get("type") == "block_actions"
        and len(actions) == 1
        and actions[0].get("action_id") == CLIENT_STATUS_ACTION
    )


async def _refuse(body: Mapping[str, Any], context: AsyncBoltContext, org: str) -> BoltResponse:
    """Answer with the refusal the way the payload type allows, and run nothing."""
    text, blocks = refusal(org)
    return await refuse(body, context, text, blocks)


async def _client_answer(
    body: Mapping[str, Any], audience: Audience, services: Services
) -> Rendered | None:
    if body.get("command") != INCIDENT.command or audience.client is None:
        return None
    return await answer_command(body, audience.client, services.client_portal)


async def _audit_refusal(services: Services, body: Mapping[str, Any], audience: Audience) -> None:
    asked = request_name(body)
    kind, name = asked if asked else ("event", str(body.get("type", "")))
    actor = actor_of(body)
    await to_thread.run_sync(
        lambda: services.audit.record(
            actor=actor,
            surface="slack",
            action="access.denied",
            target=f"{kind}:{name}"[:200],
            source=str(audience.team_id or ""),
            detail={"role": audience.kind.value},
        )
    )


def register(bolt: AsyncApp, services: Services, *, home_team: Callable[[], str | None]) -> None:
    """Attach the audience gate (after the service injection and event de-duplication)."""
    home = _Home(home_team)
    portal = services.client_portal

    async def audience_gate(
        body: dict[str, Any], context: AsyncBoltContext, client: AsyncWebClient, next: Next
    ) -> BoltResponse:
        team = await home.id(client)
        audience = classify_payload(body, home_team=team, clients=portal.client_teams())
        context["audience"] = audience
        if audience.is_home or body.get("type") == "event_callback":
            return await next()
        if audience.kind is Kind.CLIENT:
            if _is_client_status(body):
                return await next()
            answer = await _client_answer(body, audience, services)
            if answer is not None:
                text, blocks = answer
                return json_response({"response_type": "ephemeral", "text": text, "blocks": blocks})
        log.info(
            "outside user refused",
            extra={"audience": audience.kind.value, "team_id": audience.team_id},
        )
        await _audit_refusal(services, body, audience)
        return await _refuse(body, context, await home.org(client))

    bolt.use(audience_gate)
