"""Pure Block Kit for ``/incident`` answers and its modals."""

from __future__ import annotations

from typing import Any

from bot.domain.incident import IncidentView, TimelineView

__all__ = [
    "declare_modal",
    "incident_list",
    "resolve_modal",
    "severity_modal",
    "status_blocks",
    "timeline_blocks",
    "update_modal",
]

Block = dict[str, Any]


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _date(value: Any) -> str:
    epoch = int(value.timestamp())
    return f"<!date^{epoch}^{{date_short_pretty}} {{time}}|{value.isoformat()}>"


def _line(view: IncidentView) -> str:
    where = f" <#{view.slack_channel_id}>" if view.slack_channel_id else ""
    return f"*#{view.number}* {view.severity.value} · {view.status} · {_esc(view.title)}{where}"


def status_blocks(view: IncidentView) -> list[Block]:
    """One incident's status, for the person who asked."""
    lines = [
        _line(view),
        f"Service {_esc(view.service)} · opened {_date(view.opened_at)}",
        f"Alerts: {view.firing_count} firing, {view.resolved_count} resolved",
    ]
    if view.roles:
        lines.append(" · ".join(f"{r} <@{u}>" for r, u in sorted(view.roles.items())))
    if view.ack_due_at and view.status == "open":
        lines.append(f"Ack by {_date(view.ack_due_at)}")
    if view.update_due_at and view.status in ("open", "acknowledged"):
        lines.append(f"Next update by {_date(view.update_due_at)}")
    return [_section("\n".join(lines))]


def incident_list(views: list[IncidentView], *, label: str) -> list[Block]:
    """A short list of incidents."""
    if not views:
        return [_section(f"No {label} incidents.")]
    lines = [_line(v) for v in views[:40]]
    more = f"\n…and {len(views) - 40} more" if len(views) > 40 else ""
    return [_section(f"*{label.capitalize()} incidents*\n" + "\n".join(lines) + more)]


def timeline_blocks(number: int, entries: list[TimelineView]) -> list[Block]:
    """The timeline, newest last (the last 40 entries)."""
    shown = entries[-40:]
    lines = [
        f"{_date(e.at)} · {e.kind} · {_actor(e.actor)} ({e.surface}): {_esc(e.text)[:300]}"
        for e in shown
    ]
    head = f"*Timeline of #{number}*" + (f" (last {len(shown)})" if len(entries) > 40 else "")
    return [_section(head + "\n" + ("\n".join(lines) or "nothing yet"))]


def _actor(actor: str) -> str:
    return f"<@{actor}>" if actor[:1] in ("U", "W") and actor[1:].isalnum() else _esc(actor)


def _text_input(block_id: str, label: str, *, multiline: bool, optional: bool = False) -> Block:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {"type": "plain_text_input", "action_id": block_id, "multiline": multiline},
    }


def _severity_select(block_id: str = "severity", initial: str = "S2") -> Block:
    options = [{"text": {"type": "plain_text", "text": s}, "value": s} for s in ("S1", "S2", "S3")]
    initial_option = next(o for o in options if o["value"] == initial)
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Severity"},
        "element": {
            "type": "static_select",
            "action_id": block_id,
            "options": options,
            "initial_option": initial_option,
        },
    }


def _modal(
    callback: str, title: str, submit: str, blocks: list[Block], meta: str
) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": callback,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": meta,
        "blocks": blocks,
    }


def declare_modal(channel_id: str) -> dict[str, Any]:
    """Declare an incident: title, severity, service."""
    blocks = [
        _text_input("title", "Title", multiline=False),
        _severity_select(),
        _text_input("service", "Service", multiline=False, optional=True),
    ]
    return _modal("incident_declare", "Declare incident", "Declare", blocks, channel_id)


def update_modal(incident_id: int) -> dict[str, Any]:
    """Post a status update."""
    blocks = [_text_input("text", "What is happening now", multiline=True)]
    return _modal("incident_update", f"Update #{incident_id}", "Post", blocks, str(incident_id))


def resolve_modal(incident_id: int) -> dict[str, Any]:
    """Resolve: summary and impact."""
    blocks = [
        _text_input("summary", "Summary", multiline=True),
        _text_input("impact", "Impact", multiline=True, optional=True),
    ]
    return _modal(
        "incident_resolve", f"Resolve #{incident_id}", "Resolve", blocks, str(incident_id)
    )


def severity_modal(incident_id: int, current: str) -> dict[str, Any]:
    """Change the severity, with a reason."""
    blocks = [
        _severity_select(initial=current),
        _text_input("reason", "Reason", multiline=False, optional=True),
    ]
    return _modal("incident_sev", f"Severity of #{incident_id}", "Change", blocks, str(incident_id))


def sync_text(number: int, state: dict[str, Any]) -> str:
    """The sync state of an incident, one line per lane."""
    lines = [f"Sync of #{number}"]
    if state.get("jira_key"):
        lines.append(f"Jira issue {state['jira_key']}")
    if state.get("notion_url"):
        lines.append(f"Notion page {state['notion_url']}")
    for lane in state["lanes"]:
        health = "dead" if lane.dead else ("pending" if lane.pending else "ok")
        counts = f"{lane.done} delivered, {lane.pending} waiting, {lane.dead} dead"
        line = f"{lane.lane}: {health} · {counts}"
        if lane.last_error and health != "ok":
            line += f" · last error: {_esc(lane.last_error)[:300]}"
        lines.append(line)
    if not state["lanes"]:
        lines.append("nothing to deliver")
    return "\n".join(lines)


def sync_blocks(text: str) -> list[Block]:
    """The sync state as a section."""
    return [_section(text)]
