"""What Slack does with app answers: response_url posts, slash-command and view acks."""

from __future__ import annotations

import json
import time
from typing import Any

from ._blocks import check_blocks
from ._errors import SlackError
from ._models import Message, View
from ._state import SlackState
from ._views import close_all, parse_view, pop_view, push_modal, update_view


class ResponseUrlError(Exception):
    """A response_url call Slack would refuse (``status`` is the HTTP status)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status, self.error = status, error


def _content(body: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    text = body.get("text")
    blocks = body.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    if not isinstance(blocks, list):
        raise ResponseUrlError(400, "invalid_blocks")
    if check_blocks(blocks):
        raise ResponseUrlError(400, "invalid_blocks")
    return (str(text) if text is not None else ""), blocks


def use_response_url(state: SlackState, rid: str, body: dict[str, Any]) -> Message | None:
    """Apply a response_url POST; returns the message posted or replaced (None on delete)."""
    with state.lock:
        url = state.response_urls.get(rid)
        if url is None:
            raise ResponseUrlError(404, "invalid_url")
        if time.monotonic() - url.issued_at > state.response_url_ttl_s:
            raise ResponseUrlError(404, "expired_url")
        if url.uses >= state.response_url_max_uses:
            raise ResponseUrlError(404, "used_url")
        url.uses += 1
        original = state.message(url.channel, url.message_ts) if url.message_ts else None
        if body.get("delete_original") and original is not None:
            original.deleted = True
            return None
        text, blocks = _content(body)
        if not text and not blocks and not body.get("attachments"):
            raise ResponseUrlError(400, "no_text")
        if body.get("replace_original") and original is not None:
            original.text, original.blocks = text, blocks
            original.edits += 1
            return original
        ephemeral = body.get("response_type", "ephemeral") != "in_channel"
        return state.store_message(
            url.channel,
            state.bot_user_id,
            text,
            blocks=blocks,
            attachments=body.get("attachments"),
            thread_ts=body.get("thread_ts"),
            visible_to=url.user_id if ephemeral else None,
        )


def decode_ack(body: bytes, content_type: str) -> dict[str, Any] | None:
    """The app's ack body as JSON (plain text becomes ``{"text": …}``); None if empty."""
    if not body.strip():
        return None
    if "json" in content_type:
        try:
            data = json.loads(body)
        except ValueError:
            return {"text": body.decode(errors="replace")}
        return data if isinstance(data, dict) else None
    return {"text": body.decode(errors="replace")}


def apply_command_ack(
    state: SlackState, ack: dict[str, Any] | None, *, channel: str, user_id: str
) -> Message | None:
    """A slash-command ack with content is shown in the channel (ephemeral by default)."""
    if not ack or not (ack.get("text") or ack.get("blocks") or ack.get("attachments")):
        return None
    blocks = ack.get("blocks") or []
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    ephemeral = ack.get("response_type", "ephemeral") != "in_channel"
    return state.store_message(
        channel,
        state.bot_user_id,
        str(ack.get("text") or ""),
        blocks=blocks,
        attachments=ack.get("attachments"),
        visible_to=user_id if ephemeral else None,
    )


def apply_view_ack(state: SlackState, view: View, ack: dict[str, Any] | None) -> View | None:
    """Apply ``response_action`` of a view_submission ack; returns the view now on top."""
    action = (ack or {}).get("response_action")
    with state.lock:
        if action == "errors":
            view.errors = dict((ack or {}).get("errors") or {})
            return view
        if action == "update":
            return update_view(state, view, _ack_view(ack))
        if action == "push":
            return push_modal(state, _ack_view(ack), view.user_id)
        if action == "clear":
            close_all(state, view.user_id)
            return None
        pop_view(state, view)
        stack = state.view_stacks.get(view.user_id) or []
        return state.views[stack[-1]] if stack else None


def _ack_view(ack: dict[str, Any] | None) -> dict[str, Any]:
    try:
        return parse_view((ack or {}).get("view"))
    except SlackError as exc:
        raise ValueError(f"invalid view in ack: {exc.messages or exc.error}") from exc
