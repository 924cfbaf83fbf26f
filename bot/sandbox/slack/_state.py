"""In-memory, thread-safe workspace state of the sandbox Slack."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ._errors import SlackError
from ._models import (
    Activity,
    Bookmark,
    Channel,
    Fault,
    JournalEntry,
    Message,
    ResponseUrl,
    Trigger,
    User,
    Usergroup,
    View,
)
from ._seed import seed_workspace


class SlackState:
    """The whole emulated workspace; every access goes through one re-entrant lock."""

    def __init__(
        self,
        team_id: str = "T0OPSBOT",
        team_name: str = "opsbot-sandbox",
        bot_token: str = "xoxb-sandbox",  # noqa: S107 - sandbox token, not a secret
        bot_user_id: str = "U0OPSBOT",
        *,
        bot_name: str = "opsbot",
        bot_id: str = "B0OPSBOT",
        app_id: str = "A0OPSBOT",
        trigger_ttl_s: float = 3.0,
        response_url_ttl_s: float = 1800.0,
        response_url_max_uses: int = 5,
        chat_write_public: bool = False,
        seed: bool = True,
    ) -> None:
        self.lock = threading.RLock()
        self.team_id, self.team_name, self.bot_token = team_id, team_name, bot_token
        self.bot_user_id, self.bot_name, self.bot_id, self.app_id = (
            bot_user_id,
            bot_name,
            bot_id,
            app_id,
        )
        self.trigger_ttl_s = trigger_ttl_s
        self.response_url_ttl_s = response_url_ttl_s
        self.response_url_max_uses = response_url_max_uses
        self.chat_write_public = chat_write_public
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.usergroups: dict[str, Usergroup] = {}
        self.views: dict[str, View] = {}
        self.view_stacks: dict[str, list[str]] = {}
        self.home_views: dict[str, str] = {}
        self.triggers: dict[str, Trigger] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self.activities: list[Activity] = []
        self.faults: list[Fault] = []
        self._messages: dict[str, list[Message]] = {}
        self._journal: list[JournalEntry] = []
        self._seq = 0
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self.started = int(time.time())
        self.add_user(bot_user_id, bot_name, real_name=bot_name, is_bot=True, bot_id=bot_id)
        if seed:
            seed_workspace(self)

    # ----- ids, clocks -------------------------------------------------------------------
    def next_seq(self) -> int:
        """The next global event number (journal, messages, activities share it)."""
        with self.lock:
            self._seq += 1
            return self._seq

    @property
    def last_seq(self) -> int:
        """The most recent event number handed out (use as ``since_seq``)."""
        with self.lock:
            return self._seq

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as ``C0SB00012``."""
        with self.lock:
            return f"{prefix}0SB{next(self._ids):05d}"

    def new_ts(self) -> str:
        """A unique, strictly increasing message timestamp ``"1700000000.000100"``."""
        with self.lock:
            now = max(time.time(), self._last_ts + 0.000001)
            self._last_ts = round(now, 6)
            return f"{self._last_ts:.6f}"

    # ----- seeding -----------------------------------------------------------------------
    def add_user(
        self,
        id: str,
        name: str,
        *,
        real_name: str | None = None,
        email: str | None = None,
        team_id: str | None = None,
        is_bot: bool = False,
        is_admin: bool = False,
        title: str = "",
        bot_id: str | None = None,
    ) -> User:
        """Add (or replace) a user."""
        user = User(
            id=id,
            name=name,
            real_name=real_name or name,
            email=email,
            team_id=team_id or self.team_id,
            is_bot=is_bot,
            is_admin=is_admin,
            title=title,
            bot_id=bot_id,
        )
        with self.lock:
            self.users[id] = user
        return user

    def add_channel(
        self,
        id: str,
        name: str,
        *,
        members: Iterable[str] = (),
        is_private: bool = False,
        is_ext_shared: bool = False,
        is_archived: bool = False,
        topic: str = "",
        purpose: str = "",
        creator: str | None = None,
        shared_team_ids: Iterable[str] = (),
    ) -> Channel:
        """Add (or replace) a channel; seeding does not log activity."""
        now = int(time.time())
        creator = creator or "U0ALICE"
        chan = Channel(
            id=id,
            name=name,
            created=now,
            creator=creator,
            is_private=is_private,
            is_ext_shared=is_ext_shared,
            is_archived=is_archived,
            members=list(dict.fromkeys(members)),
            topic=topic,
            topic_set_by=creator if topic else "",
            topic_last_set=now if topic else 0,
            purpose=purpose,
            purpose_set_by=creator if purpose else "",
            purpose_last_set=now if purpose else 0,
            shared_team_ids=list(shared_team_ids) or [self.team_id],
        )
        with self.lock:
            self.channels[id] = chan
            self._messages.setdefault(id, [])
        return chan

    def add_usergroup(
        self,
        id: str,
        handle: str,
        users: Iterable[str],
        *,
        name: str | None = None,
    ) -> Usergroup:
        """Add (or replace) a user group."""
        group = Usergroup(
            id=id, handle=handle, name=name or handle, users=list(users), created=int(time.time())
        )
        with self.lock:
            self.usergroups[id] = group
        return group

    # ----- accessors ---------------------------------------------------------------------
    def channel(self, channel_id: str) -> Channel | None:
        """A channel by id."""
        with self.lock:
            return self.channels.get(channel_id)

    def channel_by_name(self, name: str) -> Channel | None:
        """A channel by name (with or without ``#``)."""
        name = name.removeprefix("#")
        with self.lock:
            return next((c for c in self.channels.values() if c.name == name), None)

    def user(self, user_id: str) -> User | None:
        """A user by id."""
        with self.lock:
            return self.users.get(user_id)

    def messages(self, channel_id: str, *, include_deleted: bool = False) -> list[Message]:
        """Messages of a channel ordered by ts (ephemeral ones included, see ``visible_to``)."""
        with self.lock:
            msgs = self._messages.get(channel_id, [])
            return sorted(
                (m for m in msgs if include_deleted or not m.deleted), key=lambda m: float(m.ts)
            )

    def all_messages(self) -> list[Message]:
        """Every live message of every channel, in creation order."""
        with self.lock:
            out = [m for ms in self._messages.values() for m in ms if not m.deleted]
        return sorted(out, key=lambda m: m.seq)

    def message(self, channel_id: str, ts: str) -> Message | None:
        """A live message by channel and ts."""
        with self.lock:
            for msg in self._messages.get(channel_id, []):
                if msg.ts == ts and not msg.deleted:
                    return msg
        return None

    def view(self, view_id: str) -> View | None:
        """A view by id."""
        with self.lock:
            return self.views.get(view_id)

    def open_views(self, user_id: str) -> list[View]:
        """The modal stack of a user, bottom first."""
        with self.lock:
            return [self.views[v] for v in self.view_stacks.get(user_id, [])]

    # ----- journal -----------------------------------------------------------------------
    def record_call(
        self, method: str, args: dict[str, Any], *, ok: bool, error: str | None, status: int
    ) -> JournalEntry:
        """Append one Web API call to the journal."""
        clean = {k: v for k, v in args.items() if k != "token"}
        entry = JournalEntry(
            seq=self.next_seq(),
            t=time.monotonic(),
            method=method,
            args=clean,
            ok=ok,
            error=error,
            status=status,
        )
        with self.lock:
            self._journal.append(entry)
        return entry

    def calls(self, method: str | None = None) -> list[JournalEntry]:
        """Recorded calls, oldest first, optionally of one method."""
        with self.lock:
            return [e for e in self._journal if method is None or e.method == method]

    def count_by_method(self) -> dict[str, int]:
        """How many calls each method received."""
        with self.lock:
            return dict(Counter(e.method for e in self._journal))

    # ----- faults ------------------------------------------------------------------------
    def add_fault(self, fault: Fault) -> Fault:
        """Inject a fault; it applies to later calls."""
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str) -> Fault | None:
        """The fault firing for this call, if any (counts the call for every matching fault)."""
        with self.lock:
            fired = [f for f in self.faults if f.matches(method) and f.consider()]
        return fired[0] if fired else None

    # ----- activity, messages --------------------------------------------------------------
    def log_activity(
        self,
        channel: str | None,
        actor: str,
        kind: str,
        detail: str = "",
        target: str | None = None,
    ) -> Activity:
        """Record a non-message event for the transcript."""
        act = Activity(
            seq=self.next_seq(),
            channel=channel,
            actor=actor,
            kind=kind,
            detail=detail,
            target=target,
        )
        with self.lock:
            self.activities.append(act)
        return act

    def store_message(
        self,
        channel: str,
        user: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        attachments: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        visible_to: str | None = None,
        ts: str | None = None,
        metadata: dict[str, Any] | None = None,
        reply_broadcast: bool = False,
    ) -> Message:
        """Store a message without any permission check (used by methods, acks, events)."""
        with self.lock:
            author = self.users.get(user)
            msg = Message(
                channel=channel,
                ts=ts or self.new_ts(),
                user=user,
                text=text,
                seq=self.next_seq(),
                blocks=list(blocks or []),
                attachments=list(attachments or []),
                thread_ts=thread_ts,
                visible_to=visible_to,
                bot_id=author.bot_id if author else None,
                metadata=metadata,
                reply_broadcast=reply_broadcast,
            )
            self._messages.setdefault(channel, []).append(msg)
            return msg

    def dm_channel(self, user_id: str) -> Channel:
        """The bot's DM with ``user_id``, created on first use."""
        with self.lock:
            for chan in self.channels.values():
                if chan.is_im and chan.im_user == user_id:
                    return chan
            chan = Channel(
                id=self.new_id("D"),
                name=user_id,
                created=int(time.time()),
                creator=self.bot_user_id,
                is_im=True,
                is_private=True,
                im_user=user_id,
                members=[self.bot_user_id, user_id],
                shared_team_ids=[self.team_id],
            )
            self.channels[chan.id] = chan
            self._messages[chan.id] = []
            return chan

    # ----- triggers and response urls --------------------------------------------------------
    def issue_trigger(self, user_id: str, *, view_id: str | None = None) -> str:
        """A fresh trigger_id for ``user_id`` (valid ``trigger_ttl_s`` seconds, once)."""
        tid = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
        with self.lock:
            self.triggers[tid] = Trigger(tid, user_id, time.monotonic(), view_id=view_id)
        return tid

    def use_trigger(self, trigger_id: str) -> Trigger:
        """Exchange a trigger_id, raising Slack's errors when it cannot be used."""
        with self.lock:
            trig = self.triggers.get(trigger_id)
            if trig is None:
                raise SlackError("invalid_trigger_id")
            if trig.used:
                raise SlackError("exchanged_trigger_id")
            if time.monotonic() - trig.issued_at > self.trigger_ttl_s:
                raise SlackError("expired_trigger_id")
            trig.used = True
            return trig

    def issue_response_url(self, channel: str, user_id: str, message_ts: str | None = None) -> str:
        """A fresh response_url id (the driver turns it into a URL)."""
        rid = secrets.token_urlsafe(12)
        with self.lock:
            self.response_urls[rid] = ResponseUrl(
                rid, channel, user_id, time.monotonic(), message_ts
            )
        return rid

    def bookmark(self, chan: Channel, title: str, link: str, emoji: str, by: str) -> Bookmark:
        """Add a bookmark to ``chan``."""
        with self.lock:
            mark = Bookmark(self.new_id("Bk"), chan.id, title, link, emoji, int(time.time()), by)
            chan.bookmarks.append(mark)
            return mark
