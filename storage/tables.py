"""SQLModel tables. Every schema change comes with an Alembic revision in ``migrations/``."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.types import UTCDateTime

__all__ = [
    "AlertGroupRow",
    "AlertRow",
    "ApiTokenRow",
    "AuditHeadRow",
    "AuditRow",
    "ChecklistItemRow",
    "ClientUpdateRow",
    "HitlRequestRow",
    "IncidentRoleRow",
    "IncidentRow",
    "InstanceRow",
    "OutboxRow",
    "RcaActionItemRow",
    "SlackEventReceipt",
    "TimelineRow",
    "TimerRow",
    "WebhookDeliveryRow",
    "metadata",
]

metadata = SQLModel.metadata


def _ts(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=nullable, index=index),
    )


class SlackEventReceipt(SQLModel, table=True):
    """One row per Events API ``event_id`` seen, so Slack's retries are handled once."""

    __tablename__ = "slack_event_receipts"

    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class IncidentRow(SQLModel, table=True):
    """An incident. ``number`` is what people say ("incident 42")."""

    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_status_service", "status", "service"),)

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    severity: str = Field(max_length=2)
    status: str = Field(max_length=16)
    service: str = Field(max_length=100)
    client: str | None = Field(default=None, max_length=100)
    opened_at: datetime = _ts(nullable=False, index=True)
    acknowledged_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()
    closed_at: datetime | None = _ts()
    last_seen_at: datetime | None = _ts()
    truncated_alerts: int = Field(default=0)
    slack_channel_id: str | None = Field(default=None, max_length=32)
    slack_channel_name: str | None = Field(default=None, max_length=80)
    slack_card_ts: str | None = Field(default=None, max_length=32)
    slack_alerts_ts: str | None = Field(default=None, max_length=32)
    alerts_refresh_at: datetime | None = _ts()  # the next alert-churn edit, not before
    slack_announce_ts: str | None = Field(default=None, max_length=32)
    last_update_at: datetime | None = _ts()
    summary: str | None = Field(default=None, sa_column=Column(Text))
    impact: str | None = Field(default=None, sa_column=Column(Text))
    declared_by: str | None = Field(default=None, max_length=32)
    jira_key: str | None = Field(default=None, max_length=32)
    notion_page_id: str | None = Field(default=None, max_length=64)
    notion_url: str | None = Field(default=None, max_length=512)
    slack_comms_ts: str | None = Field(default=None, max_length=32)  # the comms checklist
    slack_rca_ts: str | None = Field(default=None, max_length=32)  # the posted RCA document
    rca_completed_at: datetime | None = _ts()
    rca_waived_by: str | None = Field(default=None, max_length=32)
    rca_waiver_reason: str | None = Field(default=None, sa_column=Column(Text))


class IncidentRoleRow(SQLModel, table=True):
    """Who holds a role (commander, comms, scribe, ...) in an incident."""

    __tablename__ = "incident_roles"

    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id"), primary_key=True)
    )
    role: str = Field(primary_key=True, max_length=32)
    user_id: str = Field(max_length=32)
    assigned_at: datetime = _ts(nullable=False)


class TimerRow(SQLModel, table=True):
    """A durable timer. The scheduler only ticks; this row is the truth."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=False, index=True)
    )
    kind: str = Field(max_length=16)
    attempt: int = Field(default=1)
    due_at: datetime = _ts(nullable=False)
    status: str = Field(default="armed", max_length=16)  # armed | fired | cancelled
    fired_at: datetime | None = _ts()
    armed_at: datetime = _ts(nullable=False)


class ChecklistItemRow(SQLModel, table=True):
    """One item of an incident's comms checklist, RCA or playbook: done or not, by whom."""

    __tablename__ = "checklist_items"
    __table_args__ = (
        UniqueConstraint("incident_id", "checklist", "key", name="uq_checklist_item"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=False, index=True)
    )
    checklist: str = Field(max_length=16)  # comms | rca | playbook
    key: str = Field(max_length=32)
    label: str = Field(sa_column=Column(Text, nullable=False))
    position: int = Field(default=0)
    section: str | None = Field(default=None, max_length=100)
    due_at: datetime | None = _ts()
    done_at: datetime | None = _ts()
    done_by: str | None = Field(default=None, max_length=32)
    content: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))


class RcaActionItemRow(SQLModel, table=True):
    """A follow-up from an RCA: what, owner, due date, and its Jira issue once created."""

    __tablename__ = "rca_action_items"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=False, index=True)
    )
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner: str = Field(max_length=32)
    due: date
    created_by: str = Field(max_length=32)
    created_at: datetime = _ts(nullable=False)
    jira_key: str | None = Field(default=None, max_length=32)


class HitlRequestRow(SQLModel, table=True):
    """A workflow run waiting for a human, posted to Slack; who decided, when and why."""

    __tablename__ = "hitl_requests"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=16)
    thread_id: str = Field(max_length=100, unique=True)
    run_id: str = Field(max_length=100)
    workflow: str = Field(max_length=200)
    question: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="waiting", max_length=16)  # waiting|deciding|approved|rejected|gone
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    decided_by: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = _ts()
    comment: str | None = Field(default=None, sa_column=Column(Text))
    result_state: str | None = Field(default=None, max_length=16)
    created_at: datetime = _ts(nullable=False)


