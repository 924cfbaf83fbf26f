"""Block Kit for every message opsbot posts about incidents: pure functions, no I/O.

Each builder returns ``(text, blocks)``; ``text`` is the notification fallback. Text that
users or alerts control (titles, services, annotations) is escaped for mrkdwn, so only the
links and mentions built here are live. Every builder stays within Slack's limits for any
input size: at most 50 blocks, section text 3000, fields 10 of 2000 each, header 150,
button 75 (longer text is cut with an ellipsis, never inside an entity or a link).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from bot.domain.incident import AlertView, DigestEntry, IncidentView
from bot.domain.severity import Severity

__all__ = [
    "Rendered",
    "alerts_message",
    "all_cleared_message",
    "announcement",
    "below_threshold_notice",
    "button",
    "channel_topic",
    "escape",
    "incident_card",
    "mention",
    "reopened_message",
    "section",
    "severity_raised_message",
    "storm_digest",
    "when",
]

Block = dict[str, Any]
Rendered = tuple[str, list[Block]]

SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
BUTTON_LIMIT = 75
TOPIC_LIMIT = 250
URL_LIMIT = 1000  # longer links are left out rather than cut
MAX_ALERTS_SHOWN = 20  # two blocks each: 20 keep a message well under 50 blocks
MAX_LINES_SHOWN = 20

SEVERITY_EMOJI = {
    Severity.S1: ":rotating_light:",
    Severity.S2: ":large_orange_circle:",
    Severity.S3: ":large_yellow_circle:",
}
ALERT_EMOJI = {"firing": ":red_circle:", "resolved": ":white_check_mark:"}

_ACK = ("Acknowledge", "incident_ack", "primary")
_UPDATE = ("Post update", "incident_update", None)
_ESCALATE = ("Escalate", "incident_escalate", None)
_SEVERITY = ("Change severity", "incident_sev", None)
_RESOLVE = ("Resolve", "incident_resolve", "danger")
_REOPEN = ("Reopen", "incident_reopen", None)
BUTTONS_BY_STATUS: dict[str, tuple[tuple[str, str, str | None], ...]] = {
    "open": (_ACK, _UPDATE, _ESCALATE, _SEVERITY, _RESOLVE),
    "acknowledged": (_UPDATE, _ESCALATE, _SEVERITY, _RESOLVE),
    "resolved": (("RCA", "rca_show", "primary"), _REOPEN),
    "closed": (),
}


# ----- text ---------------------------------------------------------------------------------
def escape(text: str) -> str:
    """``text`` made inert for mrkdwn: ``&``, ``<`` and ``>`` become entities."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _fit(mrkdwn: str, limit: int) -> str:
    """``mrkdwn`` cut to ``limit`` characters, never inside ``<…>`` or ``&…;``."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = mrkdwn[: limit - 1]
    for opener, closer in (("<", ">"), ("&", ";")):
        start = cut.rfind(opener)
        if start != -1 and closer not in cut[start:]:
            cut = cut[:start]
    return cut + "…"


def _safe(text: str, limit: int) -> str:
    """User text escaped for mrkdwn, then cut to ``limit``."""
    return _fit(escape(text), limit)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def when(value: datetime) -> str:
    """A date Slack shows in the reader's time zone, with a UTC ISO fallback."""
    moment = _utc(value)
    fallback = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"<!date^{int(moment.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def mention(ident: str) -> str:
    """A live mention of a user (``U…``/``W…``) or user group (``S…``); anything else escaped."""
    if ident.startswith("S"):
        return f"<!subteam^{ident}>"
    if ident.startswith(("U", "W")):
        return f"<@{ident}>"
    return escape(ident)


def _link(url: str | None, label: str) -> str | None:
    """``<url|label>`` for an http(s) URL short enough to keep whole; else None."""
    if not url or not url.startswith(("http://", "https://")) or len(url) > URL_LIMIT:
        return None
    clean = escape(url).replace("|", "%7C").replace(" ", "%20")
    return f"<{clean}|{label}>"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _name(view: IncidentView, limit: int = 500) -> str:
    """``S1 · #42 title`` for mrkdwn."""
    return f"{view.severity.value} · #{view.number} {_safe(view.title, limit)}"


