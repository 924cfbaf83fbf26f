"""Plain data records held by the sandbox state (users, channels, messages, views, journal)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["ratelimited", "error", "delay"]


@dataclass
class User:
    """A workspace member (human or bot)."""

    id: str
    name: str
    real_name: str
    email: str | None = None
    team_id: str = ""
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False
    title: str = ""
    tz: str = "Europe/Paris"
    tz_offset: int = 3600
    bot_id: str | None = None


@dataclass
class Bookmark:
    """A channel bookmark (link)."""

    id: str
    channel_id: str
    title: str
    link: str
    emoji: str
    created: int
    created_by: str


@dataclass
class Channel:
    """A conversation: public/private channel or DM."""

    id: str
    name: str
    created: int
    creator: str
    is_private: bool = False
    is_im: bool = False
    is_ext_shared: bool = False
    is_archived: bool = False
    is_general: bool = False
    im_user: str | None = None
    members: list[str] = field(default_factory=list)
    topic: str = ""
    topic_set_by: str = ""
    topic_last_set: int = 0
    purpose: str = ""
    purpose_set_by: str = ""
    purpose_last_set: int = 0
    shared_team_ids: list[str] = field(default_factory=list)
    bookmarks: list[Bookmark] = field(default_factory=list)


@dataclass
class Message:
    """A message as currently stored (latest content after edits)."""

    channel: str
    ts: str
    user: str
    text: str
    seq: int
    blocks: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    visible_to: str | None = None
    edits: int = 0
    pinned: bool = False
    pinned_by: str | None = None
    reactions: dict[str, list[str]] = field(default_factory=dict)
    bot_id: str | None = None
    deleted: bool = False
    metadata: dict[str, Any] | None = None
    reply_broadcast: bool = False

    @property
    def ephemeral(self) -> bool:
        """True when only ``visible_to`` can see it."""
        return self.visible_to is not None

    @property
    def edited(self) -> bool:
        """True once the message was updated at least once."""
        return self.edits > 0


@dataclass
class View:
    """A modal or App Home view as stored by Slack."""

    id: str
    type: str
    user_id: str
    payload: dict[str, Any]
    hash: str
    root_view_id: str
    previous_view_id: str | None = None
    external_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    state_values: dict[str, Any] = field(default_factory=dict)
    closed: bool = False

    @property
    def title(self) -> str:
        """The plain-text title ("" for App Home without title)."""
        title = self.payload.get("title")
        return str(title.get("text", "")) if isinstance(title, dict) else ""

    @property
    def callback_id(self) -> str:
        """The view's callback_id."""
        return str(self.payload.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        """The view's private_metadata."""
        return str(self.payload.get("private_metadata") or "")


@dataclass
class Usergroup:
    """A user group (``<!subteam^S…>``)."""

    id: str
    handle: str
    name: str
    users: list[str]
    created: int


@dataclass(frozen=True)
class JournalEntry:
    """One recorded Web API call (token removed from args)."""

    seq: int
    t: float
    method: str
    args: dict[str, Any]
    ok: bool
    error: str | None
    status: int


@dataclass(frozen=True)
class Activity:
    """A channel or workspace event shown in the transcript (not a message)."""

    seq: int
    channel: str | None
    actor: str
    kind: str
    detail: str = ""
    target: str | None = None


@dataclass
class Fault:
    """An injected failure for ``method`` (or ``"*"``).

    ``every=N`` fires on the N-th, 2N-th, … matching call; ``times=N`` fires at most N times.
    """

    method: str = "*"
    kind: FaultKind = "error"
    retry_after: int = 1
    error: str = "internal_error"
    delay: float = 2.0
    times: int | None = None
    every: int | None = None
    seen: int = 0
    fired: int = 0

    def matches(self, method: str) -> bool:
        """True if the fault applies to ``method``."""
        return self.method in ("*", method)

    def consider(self) -> bool:
        """Count one matching call; True when the fault fires on it."""
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.every is not None and self.seen % self.every != 0:
            return False
        self.fired += 1
        return True


@dataclass
class Trigger:
    """A trigger_id issued for an interaction."""

    id: str
    user_id: str
    issued_at: float
    used: bool = False
    view_id: str | None = None


@dataclass
class ResponseUrl:
    """A response_url issued for an interaction."""

    id: str
    channel: str
    user_id: str
    issued_at: float
    message_ts: str | None = None
    uses: int = 0
