"""Block Kit for client updates: the internal preview and the client-safe post (pure)."""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.cards import Rendered, button, escape, section
from bot.adapters.slack.portal_cards import status_button_block

__all__ = ["client_post", "client_preview", "client_update_modal"]


def client_preview(
    *,
    update_id: int,
    client_name: str,
    text: str,
    redactions: int,
    needs_approval: bool,
    drafted_by: str,
    status: str,
    approved_by: str | None = None,
    reason: str | None = None,
) -> Rendered:
    """The draft as the client would see it, with Post/Approve and Discard while pending."""
    removed = f" · {redactions} item(s) redacted" if redactions else ""
    who = f"drafted by <@{drafted_by}>{removed}"
    head = f"*Client update #{update_id} for {escape(client_name)}* ({who})"
    quoted = "\n".join(f"> {line}" for line in escape(text).splitlines() or [""])
    blocks = [section(head, "client_head"), section(quoted, "client_text")]
    if status == "pending_approval":
        label = "Approve and post" if needs_approval else f"Post to {client_name}"
        note = (
            "A second person must approve it." if needs_approval else "Nothing has been sent yet."
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note}]})
        blocks.append(
            {
                "type": "actions",
                "block_id": "client_actions",
                "elements": [
                    button(label[:75], "client_update_post", str(update_id), "primary"),
                    button("Discard", "client_update_discard", str(update_id)),
                ],
            }
        )
    else:
        outcome = {
            "approved": "Approved, posting…",
            "posted": f"Posted to {escape(client_name)}",
            "refused": f"Not posted: {escape(reason or '')}",
            "discarded": "Discarded",
        }.get(status, status)
        by = f" (approved by <@{approved_by}>)" if approved_by else ""
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": outcome + by}]})
    return f"Client update #{update_id} for {client_name}: {status}", blocks


def client_post(
    *, client_name: str, service: str, severity: str, text: str, incident_id: int
) -> Rendered:
    """What the client sees: a header, the approved (redacted) text and a "Latest status"
    button; nothing internal."""
    subject = f"Service update for {escape(client_name)}: {escape(service)}"
    head = f":information_source: *{subject}* ({severity})"
    blocks = [section(head), section(escape(text)), status_button_block(incident_id)]
    return f"Service update: {service}", blocks


DEFAULT_TEMPLATE = "Status: {status}\nImpact: \nWhat we are doing: \nNext update: {next_update}"


def client_update_modal(
    incident_id: int, *, status: str, next_update: str, template: str | None = None
) -> dict[str, Any]:
    """The draft form, pre-filled from the client's template (``{status}``, ``{next_update}``;
    other braces are kept as written)."""
    text = template or DEFAULT_TEMPLATE
    filled = text.replace("{status}", status).replace("{next_update}", next_update)
    return {
        "type": "modal",
        "callback_id": "incident_client_update",
        "title": {"type": "plain_text", "text": "Client update"},
        "submit": {"type": "plain_text", "text": "Preview"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": str(incident_id),
        "blocks": [
            {
                "type": "input",
                "block_id": "text",
                "label": {"type": "plain_text", "text": "What the client will read"},
                "hint": {
                    "type": "plain_text",
                    "text": "PII and secrets are removed; a preview comes before anything is sent.",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": "text",
                    "multiline": True,
                    "initial_value": filled[:3000],
                },
            }
        ],
    }
