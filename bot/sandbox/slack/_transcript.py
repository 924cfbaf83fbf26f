"""Render what a person in Slack would have seen, as plain text."""

from __future__ import annotations

import re
from typing import Any

from ._models import Activity, Message
from ._state import SlackState

_TOKEN = re.compile(r"<([^<>]+)>")
_INDENT = "    "


def _name(state: SlackState | None, user_id: str) -> str:
    user = state.user(user_id) if state else None
    return user.name if user else user_id


def _chan_label(state: SlackState | None, channel_id: str) -> str:
    chan = state.channel(channel_id) if state else None
    if chan is None:
        return f"#{channel_id}"
    return f"@{_name(state, chan.im_user or '')} (DM)" if chan.is_im else f"#{chan.name}"


def _token(state: SlackState | None, inner: str) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("!date^"):
        return label or target.split("^")[1]
    if target.startswith("@"):
        return f"@{_name(state, target[1:])}" if not label else f"@{label.lstrip('@')}"
    if target.startswith("#"):
        return f"#{label}" if label else _chan_label(state, target[1:])
    if target.startswith("!subteam^"):
        group = state.usergroups.get(target[9:]) if state else None
        return label or (f"@{group.handle}" if group else f"@{target[9:]}")
    if target.startswith("!"):
        return f"@{target[1:]}"
    return label or target


def format_mrkdwn(text: str, state: SlackState | None = None) -> str:
    """Resolve ``<@U…>``, ``<#C…>``, ``<!subteam^…>``, ``<!date^…|fallback>``, links."""
    out = _TOKEN.sub(lambda m: _token(state, m.group(1)), text)
    return out.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any, state: SlackState | None) -> str:
    if isinstance(obj, dict):
        return format_mrkdwn(str(obj.get("text", "")), state)
    return ""


def _element(el: Any, state: SlackState | None) -> str:
    if not isinstance(el, dict):
        return ""
    kind = el.get("type")
    if kind == "button":
        return f"[{_text(el.get('text'), state)}]"
    if kind == "overflow":
        return "[...]"
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    placeholder = _text(el.get("placeholder"), state)
    return f"[{placeholder or kind} v]"


