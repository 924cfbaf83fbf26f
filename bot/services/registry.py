"""The services opsbot's handlers may call, bound to their dependencies by the app factory."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain.incident import IncidentView, TimelineView
from bot.domain.report import Review
from bot.domain.runs import HitlSource
from bot.domain.severity import Severity
from bot.metrics import Metrics
from bot.policy import Policy
from bot.services import client_updates, incident_state, lifecycle, queries, slack_events
from bot.services.access import Access
from bot.services.alert_intake import IntakeService
from bot.services.audit import AuditService
from bot.services.checklist_service import ChecklistService
from bot.services.client_portal import ClientPortalService
from bot.services.client_updates import ClientUpdateView
from bot.services.hitl import HitlService
from bot.services.lifecycle import Actor, Change
from bot.services.report import review as review_incidents
from bot.services.runs import RunsService
from bot.services.self_metrics import observe_change
from bot.services.sync import NO_SYNC, SyncTargets
from storage.db import Database
from storage.repositories import outbox as outbox_repo

__all__ = [
    "IncidentQueries",
    "IntakeService",
    "LifecycleService",
    "Services",
    "SlackEventService",
    "build_services",
]


@dataclass(frozen=True)
class SlackEventService:
    """Events API bookkeeping."""

    db: Database
    clock: Clock

    def first_delivery(self, *, event_id: str, event_type: str) -> bool:
        """True the first time ``event_id`` arrives."""
        return slack_events.first_delivery(
            db=self.db, event_id=event_id, event_type=event_type, now=self.clock()
        )


@dataclass
class LifecycleService:
    """Incident actions from Slack and the API (blocking: call from a worker thread)."""

    db: Database
    policy: Policy
    clock: Clock
    slack: bool
    sync: SyncTargets = NO_SYNC
    waker: Callable[[], None] = field(default=lambda: None)
    metrics: Metrics | None = None  # MTTA and MTTR are observed when given
    access: Access | None = None  # roles of the people acting (else everyone is a responder)

    def _with_role(self, actor: Actor) -> Actor:
        if self.access is None:
            return actor
        return replace(actor, role=self.access.role(actor.user_id))

    def declare(
        self, *, title: str, severity: Severity, service: str, client: str | None, actor: Actor
    ) -> IncidentView:
        """Open an incident by hand."""
        view = lifecycle.declare(
            db=self.db,
            policy=self.policy,
            title=title,
            severity=severity,
            service=service,
            client=client,
            actor=actor,
            now=self.clock(),
            slack=self.slack,
            sync=self.sync,
        )
        self.waker()
        return view

    def apply(self, incident_id: int, change: Change, actor: Actor) -> IncidentView:
        """Apply an action; raises ``Refused`` or ``LookupError``."""
        view = lifecycle.apply(
            db=self.db,
            policy=self.policy,
            incident_id=incident_id,
            change=change,
            actor=self._with_role(actor),
            now=self.clock(),
            slack=self.slack,
            sync=self.sync,
        )
        self.waker()
        if self.metrics is not None:
            observe_change(self.metrics, change.action, view)
        return view

    def view(self, incident_id: int) -> IncidentView | None:
        """The incident's read model (with roles and deadlines)."""
        loaded = incident_state.load_incident(self.db, self.policy, incident_id)
        return loaded[0] if loaded else None

    def record_message(self, *, channel_id: str, user_id: str, text: str, how: str) -> bool:
        """Add a pinned or marked message of an incident channel to its timeline."""
        incident_id = queries.incident_in_channel(db=self.db, channel_id=channel_id)
        if incident_id is None:
            return False
        lifecycle.record_message(
            db=self.db,
            incident_id=incident_id,
            kind=how,
            text=text,
            actor=Actor(user_id=user_id, surface="slack"),
            now=self.clock(),
        )
        return True

    def sync_state(self, incident_id: int) -> dict[str, Any] | None:
        """Where the incident's effects stand, by lane."""
        return queries.sync_state(db=self.db, incident_id=incident_id)

    def in_channel(self, channel_id: str) -> int | None:
        """The incident whose channel this is."""
        return queries.incident_in_channel(db=self.db, channel_id=channel_id)

    def timeline(self, incident_id: int) -> list[TimelineView] | None:
        """The incident's timeline."""
        return queries.timeline_of(db=self.db, incident_id=incident_id)


