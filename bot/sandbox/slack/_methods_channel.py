"""Channel administration: invite, join, topic, purpose, archive, pins, bookmarks, reactions."""

from __future__ import annotations

import re
import time

from ._errors import SlackError
from ._models import Bookmark, Channel
from ._registry import Args, Result, method
from ._shapes import bot_is_member, channel_json, find_channel, find_message, message_json
from ._state import SlackState

EMOJI_NAME = re.compile(r"[a-z0-9_+\-']+(::skin-tone-[2-6])?")


def _member_channel(state: SlackState, args: Args, *, name: str = "channel") -> Channel:
    chan = find_channel(state, args.text(name))
    if chan.is_archived:
        raise SlackError("is_archived")
    if not bot_is_member(state, chan):
        raise SlackError("not_in_channel")
    return chan


@method(
    "conversations.invite",
    errors={
        "channel_not_found",
        "is_archived",
        "not_in_channel",
        "already_in_channel",
        "user_not_found",
        "cant_invite_self",
        "no_user",
        "method_not_supported_for_channel_type",
    },
)
def invite(state: SlackState, args: Args) -> Result:
    """Add users (comma-separated ids) to a channel the bot is in."""
    with state.lock:
        chan = _member_channel(state, args)
        if chan.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        users = args.csv("users")
        if not users:
            raise SlackError("no_user")
        for uid in users:
            if uid == state.bot_user_id:
                raise SlackError("cant_invite_self")
            if state.user(uid) is None:
                raise SlackError("user_not_found")
        new = [u for u in users if u not in chan.members]
        if not new and not args.flag("force"):
            raise SlackError("already_in_channel")
        for uid in new:
            chan.members.append(uid)
            state.log_activity(chan.id, state.bot_user_id, "invited", target=uid)
        return {"channel": channel_json(state, chan)}


@method(
    "conversations.join",
    errors={"channel_not_found", "is_archived", "method_not_supported_for_channel_type"},
)
def join(state: SlackState, args: Args) -> Result:
    """The bot joins a public channel."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        if chan.is_private or chan.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if chan.is_archived:
            raise SlackError("is_archived")
        out: Result = {}
        if bot_is_member(state, chan):
            out = {
                "warning": "already_in_channel",
                "response_metadata": {"warnings": ["already_in_channel"]},
            }
        else:
            chan.members.append(state.bot_user_id)
            state.log_activity(chan.id, state.bot_user_id, "joined")
        return {"channel": channel_json(state, chan), **out}


def _set_text(state: SlackState, args: Args, field: str) -> Result:
    with state.lock:
        chan = _member_channel(state, args)
        if chan.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        value = args.text(field)
        if value is None:
            raise SlackError("invalid_arguments", f"[ERROR] missing required field: {field}")
        if len(value) > 250:
            raise SlackError("too_long")
        setattr(chan, field, value)
        setattr(chan, f"{field}_set_by", state.bot_user_id)
        setattr(chan, f"{field}_last_set", int(time.time()))
        state.log_activity(chan.id, state.bot_user_id, field, value)
        return {"channel": channel_json(state, chan)}


_TEXT_ERRORS = {
    "channel_not_found",
    "is_archived",
    "not_in_channel",
    "too_long",
    "method_not_supported_for_channel_type",
}


@method("conversations.setTopic", errors=_TEXT_ERRORS)
def set_topic(state: SlackState, args: Args) -> Result:
    """Set the channel topic (≤ 250 characters)."""
    return _set_text(state, args, "topic")


@method("conversations.setPurpose", errors=_TEXT_ERRORS)
def set_purpose(state: SlackState, args: Args) -> Result:
    """Set the channel purpose (≤ 250 characters)."""
    return _set_text(state, args, "purpose")


@method(
    "conversations.archive",
    errors={
        "channel_not_found",
        "already_archived",
        "not_in_channel",
        "method_not_supported_for_channel_type",
        "cant_archive_general",
    },
)
def archive(state: SlackState, args: Args) -> Result:
    """Archive a channel the bot is in."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        if chan.is_im:
            raise SlackError("method_not_supported_for_channel_type")
        if chan.is_archived:
            raise SlackError("already_archived")
        if chan.is_general:
            raise SlackError("cant_archive_general")
        if not bot_is_member(state, chan):
            raise SlackError("not_in_channel")
        chan.is_archived = True
        state.log_activity(chan.id, state.bot_user_id, "archived")
        return {}


