"""Block Kit for checklists (pure): the incident's checklist message (comms items, then the
playbook's steps, each with a Done/Undo button) and the RCA document message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.adapters.slack.cards import Rendered, button, escape, mention, section, when
from bot.domain.checklists import ItemState, progress

__all__ = ["TICK_ACTION", "checklist_message", "rca_document", "tick_value"]

TICK_ACTION = "checklist_tick"  # action ids are ``checklist_tick:<checklist>:<key>`` (unique)
MAX_BLOCKS = 50
MARKDOWN_LIMIT = 11_000  # Slack: 12,000 characters of markdown blocks per message


def tick_value(incident_id: int, checklist: str, key: str, done: bool) -> str:
    """The button value: which item, and whether pressing ticks (1) or unticks (0) it."""
    return f"{incident_id}:{checklist}:{key}:{1 if done else 0}"


def _action(item: ItemState) -> str:
    return f"{TICK_ACTION}:{item.checklist}:{item.key}"


def _item_block(incident_id: int, item: ItemState, now: datetime) -> dict[str, Any]:
    if item.done:
        who = mention(item.done_by) if item.done_by and item.done_by != "opsbot" else "opsbot"
        stamp = f" · {who}, {when(item.done_at)}" if item.done_at else ""
        text = f":white_check_mark: {escape(item.label)}{stamp}"
        accessory = button(
            "Undo", _action(item), tick_value(incident_id, item.checklist, item.key, False)
        )
    else:
        due = ""
        if item.due_at is not None:
            late = " :warning: overdue" if item.overdue(now) else ""
            due = f" · due {when(item.due_at)}{late}"
        text = f":white_large_square: {escape(item.label)}{due}"
        accessory = button(
            "Done",
            _action(item),
            tick_value(incident_id, item.checklist, item.key, True),
            "primary",
        )
    block = section(text)
    block["accessory"] = accessory
    return block


def checklist_message(
    *,
    incident_id: int,
    number: int,
    comms: Sequence[ItemState],
    playbook: Sequence[ItemState],
    playbook_title: str,
    now: datetime,
) -> Rendered:
    """One message: the comms checklist, then the playbook (steps past Slack's block limit
    are summed up; `/incident checklist` lists them all)."""
    done, total = progress(list(comms))
    blocks: list[dict[str, Any]] = [section(f"*Comms checklist · #{number}* ({done}/{total})")]
    blocks += [_item_block(incident_id, item, now) for item in comms]
    if playbook:
        steps_done, steps = progress(list(playbook))
        blocks.append({"type": "divider"})
        blocks.append(section(f"*Playbook: {escape(playbook_title)}* ({steps_done}/{steps})"))
        room = MAX_BLOCKS - len(blocks) - 1
        shown = list(playbook)[:room] if len(playbook) > room + 1 else list(playbook)
        last_section: str | None = None
        for item in shown:
            block = _item_block(incident_id, item, now)
            if item.section and item.section != last_section:
                block["text"]["text"] = f"*{escape(item.section)}*\n" + block["text"]["text"]
                last_section = item.section
            blocks.append(block)
        hidden = len(playbook) - len(shown)
        if hidden:
            more = f"…and {hidden} more steps: `/incident checklist {number}` lists them all."
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    text = f"Checklist for incident #{number}: comms {done}/{total}"
    return text, blocks


def rca_document(number: int, markdown: str) -> list[Rendered]:
    """The RCA as one or more messages of markdown blocks (split on lines at Slack's limit)."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in markdown.splitlines():
        if size + len(line) + 1 > MARKDOWN_LIMIT and current:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line[:MARKDOWN_LIMIT])
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    total = len(chunks)
    out: list[Rendered] = []
    for index, chunk in enumerate(chunks, start=1):
        part = f" (part {index} of {total})" if total > 1 else ""
        out.append((f"RCA for incident #{number}{part}", [{"type": "markdown", "text": chunk}]))
    return out
