"""Block Kit for the RCA (pure): where it stands (with a button per section), the form of
one section, and the action item form."""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.cards import button, escape, mention, section, when
from bot.domain.rca import ACTION_ITEMS, RcaSection, RcaStatus

__all__ = [
    "ACTION_CALLBACK",
    "ADD_ACTION",
    "OPEN_SECTION",
    "SECTION_CALLBACK",
    "SHOW_RCA",
    "action_modal",
    "rca_status_blocks",
    "section_modal",
]

SHOW_RCA = "rca_show"  # the card's RCA button (value "incident")
OPEN_SECTION = "rca_section"  # buttons ``rca_section:<key>`` open a form (value "incident:key")
ADD_ACTION = "rca_add_action"  # button: open the action item form (value "incident")
SECTION_CALLBACK = "rca_section"
ACTION_CALLBACK = "rca_action"

Block = dict[str, Any]


def rca_status_blocks(number: int, rca: RcaStatus) -> list[Block]:
    """The RCA's progress: each section done or not, with a button to write it."""
    if not rca.started:
        return [section(f"The RCA of #{number} starts when the incident is resolved.")]
    head = f"*RCA of #{number}* · {rca.done}/{len(rca.sections)} sections"
    if rca.complete:
        head += " · :white_check_mark: complete"
    elif rca.due_at is not None:
        head += f" · due {when(rca.due_at)}"
    if rca.waived_by:
        head += f"\nWaived by {mention(rca.waived_by)}: {escape(rca.waiver_reason or '')}"
    blocks = [section(head)]
    for state in rca.sections:
        mark = ":white_check_mark:" if state.done else ":white_large_square:"
        block = section(f"{mark} {escape(state.section.title)}")
        label = "Edit" if state.done else "Write"
        key = state.section.key
        block["accessory"] = button(label, f"{OPEN_SECTION}:{key}", f"{rca.incident_id}:{key}")
        blocks.append(block)
    if rca.actions:
        lines = [
            f"• {escape(a.text)}: {mention(a.owner)}, due {a.due.isoformat()}"
            + (f" ({escape(a.jira_key)})" if a.jira_key else "")
            for _, a in rca.actions
        ]
        blocks.append(section("*Action items*\n" + "\n".join(lines)))
    add = button("Add action item", ADD_ACTION, str(rca.incident_id))
    blocks.append({"type": "actions", "elements": [add]})
    return blocks


def section_modal(incident_id: int, sec: RcaSection, values: dict[str, str]) -> Block:
    """The form of one section, pre-filled with what was written."""
    blocks = [
        _input(f.key, f.label, values.get(f.key), f.multiline, f.required, f.hint)
        for f in sec.fields
    ]
    if sec.key == ACTION_ITEMS:
        blocks.insert(
            0,
            section("Add action items with *Add action item*; or say why there are none."),
        )
    if sec.at_least:
        blocks.insert(0, section(f"Answer at least {sec.at_least} whys."))
    return {
        "type": "modal",
        "callback_id": SECTION_CALLBACK,
        "private_metadata": f"{incident_id}:{sec.key}",
        "title": {"type": "plain_text", "text": _title(sec.title)},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": blocks,
    }


def action_modal(incident_id: int, *, today: str) -> Block:
    """The action item form: what, who owns it, by when."""
    return {
        "type": "modal",
        "callback_id": ACTION_CALLBACK,
        "private_metadata": str(incident_id),
        "title": {"type": "plain_text", "text": "RCA action item"},
        "submit": {"type": "plain_text", "text": "Add"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _input("text", "What will be done", None, True, True, ""),
            {
                "type": "input",
                "block_id": "owner",
                "label": {"type": "plain_text", "text": "Owner"},
                "element": {"type": "users_select", "action_id": "owner"},
            },
            {
                "type": "input",
                "block_id": "due",
                "label": {"type": "plain_text", "text": "Due date"},
                "element": {"type": "datepicker", "action_id": "due", "initial_date": today},
            },
        ],
    }


def _title(text: str) -> str:
    return text if len(text) <= 24 else text[:23] + "…"


def _input(
    key: str, label: str, value: str | None, multiline: bool, required: bool, hint: str
) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": key, "multiline": multiline}
    if value:
        element["initial_value"] = value[:3000]
    block: Block = {
        "type": "input",
        "block_id": key,
        "label": {"type": "plain_text", "text": label[:2000]},
        "element": element,
        "optional": not required,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block