def _rich_text(node: Any, state: SlackState | None) -> str:
    if isinstance(node, list):
        return "".join(_rich_text(n, state) for n in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    if kind == "text":
        return str(node.get("text", ""))
    if kind == "user":
        return f"@{_name(state, str(node.get('user_id', '')))}"
    if kind == "channel":
        return _chan_label(state, str(node.get("channel_id", "")))
    if kind == "link":
        return str(node.get("text") or node.get("url", ""))
    if kind == "emoji":
        return f":{node.get('name', '')}:"
    text = _rich_text(node.get("elements", []), state)
    return text + "\n" if kind in ("rich_text_section", "rich_text_preformatted") else text


def _block(block: Any, state: SlackState | None) -> list[str]:
    if not isinstance(block, dict):
        return []
    kind = block.get("type")
    if kind == "header":
        return [f"*{_text(block.get('text'), state)}*"]
    if kind == "divider":
        return ["---"]
    if kind == "section":
        return _section(block, state)
    if kind == "context":
        parts = [
            _text(e, state) if e.get("type") != "image" else f"[{e.get('alt_text', '')}]"
            for e in block.get("elements", [])
            if isinstance(e, dict)
        ]
        return [" · ".join(p for p in parts if p)]
    if kind == "actions":
        return [" ".join(_element(e, state) for e in block.get("elements", []))]
    if kind == "image":
        return [f"[image: {block.get('alt_text', '')}]"]
    if kind == "input":
        return [f"{_text(block.get('label'), state)}: {_element(block.get('element'), state)}"]
    if kind == "rich_text":
        return _rich_text(block.get("elements", []), state).rstrip("\n").split("\n")
    if kind == "markdown":
        return str(block.get("text", "")).split("\n")
    return [f"[{kind}]"]


def _section(block: dict[str, Any], state: SlackState | None) -> list[str]:
    lines = _text(block.get("text"), state).split("\n") if block.get("text") else []
    fields = [_text(f, state).replace("\n", " ") for f in block.get("fields") or []]
    lines += [" | ".join(fields[i : i + 2]) for i in range(0, len(fields), 2)]
    if block.get("accessory"):
        accessory = _element(block["accessory"], state)
        lines = [*lines[:-1], f"{lines[-1]} {accessory}".strip()] if lines else [accessory]
    return lines


def blocks_to_text(blocks: list[Any] | None, state: SlackState | None = None) -> str:
    """A plain-text rendering of Block Kit blocks (names resolved when ``state`` is given)."""
    return "\n".join(line for b in blocks or [] for line in _block(b, state))


def _attachment(att: dict[str, Any], state: SlackState | None) -> list[str]:
    lines: list[str] = []
    for key in ("pretext", "title", "text"):
        if att.get(key):
            lines += format_mrkdwn(str(att[key]), state).split("\n")
    lines += [f"{f.get('title', '')}: {f.get('value', '')}" for f in att.get("fields") or []]
    lines += blocks_to_text(att.get("blocks"), state).split("\n") if att.get("blocks") else []
    if not lines and att.get("fallback"):
        lines.append(str(att["fallback"]))
    return [f"| {line}" for line in lines]


def message_text(msg: Message, state: SlackState | None = None) -> str:
    """What the message shows: its blocks, else its text; then its attachments."""
    body = blocks_to_text(msg.blocks, state) if msg.blocks else format_mrkdwn(msg.text, state)
    extra = [line for a in msg.attachments for line in _attachment(a, state)]
    return "\n".join([body, *extra]) if extra else body


def _message_lines(state: SlackState, msg: Message) -> list[str]:
    who = _name(state, msg.user)
    if msg.thread_ts and msg.thread_ts != msg.ts:
        who += " (in thread)"
    marks = " (edited)" * bool(msg.edits)
    if msg.visible_to:
        marks += f" (only visible to @{_name(state, msg.visible_to)})"
    lines = message_text(msg, state).split("\n")
    out = [f"{_chan_label(state, msg.channel)}  {who}: {lines[0]}{marks}"]
    out += [f"{_INDENT}{line}" for line in lines[1:]]
    if msg.reactions:
        out.append(_INDENT + " ".join(f":{n}: {len(u)}" for n, u in msg.reactions.items()))
    return out


_ACTIVITY = {
    "created": "created {chan}",
    "joined": "joined {chan}",
    "invited": "added @{target}",
    "topic": "set the topic: {detail}",
    "purpose": "set the purpose: {detail}",
    "pinned": "pinned a message",
    "unpinned": "unpinned a message",
    "bookmark": "added a bookmark: {detail}",
    "archived": "archived {chan}",
    "command": "ran {detail}",
}
_VIEW_ACTIVITY = {
    "modal_opened": '[modal "{detail}" opened for @{actor}]',
    "modal_pushed": '[modal "{detail}" pushed for @{actor}]',
    "modal_updated": '[modal "{detail}" updated for @{actor}]',
    "modal_closed": '[modal "{detail}" closed for @{actor}]',
    "modals_cleared": "[modals closed for @{actor}]",
    "home_published": "[App Home published for @{actor}]",
}


def _activity_line(state: SlackState, act: Activity) -> str:
    actor = _name(state, act.actor)
    target = _name(state, act.target) if act.target else ""
    if act.kind in _VIEW_ACTIVITY:
        return _VIEW_ACTIVITY[act.kind].format(detail=act.detail, actor=actor)
    chan = _chan_label(state, act.channel) if act.channel else ""
    what = _ACTIVITY.get(act.kind, act.kind + " {detail}")
    text = what.format(chan=chan, detail=format_mrkdwn(act.detail, state), target=target)
    return f"{chan}  * {actor} {text}".strip()


def render_transcript(
    state: SlackState, *, since_seq: int = 0, include_ephemeral: bool = True
) -> str:
    """Chronological transcript: channel activity, messages (current content), modals."""
    with state.lock:
        msgs = [
            m
            for m in state.all_messages()
            if m.seq > since_seq and (include_ephemeral or not m.ephemeral)
        ]
        acts = [
            a
            for a in state.activities
            if a.seq > since_seq and (include_ephemeral or a.kind != "command")
        ]
        items: list[tuple[int, list[str]]] = [(m.seq, _message_lines(state, m)) for m in msgs]
        items += [(a.seq, [_activity_line(state, a)]) for a in acts]
    items.sort(key=lambda item: item[0])
    return "\n".join(line for _, lines in items for line in lines) + ("\n" if items else "")
