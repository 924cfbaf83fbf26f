"""Read models of an incident and its alerts, as the Slack cards and the REST API show them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.domain.severity import Severity

__all__ = ["AlertView", "DigestEntry", "IncidentView", "TimelineView"]


@dataclass(frozen=True)
class AlertView:
    """One alert occurrence (fingerprint + start) attached to an incident."""

    fingerprint: str
    name: str
    status: str  # "firing" | "resolved"
    severity: Severity
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    last_seen_at: datetime

    @property
    def summary(self) -> str:
        """The summary annotation, else the alert name."""
        return self.annotations.get("summary") or self.name

    @property
    def description(self) -> str | None:
        """The description annotation, if any."""
        return self.annotations.get("description")

    @property
    def runbook_url(self) -> str | None:
        """The ``runbook_url`` annotation, if any."""
        return self.annotations.get("runbook_url")

    def public(self) -> dict[str, Any]:
        """The REST shape."""
        return {
            "fingerprint": self.fingerprint,
            "status": self.status,
            "labels": self.labels,
            "annotations": self.annotations,
            "starts_at": _iso(self.starts_at),
            "ends_at": _iso(self.ends_at),
        }


@dataclass(frozen=True)
class TimelineView:
    """One timeline entry: who did what, when, from which surface."""

    at: datetime
    kind: str
    actor: str
    surface: str
    text: str

    def public(self) -> dict[str, Any]:
        """The REST shape."""
        return {"at": _iso(self.at), "kind": self.kind, "actor": self.actor, "text": self.text}


@dataclass(frozen=True)
class IncidentView:
    """An incident as shown on its Slack card and returned by the REST API."""

    id: int
    number: int
    title: str
    severity: Severity
    status: str
    service: str
    client: str | None
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    slack_channel_id: str | None
    oncall: tuple[str, ...] = ()
    playbook: str | None = None
    ack_due_at: datetime | None = None
    update_due_at: datetime | None = None
    roles: dict[str, str] = field(default_factory=dict)
    summary: str | None = None
    jira_key: str | None = None
    notion_url: str | None = None
    comms_progress: tuple[int, int] | None = None  # (done, total) of the comms checklist
    rca_progress: tuple[int, int] | None = None  # (sections done, sections) once resolved
    rca_due_at: datetime | None = None
    rca_complete: bool = False

    def minutes_to(self, moment: datetime | None) -> float | None:
        """Minutes from opening to ``moment`` (MTTA, MTTR), rounded to a tenth."""
        if moment is None:
            return None
        return round((moment - self.opened_at).total_seconds() / 60, 1)

    firing_count: int = 0
    resolved_count: int = 0
    truncated_alerts: int = 0
    alerts: tuple[AlertView, ...] = ()  # newest first; may be only the newest few
    timeline: tuple[TimelineView, ...] = field(default=())

    @property
    def alert_count(self) -> int:
        """Every alert occurrence attached, firing or resolved."""
        return self.firing_count + self.resolved_count

    def public(self) -> dict[str, Any]:
        """The REST shape (fields fixed by the API contract)."""
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "severity": self.severity.value,
            "status": self.status,
            "service": self.service,
            "client": self.client,
            "opened_at": _iso(self.opened_at),
            "acknowledged_at": _iso(self.acknowledged_at),
            "resolved_at": _iso(self.resolved_at),
            "closed_at": _iso(self.closed_at),
            "slack_channel_id": self.slack_channel_id,
            "jira_key": self.jira_key,
            "notion_url": self.notion_url,
            "alerts": [alert.public() for alert in self.alerts],
            "timeline": [entry.public() for entry in self.timeline],
        }


@dataclass(frozen=True)
class DigestEntry:
    """One alert group held back by the storm guard, for the digest message."""

    group_labels: dict[str, str]
    service: str
    severity: Severity
    alert_count: int
    summary: str


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")