@method(
    "pins.add",
    errors={
        "channel_not_found",
        "not_in_channel",
        "no_item_specified",
        "message_not_found",
        "already_pinned",
    },
)
def pins_add(state: SlackState, args: Args) -> Result:
    """Pin a message."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        if not bot_is_member(state, chan):
            raise SlackError("not_in_channel")
        ts = args.need("timestamp", SlackError("no_item_specified"))
        msg = find_message(state, chan, ts)
        if msg.pinned:
            raise SlackError("already_pinned")
        msg.pinned, msg.pinned_by = True, state.bot_user_id
        state.log_activity(chan.id, state.bot_user_id, "pinned", target=msg.ts)
        return {}


@method(
    "pins.remove",
    errors={"channel_not_found", "no_item_specified", "message_not_found", "not_pinned"},
)
def pins_remove(state: SlackState, args: Args) -> Result:
    """Unpin a message."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        ts = args.need("timestamp", SlackError("no_item_specified"))
        msg = find_message(state, chan, ts)
        if not msg.pinned:
            raise SlackError("not_pinned")
        msg.pinned, msg.pinned_by = False, None
        state.log_activity(chan.id, state.bot_user_id, "unpinned", target=msg.ts)
        return {}


@method("pins.list", errors={"channel_not_found"}, get=True)
def pins_list(state: SlackState, args: Args) -> Result:
    """Pinned messages of a channel."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        items = [
            {
                "type": "message",
                "created": int(float(m.ts)),
                "created_by": m.pinned_by,
                "channel": chan.id,
                "message": message_json(state, m),
            }
            for m in state.messages(chan.id)
            if m.pinned
        ]
        return {"items": items}


@method(
    "bookmarks.add",
    errors={
        "channel_not_found",
        "invalid_bookmark_type",
        "invalid_link",
        "invalid_emoji",
        "too_many_bookmarks",
        "access_denied",
    },
)
def bookmarks_add(state: SlackState, args: Args) -> Result:
    """Add a link bookmark to a channel."""
    with state.lock:
        chan = find_channel(state, args.text("channel_id"))
        title = args.need("title")
        if args.need("type") != "link":
            raise SlackError("invalid_bookmark_type")
        link = args.text("link") or ""
        if not link.startswith(("http://", "https://")):
            raise SlackError("invalid_link")
        emoji = args.text("emoji") or ""
        if emoji and not (emoji.startswith(":") and emoji.endswith(":")):
            raise SlackError("invalid_emoji")
        if chan.is_archived or not bot_is_member(state, chan):
            raise SlackError("access_denied")
        if len(chan.bookmarks) >= 100:
            raise SlackError("too_many_bookmarks")
        mark = state.bookmark(chan, title, link, emoji, state.bot_user_id)
        state.log_activity(chan.id, state.bot_user_id, "bookmark", f"{title} ({link})")
        return {"bookmark": _bookmark_json(state, mark)}


@method("bookmarks.list", errors={"channel_not_found"})
def bookmarks_list(state: SlackState, args: Args) -> Result:
    """Bookmarks of a channel."""
    with state.lock:
        chan = find_channel(state, args.text("channel_id"))
        return {"bookmarks": [_bookmark_json(state, b) for b in chan.bookmarks]}


def _bookmark_json(state: SlackState, mark: Bookmark) -> Result:
    return {
        "id": mark.id,
        "channel_id": mark.channel_id,
        "title": mark.title,
        "link": mark.link,
        "emoji": mark.emoji or None,
        "icon_url": None,
        "type": "link",
        "entity_id": None,
        "date_created": mark.created,
        "date_updated": 0,
        "rank": "U",
        "last_updated_by_user_id": mark.created_by,
        "last_updated_by_team_id": state.team_id,
        "shortcut_id": None,
        "app_id": None,
        "app_action_id": None,
    }


@method(
    "reactions.add",
    errors={
        "channel_not_found",
        "is_archived",
        "message_not_found",
        "already_reacted",
        "invalid_name",
        "no_item_specified",
    },
)
def reactions_add(state: SlackState, args: Args) -> Result:
    """Add an emoji reaction from the bot."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        if chan.is_archived:
            raise SlackError("is_archived")
        name = (args.text("name") or "").strip(":")
        if not EMOJI_NAME.fullmatch(name):
            raise SlackError("invalid_name")
        msg = find_message(state, chan, args.need("timestamp", SlackError("no_item_specified")))
        users = msg.reactions.setdefault(name, [])
        if state.bot_user_id in users:
            raise SlackError("already_reacted")
        users.append(state.bot_user_id)
        return {}
