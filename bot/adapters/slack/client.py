"""The Slack Web API client: timeouts, retries that honour ``Retry-After``, the bot's identity."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.web.async_client import AsyncWebClient

__all__ = ["BotIdentity", "make_web_client"]

log = logging.getLogger("opsbot.slack")


def make_web_client(*, token: str | None, base_url: str, timeout: int = 10) -> AsyncWebClient:
    """An async Web API client that retries rate limits (``Retry-After``), 5xx and resets."""
    return AsyncWebClient(
        token=token,
        base_url=base_url,
        timeout=timeout,
        retry_handlers=[
            AsyncRateLimitErrorRetryHandler(max_retry_count=5),
            AsyncServerErrorRetryHandler(max_retry_count=3),
            AsyncConnectionErrorRetryHandler(max_retry_count=3),
        ],
    )


@dataclass
class BotIdentity:
    """Who the bot is in Slack, learned once from ``auth.test`` (never on the request path)."""

    user_id: str | None = None
    bot_id: str | None = None
    team_id: str | None = None
    errors: list[str] = field(default_factory=list)

    async def resolve(self, client: AsyncWebClient) -> None:
        """Fill in the identity; a failure is logged and leaves the fields empty."""
        try:
            reply = await client.auth_test()
        except (SlackApiError, OSError, TimeoutError) as exc:
            self.errors.append(type(exc).__name__)
            log.warning("slack auth.test failed; continuing without the bot identity")
            return
        self.user_id = reply.get("user_id")
        self.bot_id = reply.get("bot_id")
        self.team_id = reply.get("team_id")
        log.info("slack connected", extra={"bot_user_id": self.user_id, "team_id": self.team_id})
