"""Block Kit for lifecycle messages: escalations, reminders, status posts (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.adapters.slack.cards import Rendered, escape, mention, section
from bot.domain.incident import IncidentView

__all__ = ["escalation_message", "reminder_message", "status_post"]

_REMINDERS = {
    "update": ":hourglass: An update is due for this incident.",
    "stale": ":zzz: This incident has had no update for a long time.",
    "rca": ":memo: The RCA for this incident is due.",
}
_EVENTS = {
    "update": ":speech_balloon: Update",
    "sev": ":arrow_up_down: Severity changed",
    "resolve": ":white_check_mark: Resolved",
    "reopen": ":leftwards_arrow_with_hook: Reopened",
    "close": ":lock: Closed",
}


def _title(view: IncidentView) -> str:
    return f"*{view.severity.value} · #{view.number} {escape(view.title)}*"


def escalation_message(
    view: IncidentView, *, attempt: int, limit: int, targets: Sequence[str], by: str | None
) -> Rendered:
    """An escalation: who is called, why, which one of how many."""
    who = " ".join(mention(t) for t in targets) or "(no escalation target configured)"
    why = (
        f"escalated by <@{by}>" if by else f"not acknowledged in time, escalation {attempt}/{limit}"
    )
    text = f":rotating_light: {who} {_title(view)} needs you: {why}."
    where = f" in <#{view.slack_channel_id}>" if view.slack_channel_id else ""
    return text, [section(text + where)]


def reminder_message(view: IncidentView, *, kind: str) -> Rendered:
    """An update-due, stale or RCA-due reminder mentioning the commander and comms."""
    people = [view.roles[r] for r in ("commander", "comms") if r in view.roles]
    who = " ".join(f"<@{u}>" for u in people)
    text = f"{_REMINDERS.get(kind, kind)} {who}".strip()
    return text, [section(f"{text}\n{_title(view)}")]


def status_post(view: IncidentView, *, event: str, actor: str, text: str) -> Rendered:
    """A lifecycle event told in the incident channel."""
    head = _EVENTS.get(event, event)
    body = f"{head} by <@{actor}>\n{escape(text)}" if text else f"{head} by <@{actor}>"
    return f"{head}: {text}"[:3000], [section(body)]
