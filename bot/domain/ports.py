"""Ports: what services need from the outside world, implemented by ``bot.adapters``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

__all__ = [
    "ChannelNameTaken",
    "ChatError",
    "ChatPort",
    "DocumentPort",
    "PermanentError",
    "TicketPort",
    "TransientChatError",
    "TransientError",
]

Blocks = list[dict[str, Any]]


class TransientError(Exception):
    """A failure worth retrying later (rate limit, 5xx, timeout, connection).

    ``retry_after`` is the server's ``Retry-After`` in seconds when it sent one."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(reason)


class PermanentError(Exception):
    """The outside system refused for good; retrying the same call will not help."""


class ChatError(PermanentError):
    """The chat system refused a call for good (not a transient failure); ``code`` says why."""

    def __init__(self, code: str, method: str) -> None:
        self.code = code
        self.method = method
        super().__init__(f"{method}: {code}")


class ChannelNameTaken(ChatError):
    """A channel with that name exists already."""


class TransientChatError(TransientError):
    """A transient failure of the chat system."""


class ChatPort(Protocol):
    """The chat operations opsbot uses. Transient failures (rate limits, 5xx, timeouts) raise
    ``TransientChatError`` after the client's own retries; permanent ones raise ``ChatError``."""

    async def create_channel(self, name: str) -> str:
        """Create a public channel; return its id. Raises ``ChannelNameTaken``."""
        ...

    async def is_ext_shared(self, channel: str) -> bool:
        """Whether the channel is a Slack Connect channel shared with another organisation."""
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


class TicketPort(Protocol):
    """The issue tracker (Jira). Transient failures raise ``TransientError``."""

    async def find_by_label(self, label: str) -> str | None:
        """The key of the issue carrying ``label``, if one exists."""
        ...

    async def create(self, fields: dict[str, Any]) -> str:
        """Create an issue; return its key."""
        ...

    async def comment(self, key: str, text: str, *, marker: str) -> None:
        """Comment unless a comment containing ``marker`` exists already."""
        ...

    async def transition(self, key: str, name: str) -> bool:
        """Move the issue through the transition called ``name`` (False: not available now)."""
        ...

    async def create_linked(
        self, fields: dict[str, Any], *, label: str, link_to: str, link_type: str = "Relates"
    ) -> str:
        """The issue carrying ``label`` (created from ``fields`` plus that label if there is
        none), linked to ``link_to`` by ``link_type`` unless that link exists; its key."""
        ...

    def browse_url(self, key: str) -> str:
        """The issue's web address."""
        ...


class DocumentPort(Protocol):
    """The knowledge base (Notion). Transient failures raise ``TransientError``."""

    async def find(self, opsbot_id: str) -> tuple[str, str] | None:
        """``(page id, url)`` of the page tagged ``opsbot_id``, if one exists."""
        ...

    async def create(self, opsbot_id: str, properties: dict[str, Any]) -> tuple[str, str]:
        """Create the page tagged ``opsbot_id``; return ``(page id, url)``."""
        ...

    async def update(self, page_id: str, properties: dict[str, Any]) -> None:
        """Set the page's properties."""
        ...

    async def append_rca(self, page_id: str, blocks: Blocks, *, marker: str) -> None:
        """Append ``blocks`` to the page once, after a first block holding ``marker``: the
        blocks already there after the marker (an earlier, partial attempt) are not repeated."""
        ...