@dataclass
class ClientUpdateService:
    """Client updates from Slack (blocking: call from a worker thread)."""

    db: Database
    policy: Policy
    clock: Clock
    waker: Callable[[], None] = field(default=lambda: None)

    def draft(self, incident_id: int, text: str, drafter: str) -> ClientUpdateView:
        """Redact and store a draft; its preview goes to the incident channel."""
        view = client_updates.draft(
            db=self.db,
            policy=self.policy,
            incident_id=incident_id,
            text=text,
            drafter=drafter,
            now=self.clock(),
        )
        self.waker()
        return view

    def approve(self, update_id: int, approver: str) -> ClientUpdateView:
        """Approve and queue the post (``Refused`` when the drafter approves their own S1)."""
        view = client_updates.approve(
            db=self.db,
            policy=self.policy,
            update_id=update_id,
            approver=approver,
            now=self.clock(),
        )
        self.waker()
        return view

    def discard(self, update_id: int, actor: str) -> ClientUpdateView:
        """Drop a pending draft."""
        return client_updates.discard(
            db=self.db, policy=self.policy, update_id=update_id, actor=actor, now=self.clock()
        )


@dataclass(frozen=True)
class IncidentQueries:
    """Reads for the REST API."""

    db: Database

    def list(
        self, *, status: str, service: str | None, severity: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Incidents in their public shape."""
        return queries.list_incidents(
            db=self.db, status=status, service=service, severity=severity, limit=limit
        )

    def get(self, incident_id: int) -> dict[str, Any] | None:
        """One incident in its public shape."""
        return queries.get_incident(db=self.db, incident_id=incident_id)

    def review(self, *, policy: Policy, since: datetime, now: datetime) -> Review:
        """The incident review of the incidents opened since ``since``."""
        return review_incidents(db=self.db, policy=policy, since=since, now=now)


def outbox_figures(*, db: Database, clock: Clock) -> dict[str, float]:
    """Outbox depth, oldest pending age (seconds) and dead letters, for ``/metrics``."""
    with db.session() as session:
        figures = outbox_repo.stats(session, now=clock())
    return {
        "pending": figures.pending,
        "oldest_pending_age_seconds": figures.oldest_age_s,
        "dead": figures.dead,
    }


@dataclass(frozen=True)
class Services:
    """Everything a handler can reach, injected into Bolt listener context by name."""

    slack_events: SlackEventService
    intake: IntakeService
    incidents: IncidentQueries
    lifecycle: LifecycleService
    client_updates: ClientUpdateService
    client_portal: ClientPortalService
    checklists: ChecklistService
    runs: RunsService
    hitl: HitlService
    access: Access
    audit: AuditService
    metrics: Metrics

    def as_context(self) -> dict[str, Any]:
        """The services by the names listeners ask for."""
        return {
            "slack_events": self.slack_events,
            "incidents": self.incidents,
            "lifecycle": self.lifecycle,
            "client_updates": self.client_updates,
            "client_portal": self.client_portal,
            "checklists": self.checklists,
            "runs": self.runs,
            "hitl": self.hitl,
            "access": self.access,
            "audit": self.audit,
            "metrics": self.metrics,
        }


def build_services(
    *,
    db: Database,
    policy: Policy,
    clock: Clock,
    metrics: Metrics,
    slack: bool,
    sync: SyncTargets = NO_SYNC,
    runs: RunsService | None = None,
    hitl: HitlSource | None = None,
    api_token: str | None = None,
) -> Services:
    """Bind every service to its dependencies (``runs``: the run sources, none by default;
    ``api_token``: the bootstrap admin token)."""
    access = Access(db=db, policy=policy, clock=clock, bootstrap_token=api_token)
    return Services(
        slack_events=SlackEventService(db=db, clock=clock),
        intake=IntakeService(
            db=db, policy=policy, clock=clock, slack=slack, metrics=metrics, sync=sync
        ),
        incidents=IncidentQueries(db=db),
        lifecycle=LifecycleService(
            db=db,
            policy=policy,
            clock=clock,
            slack=slack,
            sync=sync,
            metrics=metrics,
            access=access,
        ),
        client_updates=ClientUpdateService(db=db, policy=policy, clock=clock),
        client_portal=ClientPortalService(db=db, policy=policy),
        checklists=ChecklistService(db=db, policy=policy, clock=clock, slack=slack, sync=sync),
        runs=runs or RunsService(policy=policy, clock=clock),
        hitl=HitlService(db=db, policy=policy, clock=clock, source=hitl, access=access),
        access=access,
        audit=AuditService(db=db, clock=clock),
        metrics=metrics,
    )
