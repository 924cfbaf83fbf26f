"""Ports: what services need from the outside world, implemented by ``bot.adapters``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = ["ChannelNameTaken", "ChatError", "ChatPort", "TransientChatError"]

Blocks = list[dict[str, Any]]


class ChatError(Exception):
    """The chat system refused a call for good (not a transient failure); ``code`` says why."""

    def __init__(self, code: str, method: str) -> None:
        self.code = code
        self.method = method
        super().__init__(f"{method}: {code}")


class ChannelNameTaken(ChatError):
    """A channel with that name exists already."""


class TransientChatError(Exception):
    """A failure worth retrying later (rate limit, 5xx, timeout, connection).

    ``retry_after`` is the server's ``Retry-After`` in seconds when it sent one."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class ChatPort(Protocol):
    """The chat operations opsbot uses. Transient failures (rate limits, 5xx, timeouts) raise
    ``TransientChatError`` after the client's own retries; permanent ones raise ``ChatError``."""

    async def create_channel(self, name: str) -> str:
        """Create a public channel; return its id. Raises ``ChannelNameTaken``."""
        ...

    async def find_channel(self, name: str) -> str | None:
        """The id of the channel called ``name``, if one exists."""
        ...

    async def set_topic(self, channel: str, topic: str) -> None:
        """Set the channel topic (at most 250 characters; longer is cut)."""
        ...

    async def set_purpose(self, channel: str, purpose: str) -> None:
        """Set the channel purpose."""
        ...

    async def invite(self, channel: str, user_ids: Sequence[str]) -> None:
        """Invite users; those already in, and unknown ids, are skipped, not errors."""
        ...

    async def expand_members(self, ids: Sequence[str]) -> list[str]:
        """User ids for a mix of user ids (U…/W…) and user group ids (S…)."""
        ...

    async def post(self, channel: str, text: str, blocks: Blocks | None = None) -> str:
        """Post a message; return its ``ts``."""
        ...

    async def update(self, channel: str, ts: str, text: str, blocks: Blocks | None = None) -> None:
        """Edit a message in place."""
        ...

    async def pin(self, channel: str, ts: str) -> None:
        """Pin a message (already pinned is fine)."""
        ...
