"""chat.* methods: postMessage, postEphemeral, update, delete, getPermalink."""

from __future__ import annotations

import json
from typing import Any

from ._blocks import parse_json_list, validate_message_blocks
from ._errors import SlackError
from ._registry import Args, Result, method
from ._shapes import bot_is_member, find_channel, find_message, message_json
from ._state import SlackState

MAX_TEXT = 40_000


def _content(
    args: Args, *, limit_error: str | None, attachments_error: str = "invalid_attachments"
) -> tuple[str, list[Any], list[Any]]:
    """Text, blocks and attachments of a message, validated like Slack."""
    blocks = validate_message_blocks(args.get("blocks")) or []
    attachments = parse_json_list(args.get("attachments"), error=attachments_error) or []
    text = args.text("text") or args.text("markdown_text") or ""
    if args.get("markdown_text") is not None and (args.get("text") or blocks):
        raise SlackError("markdown_text_conflict")
    if not text and not blocks and not attachments:
        raise SlackError("no_text")
    if len(attachments) > 100:
        raise SlackError("too_many_attachments")
    if len(text) > MAX_TEXT:
        if limit_error is None:
            text = text[:MAX_TEXT]  # chat.postMessage truncates, as documented by Slack
        else:
            raise SlackError(limit_error)
    return text, blocks, attachments


def _check_postable(state: SlackState, chan: Any) -> None:
    if chan.is_archived:
        raise SlackError("is_archived")
    public_ok = state.chat_write_public and not chan.is_private
    if not bot_is_member(state, chan) and not public_ok:
        raise SlackError("not_in_channel")


def _metadata(args: Args) -> dict[str, Any] | None:
    value = args.get("metadata")
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackError("invalid_metadata_format") from None
    if not isinstance(value, dict) or "event_type" not in value:
        raise SlackError("invalid_metadata_schema")
    return value


@method(
    "chat.postMessage",
    errors={
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "too_many_attachments",
        "markdown_text_conflict",
        "invalid_metadata_format",
        "invalid_metadata_schema",
        "cannot_reply_to_message",
    },
)
def post_message(state: SlackState, args: Args) -> Result:
    """Post a message as the bot (to a channel id/name or a user id → DM)."""
    with state.lock:
        chan = find_channel(state, args.text("channel"), dm_users=True)
        _check_postable(state, chan)
        text, blocks, attachments = _content(
            args, limit_error=None, attachments_error="invalid_arguments"
        )
        thread_ts = args.text("thread_ts")
        if thread_ts:
            parent = state.message(chan.id, thread_ts)
            if parent is None or parent.ephemeral or parent.thread_ts not in (None, parent.ts):
                raise SlackError("cannot_reply_to_message")
        msg = state.store_message(
            chan.id,
            state.bot_user_id,
            text,
            blocks=blocks,
            attachments=attachments,
            thread_ts=thread_ts,
            metadata=_metadata(args),
            reply_broadcast=args.flag("reply_broadcast"),
        )
        return {"channel": chan.id, "ts": msg.ts, "message": message_json(state, msg)}


@method(
    "chat.postEphemeral",
    errors={
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "too_many_attachments",
        "markdown_text_conflict",
        "msg_too_long",
        "user_not_in_channel",
        "invalid_attachments",
    },
)
def post_ephemeral(state: SlackState, args: Args) -> Result:
    """Post a message only ``user`` can see."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        user = args.need("user", SlackError("user_not_in_channel"))
        _check_postable(state, chan)
        if user not in chan.members:
            raise SlackError("user_not_in_channel")
        text, blocks, attachments = _content(args, limit_error="msg_too_long")
        msg = state.store_message(
            chan.id,
            state.bot_user_id,
            text,
            blocks=blocks,
            attachments=attachments,
            thread_ts=args.text("thread_ts"),
            visible_to=user,
        )
        return {"message_ts": msg.ts}


@method(
    "chat.update",
    errors={
        "channel_not_found",
        "message_not_found",
        "cant_update_message",
        "no_text",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "too_many_attachments",
        "invalid_attachments",
        "markdown_text_conflict",
        "invalid_metadata_format",
        "invalid_metadata_schema",
    },
)
def update(state: SlackState, args: Args) -> Result:
    """Replace the content of one of the bot's messages."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        msg = find_message(state, chan, args.text("ts"))
        if msg.user != state.bot_user_id:
            raise SlackError("cant_update_message")
        text, blocks, attachments = _content(args, limit_error="msg_too_long")
        msg.text = text
        if args.get("blocks") is not None:
            msg.blocks = blocks
        if args.get("attachments") is not None:
            msg.attachments = attachments
        msg.metadata = _metadata(args) or msg.metadata
        msg.edits += 1
        body = message_json(state, msg)
        body.pop("ts", None)
        return {"channel": chan.id, "ts": msg.ts, "text": msg.text, "message": body}


@method("chat.delete", errors={"channel_not_found", "message_not_found", "cant_delete_message"})
def delete(state: SlackState, args: Args) -> Result:
    """Delete one of the bot's messages."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        msg = find_message(state, chan, args.text("ts"))
        if msg.user != state.bot_user_id:
            raise SlackError("cant_delete_message")
        msg.deleted = True
        return {"channel": chan.id, "ts": msg.ts}


@method("chat.getPermalink", errors={"channel_not_found", "message_not_found"}, get=True)
def get_permalink(state: SlackState, args: Args) -> Result:
    """``https://<team>.slack.com/archives/<channel>/p<ts without dot>``."""
    with state.lock:
        chan = find_channel(state, args.text("channel"))
        msg = find_message(state, chan, args.text("message_ts"))
        link = f"https://{state.team_name}.slack.com/archives/{chan.id}/p{msg.ts.replace('.', '')}"
        if msg.thread_ts and msg.thread_ts != msg.ts:
            link += f"?thread_ts={msg.thread_ts}&cid={chan.id}"
        return {"channel": chan.id, "permalink": link}