class ApiTokenRow(SQLModel, table=True):
    """A REST API token: only its SHA-256 is kept; scoped by role; revocable."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    role: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = _ts(nullable=False)
    revoked_at: datetime | None = _ts()
    last_used_at: datetime | None = _ts()


class AuditRow(SQLModel, table=True):
    """One audit entry; ``hash`` chains it to the entry before (append-only)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _ts(nullable=False)
    actor: str = Field(max_length=100)
    surface: str = Field(max_length=16)  # slack | webhook | api | cli | timer
    source: str = Field(default="", max_length=200)  # Slack team, IP address
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=200)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHeadRow(SQLModel, table=True):
    """The chain's head, locked by each writer so entries are appended one at a time."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_id: int = Field(default=0)
    last_hash: str = Field(default="0" * 64, max_length=64)


class ClientUpdateRow(SQLModel, table=True):
    """A client update: drafted, redacted, maybe approved, posted (or refused)."""

    __tablename__ = "client_updates"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=False, index=True)
    )
    client: str = Field(max_length=100)
    text: str = Field(sa_column=Column(Text, nullable=False))  # already redacted
    redactions: int = Field(default=0)
    status: str = Field(max_length=24)  # pending_approval | approved | posted | refused | discarded
    needs_approval: bool = Field(default=False)
    drafted_by: str = Field(max_length=32)
    approved_by: str | None = Field(default=None, max_length=32)
    drafted_at: datetime = _ts(nullable=False)
    approved_at: datetime | None = _ts()
    posted_at: datetime | None = _ts()
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    preview_ts: str | None = Field(default=None, max_length=32)
    reason: str | None = Field(default=None, sa_column=Column(Text))


class AlertGroupRow(SQLModel, table=True):
    """An Alertmanager group (by ``groupKey``) and the incident it currently feeds."""

    __tablename__ = "alert_groups"

    key_hash: str = Field(primary_key=True, max_length=64)
    group_key: str = Field(sa_column=Column(Text, nullable=False))
    group_labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    incident_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=True)
    )
    first_seen_at: datetime = _ts(nullable=False)
    last_seen_at: datetime = _ts(nullable=False)
    held_at: datetime | None = _ts(index=True)  # held back by the storm guard
    held_alerts: int = Field(default=0)
    held_severity: str | None = Field(default=None, max_length=2)
    held_service: str | None = Field(default=None, max_length=100)
    held_summary: str | None = Field(default=None, max_length=300)
    notice_at: datetime | None = _ts()  # last below-threshold notice


class AlertRow(SQLModel, table=True):
    """One alert occurrence: ``fingerprint`` + ``starts_at``."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("fingerprint", "starts_at", name="uq_alerts_occurrence"),
        Index("ix_alerts_incident_status", "incident_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=False))
    fingerprint: str = Field(max_length=64)
    starts_at: datetime = _ts(nullable=False)
    ends_at: datetime | None = _ts()
    status: str = Field(max_length=16)
    severity: str = Field(max_length=2)
    name: str = Field(max_length=200)
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    annotations: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON))
    generator_url: str = Field(default="", sa_column=Column(Text, nullable=False))
    first_seen_at: datetime = _ts(nullable=False)
    last_seen_at: datetime = _ts(nullable=False)


class TimelineRow(SQLModel, table=True):
    """Who did what, when, from which surface."""

    __tablename__ = "timeline_entries"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(
        sa_column=Column(Integer, ForeignKey("incidents.id"), nullable=False, index=True)
    )
    at: datetime = _ts(nullable=False)
    kind: str = Field(max_length=32)
    actor: str = Field(max_length=100)
    surface: str = Field(max_length=16)
    text: str = Field(sa_column=Column(Text, nullable=False))


class WebhookDeliveryRow(SQLModel, table=True):
    """Every accepted webhook body, stored before the 2xx answer."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_pending", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    received_at: datetime = _ts(nullable=False)
    key_hash: str | None = Field(default=None, max_length=64)
    alert_count: int = Field(default=0)
    body: str = Field(sa_column=Column(Text, nullable=False))
    incident_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON))
    status: str = Field(default="processed", max_length=16)  # pending | processed | failed
    error: str | None = Field(default=None, sa_column=Column(Text))
    trace_context: str | None = Field(default=None, max_length=128)  # W3C traceparent
    applied_at: datetime | None = _ts()


class OutboxRow(SQLModel, table=True):
    """A side effect to deliver after the transaction that caused it commits."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, index=True)
    kind: str = Field(max_length=48)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    # While pending, effects that must not pile up share a key (NULL once delivered).
    coalesce_key: str | None = Field(default=None, max_length=128, unique=True)
    status: str = Field(default="pending", max_length=16)  # pending | done | dead
    priority: int = Field(default=1)  # 0 urgent (escalations), 1 normal, 2 cosmetic edits
    lane: str = Field(default="slack", max_length=16)  # in order within (incident, lane)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = _ts(nullable=False)
    lease_until: datetime | None = _ts()
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = _ts(nullable=False)
    done_at: datetime | None = _ts()
    trace_context: str | None = Field(default=None, max_length=128)  # W3C traceparent


class InstanceRow(SQLModel, table=True):
    """A running opsbot process, seen recently (its heartbeat)."""

    __tablename__ = "instances"

    id: str = Field(primary_key=True, max_length=32)
    host: str = Field(max_length=255)
    pid: int
    version: str = Field(max_length=32)
    started_at: datetime = _ts(nullable=False)
    seen_at: datetime = _ts(nullable=False)
