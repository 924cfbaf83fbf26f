"""What an incident looks like in Jira (issue fields) and Notion (page properties): pure."""

from __future__ import annotations

from typing import Any

from bot.domain.incident import IncidentView
from bot.domain.rca import ActionItem
from bot.policy import JiraPolicy

__all__ = [
    "action_fields",
    "action_label",
    "incident_label",
    "jira_fields",
    "notion_properties",
    "rca_marker",
    "slack_link",
]


def incident_label(incident_id: int) -> str:
    """The Jira label (and Notion ``opsbot id``) that makes creation idempotent."""
    return f"opsbot-incident-{incident_id}"


def action_label(action_id: int) -> str:
    """The Jira label that makes an RCA action item's issue idempotent."""
    return f"opsbot-action-{action_id}"


def rca_marker(incident_id: int) -> str:
    """The paragraph that starts the RCA on the incident's Notion page (found on a retry)."""
    return f"opsbot rca of incident {incident_id}"


def slack_link(channel_id: str | None) -> str | None:
    """A link that opens the incident channel in Slack."""
    return f"https://slack.com/app_redirect?channel={channel_id}" if channel_id else None


def jira_fields(
    view: IncidentView, *, project: str, policy: JiraPolicy, component: str | None
) -> dict[str, Any]:
    """Fields for the incident's Jira issue (REST v2: plain-text description)."""
    lines = [
        f"Severity {view.severity.value}, service {view.service}"
        + (f", client {view.client}" if view.client else ""),
        f"Opened {view.opened_at.isoformat()} by opsbot (incident #{view.number}).",
    ]
    if link := slack_link(view.slack_channel_id):
        lines.append(f"Slack: {link}")
    for alert in view.alerts[:10]:
        source = f" ({alert.generator_url})" if alert.generator_url else ""
        lines.append(f"* {alert.name}: {alert.summary}{source}")
    fields: dict[str, Any] = {
        "project": {"key": project},
        "issuetype": {"name": policy.issue_type},
        "summary": f"[{view.severity.value}] #{view.number} {view.title}"[:250],
        "description": "\n".join(lines),
        "labels": [*policy.labels, incident_label(view.id)],
    }
    priority = policy.priority_map.get(view.severity.value)
    if priority:
        fields["priority"] = {"name": priority}
    if component:
        fields["components"] = [{"name": component}]
    return fields


def action_fields(
    item: ActionItem,
    *,
    action_id: int,
    incident_id: int,
    incident_key: str,
    project: str,
    policy: JiraPolicy,
) -> dict[str, Any]:
    """Fields for an RCA action item's issue (linked to the incident's issue ``incident_key``).
    Not the incident's label: searching for that must keep finding the incident's issue."""
    title = " ".join(item.text.split())
    lines = [
        item.text,
        "",
        f"RCA action item of incident #{incident_id} ({incident_key}).",
        f"Owner: {item.owner} (Slack user)",
        f"Due: {item.due.isoformat()}",
    ]
    return {
        "project": {"key": project},
        "issuetype": {"name": policy.issue_type},
        "summary": f"[RCA #{incident_id}] {title}"[:250],
        "description": "\n".join(lines),
        "duedate": item.due.isoformat(),
        "labels": [*policy.labels, action_label(action_id)],
    }


def _text(value: str | None) -> dict[str, Any]:
    return {"rich_text": [{"type": "text", "text": {"content": (value or "")[:2000]}}]}


def _date(value: Any) -> dict[str, Any]:
    return {"date": {"start": value.isoformat()} if value else None}


def notion_properties(view: IncidentView, *, jira_url: str | None) -> dict[str, Any]:
    """Page properties: the truth of the incident now."""
    return {
        "Title": {"title": [{"type": "text", "text": {"content": view.title[:2000]}}]},
        "Severity": {"select": {"name": view.severity.value}},
        "Status": {"select": {"name": view.status}},
        "Service": _text(view.service),
        "Client": _text(view.client),
        "Opened": _date(view.opened_at),
        "Acknowledged": _date(view.acknowledged_at),
        "Resolved": _date(view.resolved_at),
        "MTTA (min)": {"number": view.minutes_to(view.acknowledged_at)},
        "MTTR (min)": {"number": view.minutes_to(view.resolved_at)},
        "Jira": {"url": jira_url},
        "Slack": {"url": slack_link(view.slack_channel_id)},
    }
