"""Aggregate reads for the incident review: the incidents opened in a window, the timers that
fired for them (by kind), their RCA due dates and their RCA action items."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.domain.checklists import RCA
from bot.domain.report import ActionFacts, IncidentFacts
from storage.repositories._time import aware, maybe_aware
from storage.tables import ChecklistItemRow, IncidentRow, RcaActionItemRow, TimelineRow

__all__ = ["incident_facts"]

_TIMER = "timer."  # timeline kinds written when a timer fires and its reason still holds


def _in_window(since: datetime, until: datetime) -> ColumnElement[bool]:
    return and_(col(IncidentRow.opened_at) >= since, col(IncidentRow.opened_at) <= until)


def _fired(session: Session, since: datetime, until: datetime) -> dict[int, dict[str, int]]:
    """incident id → timer kind → how many times it fired and mattered."""
    query = (
        select(TimelineRow.incident_id, TimelineRow.kind, func.count())
        .join(IncidentRow, col(IncidentRow.id) == col(TimelineRow.incident_id))
        .where(_in_window(since, until), col(TimelineRow.kind).startswith(_TIMER))
        .group_by(col(TimelineRow.incident_id), col(TimelineRow.kind))
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for incident_id, kind, count in session.exec(query):
        found[incident_id][kind.removeprefix(_TIMER)] = int(count)
    return found


def _rca_due(session: Session, since: datetime, until: datetime) -> dict[int, datetime]:
    """incident id → when its RCA is (was) due, for incidents whose RCA started."""
    query = (
        select(ChecklistItemRow.incident_id, func.min(col(ChecklistItemRow.due_at)))
        .join(IncidentRow, col(IncidentRow.id) == col(ChecklistItemRow.incident_id))
        .where(_in_window(since, until), col(ChecklistItemRow.checklist) == RCA)
        .group_by(col(ChecklistItemRow.incident_id))
    )
    return {incident_id: aware(due) for incident_id, due in session.exec(query) if due is not None}


def _actions(session: Session, since: datetime, until: datetime) -> dict[int, list[ActionFacts]]:
    query = (
        sa_select(
            col(RcaActionItemRow.incident_id),
            col(RcaActionItemRow.due),
            col(RcaActionItemRow.jira_key),
        )
        .join(IncidentRow, col(IncidentRow.id) == col(RcaActionItemRow.incident_id))
        .where(_in_window(since, until))
    )
    found: dict[int, list[ActionFacts]] = defaultdict(list)
    for incident_id, due, jira_key in session.connection().execute(query):
        found[incident_id].append(ActionFacts(due=due, jira_key=jira_key))
    return found


def incident_facts(session: Session, *, since: datetime, until: datetime) -> list[IncidentFacts]:
    """Every incident opened in ``[since, until]`` with what the review needs, oldest first."""
    query = (
        sa_select(
            col(IncidentRow.id),
            col(IncidentRow.severity),
            col(IncidentRow.service),
            col(IncidentRow.status),
            col(IncidentRow.opened_at),
            col(IncidentRow.acknowledged_at),
            col(IncidentRow.resolved_at),
            col(IncidentRow.rca_completed_at),
            col(IncidentRow.rca_waived_by),
        )
        .where(_in_window(since, until))
        .order_by(col(IncidentRow.opened_at), col(IncidentRow.id))
    )
    rows = session.connection().execute(query).all()
    fired, due, actions = (
        _fired(session, since, until),
        _rca_due(session, since, until),
        _actions(session, since, until),
    )
    return [
        IncidentFacts(
            id=ident,
            severity=severity,
            service=service,
            status=status,
            opened_at=aware(opened),
            acknowledged_at=maybe_aware(acked),
            resolved_at=maybe_aware(resolved),
            rca_due_at=due.get(ident),
            rca_completed_at=maybe_aware(completed),
            rca_waived=waived_by is not None,
            fired=fired.get(ident, {}),
            actions=tuple(actions.get(ident, ())),
        )
        for ident, severity, service, status, opened, acked, resolved, completed, waived_by in rows
        if ident is not None
    ]