# ----- blocks -------------------------------------------------------------------------------
def _plain(text: str, limit: int) -> Block:
    # Plain text is not parsed for mentions, but keep it inert everywhere it may be copied:
    # angle brackets become look-alike guillemets so `<!channel>` can never become live.
    inert = text.replace("<", "\u2039").replace(">", "\u203a")
    return {"type": "plain_text", "text": _cut(inert, limit), "emoji": True}


def _md(text: str, limit: int = SECTION_LIMIT) -> Block:
    return {"type": "mrkdwn", "text": _fit(text, limit)}


def section(text: str, block_id: str | None = None) -> Block:
    """A mrkdwn section, cut to Slack's limit without breaking an entity or link."""
    block: Block = {"type": "section", "text": _md(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def _context(*texts: str) -> Block:
    return {"type": "context", "elements": [_md(text) for text in texts[:10]]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> Block:
    """A button with an inert, length-limited label."""
    element: Block = {
        "type": "button",
        "text": _plain(label, BUTTON_LIMIT),
        "action_id": action_id,
        "value": value,
    }
    if style:
        element["style"] = style
    return element


def _packed(lines: Iterable[str]) -> list[Block]:
    """Sections holding ``lines`` (each already under the limit), as few as fit."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and len("\n".join([*chunk, line])) > SECTION_LIMIT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(_fit(line, SECTION_LIMIT))
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks


def _more(hidden: int) -> list[Block]:
    return [_context(f"…and {hidden} more")] if hidden > 0 else []


def _fallback(text: str) -> str:
    return _fit(text, SECTION_LIMIT)


# ----- the incident card --------------------------------------------------------------------
def incident_card(view: IncidentView, *, now: datetime) -> Rendered:
    """The incident's card: header, facts, and the buttons its status allows."""
    emoji = SEVERITY_EMOJI[view.severity]
    header = f"{emoji} {view.severity.value} · #{view.number} {view.title}"
    blocks: list[Block] = [
        {"type": "header", "block_id": "card_header", "text": _plain(header, HEADER_LIMIT)},
        {"type": "section", "block_id": "card_fields", "fields": _card_fields(view, now)},
    ]
    tracked = [f"Jira {escape(view.jira_key)}"] if view.jira_key else []
    if notion := _link(view.notion_url, "Notion page"):
        tracked.append(notion)
    if tracked:
        blocks.append({**_context(" · ".join(tracked)), "block_id": "card_tracking"})
    buttons = BUTTONS_BY_STATUS.get(view.status, BUTTONS_BY_STATUS["open"])
    if view.client and view.status in ("open", "acknowledged", "resolved"):
        buttons = (*buttons, ("Draft client update", "incident_client_update", None))
    if buttons:
        value = str(view.id)
        elements = [button(label, action, value, style) for label, action, style in buttons]
        blocks.append({"type": "actions", "block_id": "card_actions", "elements": elements})
    text = f"{_name(view)} ({view.status}) · {_safe(view.service, 200)}"
    return _fallback(text), blocks


def _card_fields(view: IncidentView, now: datetime) -> list[Block]:
    pairs: list[tuple[str, str]] = [
        ("Severity", f"{SEVERITY_EMOJI[view.severity]} {view.severity.value}"),
        ("Status", _status(view, now)),
        ("Service", escape(view.service)),
    ]
    if view.client:
        pairs.append(("Client", escape(view.client)))
    pairs.append(("Opened", when(view.opened_at)))
    if view.acknowledged_at is not None:
        pairs.append(("Acknowledged", when(view.acknowledged_at)))
    elif view.ack_due_at is not None:
        pairs.append(("Ack by", when(view.ack_due_at)))
    if view.resolved_at is not None:
        pairs.append(("Resolved", when(view.resolved_at)))
    elif view.update_due_at is not None:
        pairs.append(("Next update by", when(view.update_due_at)))
    if view.roles:
        held = [f"{escape(role)} {mention(user)}" for role, user in sorted(view.roles.items())]
        pairs.append(("Roles", _fit(" · ".join(held), FIELD_LIMIT - 20)))
    if view.oncall:
        pairs.append(("On-call", _mentions(view.oncall, FIELD_LIMIT - 20)))
    if view.playbook:
        pairs.append(("Playbook", _link(view.playbook, "Open playbook") or escape(view.playbook)))
    if view.comms_progress is not None:
        pairs.append(("Comms checklist", "{}/{} done".format(*view.comms_progress)))
    if view.rca_progress is not None:
        pairs.append(("RCA", _rca(view)))
    return [_md(f"*{label}*\n{value}", FIELD_LIMIT) for label, value in pairs]


def _rca(view: IncidentView) -> str:
    assert view.rca_progress is not None
    done, total = view.rca_progress
    if view.rca_complete:
        return f":white_check_mark: complete ({done}/{total})"
    due = f" · due {when(view.rca_due_at)}" if view.rca_due_at else ""
    return f"{done}/{total} sections{due} · `/incident rca`"


def _status(view: IncidentView, now: datetime) -> str:
    label = escape(view.status.capitalize())
    due = view.ack_due_at
    if view.status == "open" and due is not None and _utc(now) > _utc(due):
        return f"{label} · :warning: ack overdue"
    return label


def _mentions(ids: Sequence[str], limit: int) -> str:
    """Mentions that fit in ``limit``, then ``+N more``; never a cut mention."""
    shown: list[str] = []
    for index, ident in enumerate(ids):
        candidate = " ".join([*shown, mention(ident)])
        if len(candidate) > limit - 12:
            return " ".join(shown) + f" +{len(ids) - index} more"
        shown.append(mention(ident))
    return " ".join(shown)


# ----- the alerts message -------------------------------------------------------------------
def alerts_message(view: IncidentView, *, newest: int = 5) -> Rendered:
    """Counts, then the newest ``newest`` alerts (at most 20), then ``…and N more``."""
    counts = f"{_plural(view.alert_count, 'alert')}: {view.firing_count} firing, "
    counts += f"{view.resolved_count} resolved"
    if view.truncated_alerts:
        counts += f" · +{view.truncated_alerts} truncated by Alertmanager"
    shown = view.alerts[: max(0, min(newest, MAX_ALERTS_SHOWN))]
    blocks: list[Block] = [section(f"*{counts}*", "alerts_counts")]
    for alert in shown:
        blocks.extend(_alert_blocks(alert))
    total = max(view.alert_count, len(view.alerts))
    blocks.extend(_more(total - len(shown)))
    return _fallback(f"#{view.number} {counts}"), blocks


def _alert_blocks(alert: AlertView) -> list[Block]:
    head = f"{ALERT_EMOJI.get(alert.status, ':grey_question:')} *{_safe(alert.name, 200)}*"
    if alert.summary != alert.name:
        head += f" — {_safe(alert.summary, 500)}"
    if alert.description:
        head += "\n" + _safe(alert.description, SECTION_LIMIT - len(head) - 1)
    facts = [f"Started {when(alert.starts_at)}"]
    if alert.ends_at is not None:
        facts.append(f"Ended {when(alert.ends_at)}")
    facts += [
        link
        for link in (_link(alert.runbook_url, "Runbook"), _link(alert.generator_url, "Source"))
        if link
    ]
    return [section(head), _context(*facts)]


def _alert_line(alert: AlertView) -> str:
    """One line per alert: status, severity, name, summary and links."""
    emoji = ALERT_EMOJI.get(alert.status, ":grey_question:")
    line = f"{emoji} {alert.severity.value} *{_safe(alert.name, 150)}*"
    if alert.summary != alert.name:
        line += f" — {_safe(alert.summary, 300)}"
    links = [_link(alert.runbook_url, "Runbook"), _link(alert.generator_url, "Source")]
    return " · ".join([line, *(link for link in links if link)])


# ----- announcements and notices ------------------------------------------------------------
def announcement(view: IncidentView) -> Rendered:
    """The incidents-channel announcement of a new incident, pointing at its channel."""
    emoji = SEVERITY_EMOJI[view.severity]
    where = f"<#{view.slack_channel_id}>" if view.slack_channel_id else "channel pending"
    facts = f"Service: {_safe(view.service, 200)}"
    if view.client:
        facts += f" · Client: {_safe(view.client, 200)}"
    text = f"{emoji} *{_name(view)}*\n{facts} · {where}"
    return _fallback(f"{_name(view)} · {where}"), [section(text, "announcement")]


def channel_topic(view: IncidentView) -> str:
    """``S1 · open · checkout-api · #42 DB down``, at most 250 characters."""
    prefix = f"{view.severity.value} · {view.status} · {escape(view.service)} · #{view.number} "
    return _fit(prefix + escape(view.title), TOPIC_LIMIT)


def all_cleared_message(view: IncidentView, *, auto_resolved: bool) -> Rendered:
    """Every alert resolved: offer the Resolve button, or say opsbot resolved it."""
    if auto_resolved:
        text = f":white_check_mark: *All alerts cleared* for #{view.number}: "
        text += "the incident was resolved automatically."
        return _fallback(text), [section(text, "cleared")]
    text = f":white_check_mark: *All alerts cleared* for #{view.number}. "
    text += "Resolve the incident once you are sure it is over."
    resolve = button("Resolve", "incident_resolve", str(view.id), "danger")
    actions = {"type": "actions", "block_id": "cleared_actions", "elements": [resolve]}
    return _fallback(text), [section(text, "cleared"), actions]


def reopened_message(view: IncidentView, reason: str) -> Rendered:
    """The incident came back: say why."""
    text = f":repeat: *Reopened {_name(view)}*\n{_safe(reason, 2000)}"
    return _fallback(text), [section(text, "reopened")]


def severity_raised_message(view: IncidentView, old: Severity, reason: str) -> Rendered:
    """The severity went up (``old`` → the view's): say why."""
    emoji = SEVERITY_EMOJI[view.severity]
    change = f"{old.value} → {view.severity.value}"
    text = f"{emoji} *Severity raised {change}* for #{view.number}\n{_safe(reason, 2000)}"
    return _fallback(text), [section(text, "severity_raised")]


def storm_digest(
    entries: Sequence[DigestEntry], *, window_start: datetime, opened_limit: int
) -> Rendered:
    """One digest of the alert groups the storm guard held back."""
    intro = f"Storm guard: {_plural(len(entries), 'alert group')} held back; "
    intro += f"at most {opened_limit} new incidents a minute"
    lines = [_digest_line(entry) for entry in entries[:MAX_LINES_SHOWN]]
    blocks = [
        section(f":cyclone: *{intro}*", "storm_intro"),
        _context(f"Since {when(window_start)}"),
        *_packed(lines),
        *_more(len(entries) - len(lines)),
    ]
    return _fallback(intro), blocks


def _digest_line(entry: DigestEntry) -> str:
    return (
        f"{SEVERITY_EMOJI[entry.severity]} {entry.severity.value} · *{_safe(entry.service, 150)}*"
        f" · {_plural(entry.alert_count, 'alert')} · {_safe(entry.summary, 300)}"
    )


def below_threshold_notice(
    alerts: Sequence[AlertView], *, service: str, minimum: Severity
) -> Rendered:
    """Alerts too mild for an incident (below ``minimum``): told, not escalated."""
    intro = f"{_plural(len(alerts), 'alert')} for {_safe(service, 200)} below {minimum.value}: "
    intro += "no incident opened"
    lines = [_alert_line(alert) for alert in alerts[:MAX_LINES_SHOWN]]
    blocks = [
        section(f":information_source: *{intro}*", "below_threshold"),
        *_packed(lines),
        *_more(len(alerts) - len(lines)),
    ]
    return _fallback(intro), blocks
