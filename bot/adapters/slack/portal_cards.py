"""Block Kit for client users (pure): the client-safe status of their incidents, the client
help, the "Latest status" button on client posts, and the refusal of everything else.

Only what ``ClientIncident`` carries is shown: number, service, severity, a status word,
times and the latest posted (redacted) update. Every text is escaped for mrkdwn."""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.slack.cards import Block, Rendered, button, escape, section, when
from bot.domain.audience import ClientIncident

__all__ = [
    "CLIENT_SAFE_SUBCOMMANDS",
    "CLIENT_STATUS_ACTION",
    "client_help",
    "client_incident_blocks",
    "client_incident_list",
    "not_visible",
    "refusal",
    "status_button_block",
]

CLIENT_STATUS_ACTION = "client_status"
CLIENT_SAFE_SUBCOMMANDS = ("status", "list", "help")
_WORD_EMOJI = {
    "investigating": ":mag:",
    "monitoring": ":eyes:",
    "resolved": ":white_check_mark:",
}
_MAX_LISTED = 20


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2000]}]}


def status_button_block(incident_id: int) -> Block:
    """The "Latest status" button under a client post (value: the incident id)."""
    return {
        "type": "actions",
        "block_id": "client_status",
        "elements": [button("Latest status", CLIENT_STATUS_ACTION, str(incident_id))],
    }


def _headline(incident: ClientIncident, client_name: str) -> str:
    emoji = _WORD_EMOJI.get(incident.status, ":information_source:")
    subject = f"{escape(client_name)} · #{incident.number} {escape(incident.service)}"
    return f"{emoji} *{subject}* — {incident.status} ({incident.severity.value})"


def client_incident_blocks(incident: ClientIncident, client_name: str) -> Rendered:
    """One incident as its client sees it, with the latest update posted to them."""
    times = f"Opened {when(incident.opened_at)}"
    if incident.resolved_at is not None:
        times += f" · resolved {when(incident.resolved_at)}"
    quoted = "\n".join(f"> {line}" for line in escape(incident.update_text).splitlines() or [""])
    blocks = [section(_headline(incident, client_name)), _context(times), section(quoted)]
    if incident.update_posted_at is not None:
        blocks.append(_context(f"Latest update, posted {when(incident.update_posted_at)}"))
    text = f"#{incident.number} {incident.service}: {incident.status}"
    return text, blocks


def client_incident_list(
    incidents: Sequence[ClientIncident], client_name: str, *, which: str
) -> Rendered:
    """A client's communicated incidents, one line each."""
    label = "open incident" if which != "all" else "incident"
    if not incidents:
        text = f"No {label}s for {client_name}."
        return text, [section(escape(text))]
    counted = f"{len(incidents)} {label}" + ("" if len(incidents) == 1 else "s")
    head = f"*{escape(client_name)}: {counted}*"
    lines = [
        f"{_headline(i, client_name)} · opened {when(i.opened_at)}" for i in incidents[:_MAX_LISTED]
    ]
    blocks = [section(head), section("\n".join(lines))]
    blocks.append(_context("`/incident status &lt;number&gt;` shows the latest update of one."))
    return f"{counted} for {client_name}", blocks


def client_help() -> Rendered:
    """What client users can do."""
    text = (
        "*/incident* — the incidents we have told you about\n\n"
        "`/incident status [number]` — the latest status of one incident (else: open ones)\n"
        "`/incident list [open|all]` — your incidents\n"
        "`/incident help` — show this help"
    )
    return "/incident status, list, help", [section(text)]


def not_visible(number: int) -> Rendered:
    """The answer for an incident the asker may not see (or that does not exist)."""
    text = f"There is no incident {number} you can see."
    return text, [section(text)]


def refusal(home_org: str) -> Rendered:
    """The polite refusal for anything a user outside the home team may not do."""
    text = f"This is not available to users outside {home_org}; ask your contact at the agency."
    return text, [section(f":lock: {escape(text)}")]
