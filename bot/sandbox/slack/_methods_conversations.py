"""conversations.* read methods plus create and open."""

from __future__ import annotations

import re
from typing import Any

from ._errors import SlackError
from ._models import Channel, Message
from ._paging import page
from ._registry import Args, Result, method
from ._shapes import bot_is_member, channel_json, find_channel, message_json
from ._state import SlackState

NAME_OK = re.compile(r"[a-z0-9_\-]+")
TYPES = {"public_channel", "private_channel", "mpim", "im"}


def _check_name(state: SlackState, name: str | None) -> str:
    if not name:
        raise SlackError("invalid_name_required")
    if len(name) > 80:
        raise SlackError("invalid_name_maxlength")
    if not NAME_OK.fullmatch(name):
        raise SlackError(
            "invalid_name_specials",
            extra={
                "detail": (
                    "Value passed for `name` contained unallowed special characters or upper case "
                    "characters."
                )
            },
        )
    if set(name) <= {"-", "_"}:
        raise SlackError("invalid_name_punctuation")
    if state.channel_by_name(name) is not None:
        raise SlackError("name_taken")
    return name


@method(
    "conversations.create",
    errors={
        "invalid_name_required",
        "invalid_name_maxlength",
        "invalid_name_specials",
        "invalid_name_punctuation",
        "name_taken",
    },
)
def create(state: SlackState, args: Args) -> Result:
    """Create a channel owned by the bot (the bot is its first member)."""
    with state.lock:
        name = _check_name(state, args.text("name"))
        chan = state.add_channel(
            state.new_id("C"),
            name,
            members=[state.bot_user_id],
            is_private=args.flag("is_private"),
            creator=state.bot_user_id,
        )
        state.log_activity(chan.id, state.bot_user_id, "created", name)
        return {"channel": channel_json(state, chan)}


@method("conversations.info", errors={"channel_not_found"}, get=True)
def info(state: SlackState, args: Args) -> Result:
    """Channel details."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        return {"channel": channel_json(state, chan, num_members=args.flag("include_num_members"))}


def _kind(chan: Channel) -> str:
    if chan.is_im:
        return "im"
    return "private_channel" if chan.is_private else "public_channel"


@method("conversations.list", errors={"invalid_cursor", "invalid_limit", "invalid_types"}, get=True)
def list_(state: SlackState, args: Args) -> Result:
    """Channels visible to the bot: public ones, private ones it is in, its DMs."""
    types = set(args.csv("types") or ["public_channel"])
    if not types <= TYPES:
        raise SlackError("invalid_types")
    with state.lock:
        chans = [
            c
            for c in state.channels.values()
            if _kind(c) in types
            and (not c.is_private or bot_is_member(state, c))
            and not (args.flag("exclude_archived") and c.is_archived)
        ]
        chunk, cursor = page(chans, args)
        return {
            "channels": [channel_json(state, c) for c in chunk],
            "response_metadata": {"next_cursor": cursor},
        }


@method(
    "conversations.members",
    errors={"channel_not_found", "invalid_cursor", "invalid_limit"},
    get=True,
)
def members(state: SlackState, args: Args) -> Result:
    """Member ids of a channel."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        chunk, cursor = page(chan.members, args)
        return {"members": chunk, "response_metadata": {"next_cursor": cursor}}


def _ts_arg(args: Args, name: str, error: str) -> float | None:
    value = args.text(name)
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        raise SlackError(error) from None


def _window(msgs: list[Message], args: Args) -> list[Message]:
    oldest = _ts_arg(args, "oldest", "invalid_ts_oldest")
    latest = _ts_arg(args, "latest", "invalid_ts_latest")
    inclusive = args.flag("inclusive")

    def inside(m: Message) -> bool:
        ts = float(m.ts)
        low = oldest is None or ts > oldest or (inclusive and ts == oldest)
        high = latest is None or ts < latest or (inclusive and ts == latest)
        return low and high

    return [m for m in msgs if inside(m)]


def _with_thread_info(state: SlackState, msg: Message, replies: list[Message]) -> dict[str, Any]:
    out = message_json(state, msg)
    if replies:
        out.update(
            thread_ts=msg.ts,
            reply_count=len(replies),
            reply_users=sorted({r.user for r in replies}),
            reply_users_count=len({r.user for r in replies}),
            latest_reply=replies[-1].ts,
        )
    return out


@method(
    "conversations.history",
    errors={
        "channel_not_found",
        "not_in_channel",
        "invalid_cursor",
        "invalid_ts_latest",
        "invalid_ts_oldest",
    },
    get=True,
)
def history(state: SlackState, args: Args) -> Result:
    """Top-level messages (and broadcast replies), newest first."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        if not bot_is_member(state, chan):
            raise SlackError("not_in_channel")
        visible = [m for m in state.messages(chan.id) if not m.ephemeral]
        tops = [m for m in visible if m.thread_ts in (None, m.ts) or m.reply_broadcast]
        tops = _window(tops, args)[::-1]
        chunk, cursor = page(tops, args, default_limit=100, max_limit=999, limit_error=None)
        replies = {
            m.ts: [r for r in visible if r.thread_ts == m.ts and r.ts != m.ts] for m in chunk
        }
        return {
            "messages": [_with_thread_info(state, m, replies[m.ts]) for m in chunk],
            "has_more": bool(cursor),
            "pin_count": sum(m.pinned for m in visible),
            "channel_actions_ts": None,
            "channel_actions_count": 0,
            "response_metadata": {"next_cursor": cursor},
        }


@method(
    "conversations.replies",
    errors={
        "channel_not_found",
        "thread_not_found",
        "invalid_cursor",
        "invalid_ts_latest",
        "invalid_ts_oldest",
    },
    get=True,
)
def replies(state: SlackState, args: Args) -> Result:
    """A thread: the parent first, then replies oldest first."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        ts = args.need("ts", SlackError("thread_not_found"))
        parent = state.message(chan.id, ts)
        if parent is None or parent.ephemeral:
            raise SlackError("thread_not_found")
        thread = [
            m
            for m in state.messages(chan.id)
            if not m.ephemeral and (m.ts == parent.ts or m.thread_ts == parent.ts)
        ]
        chunk, cursor = page(_window(thread, args) or [parent], args, limit_error=None)
        out = [
            _with_thread_info(state, m, thread[1:]) if m is parent else message_json(state, m)
            for m in chunk
        ]
        return {
            "messages": out,
            "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor},
        }


@method(
    "conversations.open",
    errors={"user_not_found", "users_list_not_supplied", "channel_not_found", "too_many_users"},
)
def open_(state: SlackState, args: Args) -> Result:
    """Open (or find) the bot's DM with one user."""
    created = False
    with state.lock:
        if args.text("channel"):
            chan = find_channel(state, args.text("channel"))
        else:
            users = args.csv("users")
            if not users:
                raise SlackError("users_list_not_supplied")
            if len(users) > 1:
                raise SlackError("too_many_users")  # group DMs are not emulated
            if state.user(users[0]) is None:
                raise SlackError("user_not_found")
            before = len(state.channels)
            chan = state.dm_channel(users[0])
            created = len(state.channels) > before
        body = channel_json(state, chan) if args.flag("return_im") else {"id": chan.id}
        out: dict[str, Any] = {"channel": body}
        if not args.text("channel") and not created:
            out.update(no_op=True, already_open=True)
        return out
