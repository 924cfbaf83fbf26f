"""Checklist items (comms, RCA, playbook) and RCA action items."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.domain.checklists import ItemSpec, ItemState
from bot.domain.rca import ActionItem
from storage.tables import ChecklistItemRow, RcaActionItemRow

__all__ = [
    "actions",
    "add_action",
    "content",
    "items",
    "items_by_checklist",
    "rows_by_checklist",
    "set_action_jira_key",
    "set_content",
    "sync",
    "tick",
]


def _rows(session: Session, incident_id: int, checklist: str | None) -> list[ChecklistItemRow]:
    query = select(ChecklistItemRow).where(ChecklistItemRow.incident_id == incident_id)
    if checklist is not None:
        query = query.where(ChecklistItemRow.checklist == checklist)
    query = query.order_by(col(ChecklistItemRow.checklist), col(ChecklistItemRow.position))
    return list(session.exec(query).all())


def _state(row: ChecklistItemRow) -> ItemState:
    return ItemState(
        checklist=row.checklist,
        key=row.key,
        label=row.label,
        position=row.position,
        section=row.section,
        due_at=row.due_at,
        done_at=row.done_at,
        done_by=row.done_by,
    )


def items(session: Session, incident_id: int, checklist: str) -> list[ItemState]:
    """One checklist's items, in order."""
    return [_state(row) for row in _rows(session, incident_id, checklist)]


def items_by_checklist(session: Session, incident_id: int) -> dict[str, list[ItemState]]:
    """Every checklist of the incident, by name."""
    found: dict[str, list[ItemState]] = {}
    for row in _rows(session, incident_id, None):
        found.setdefault(row.checklist, []).append(_state(row))
    return found


def rows_by_checklist(session: Session, incident_id: int) -> dict[str, list[ChecklistItemRow]]:
    """Every item row of the incident, by checklist (one query)."""
    found: dict[str, list[ChecklistItemRow]] = {}
    for row in _rows(session, incident_id, None):
        found.setdefault(row.checklist, []).append(row)
    return found


def sync(
    session: Session,
    *,
    incident_id: int,
    checklist: str,
    wanted: Sequence[ItemSpec],
    existing: Sequence[ChecklistItemRow] | None = None,
) -> bool:
    """Make the checklist hold ``wanted``: add missing items, update labels and deadlines of
    open ones, drop open items no longer wanted (done items are history and stay).
    ``existing`` saves the read when the caller has the rows. Returns whether anything
    changed (written at the next flush)."""
    rows = existing if existing is not None else _rows(session, incident_id, checklist)
    current = {row.key: row for row in rows}
    changed = False
    for position, spec in enumerate(wanted):
        row = current.pop(spec.key, None)
        if row is None:
            session.add(
                ChecklistItemRow(
                    incident_id=incident_id,
                    checklist=checklist,
                    key=spec.key,
                    label=spec.label,
                    position=position,
                    section=spec.section,
                    due_at=spec.due_at,
                )
            )
            changed = True
            continue
        if row.done_at is None and (row.label, row.due_at) != (spec.label, spec.due_at):
            row.label, row.due_at, row.position = spec.label, spec.due_at, position
            session.add(row)
            changed = True
    for row in current.values():
        if row.done_at is None:
            session.delete(row)
            changed = True
    return changed


def tick(
    session: Session,
    *,
    incident_id: int,
    checklist: str,
    key: str,
    done: bool,
    by: str,
    now: datetime,
) -> ItemState | None:
    """Tick (or untick) one item; None when it does not exist. Ticking a done item keeps
    who did it first."""
    row = session.exec(
        select(ChecklistItemRow)
        .where(ChecklistItemRow.incident_id == incident_id)
        .where(ChecklistItemRow.checklist == checklist)
        .where(ChecklistItemRow.key == key)
        .with_for_update()
    ).first()
    if row is None:
        return None
    if done and row.done_at is None:
        row.done_at, row.done_by = now, by
    elif not done:
        row.done_at, row.done_by = None, None
    session.add(row)
    session.flush()
    return _state(row)


def content(session: Session, incident_id: int, checklist: str) -> dict[str, dict[str, str]]:
    """The stored form content of each item (RCA sections), by key."""
    return {row.key: dict(row.content or {}) for row in _rows(session, incident_id, checklist)}


def set_content(
    session: Session, *, incident_id: int, checklist: str, key: str, values: dict[str, str]
) -> bool:
    """Store an item's form content; False when the item does not exist."""
    row = session.exec(
        select(ChecklistItemRow)
        .where(ChecklistItemRow.incident_id == incident_id)
        .where(ChecklistItemRow.checklist == checklist)
        .where(ChecklistItemRow.key == key)
    ).first()
    if row is None:
        return False
    row.content = dict(values)
    session.add(row)
    session.flush()
    return True


def add_action(
    session: Session,
    *,
    incident_id: int,
    text: str,
    owner: str,
    due: date,
    by: str,
    now: datetime,
) -> int:
    """Add an RCA action item; its id."""
    row = RcaActionItemRow(
        incident_id=incident_id, text=text, owner=owner, due=due, created_by=by, created_at=now
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def actions(session: Session, incident_id: int) -> list[tuple[int, ActionItem]]:
    """The incident's action items with their ids, oldest first."""
    query = (
        select(RcaActionItemRow)
        .where(RcaActionItemRow.incident_id == incident_id)
        .order_by(col(RcaActionItemRow.id))
    )
    return [
        (row.id or 0, ActionItem(row.text, row.owner, row.due, row.jira_key))
        for row in session.exec(query)
    ]


def set_action_jira_key(session: Session, action_id: int, key: str) -> None:
    """Record the Jira issue created for an action item."""
    row = session.get(RcaActionItemRow, action_id)
    if row is not None:
        row.jira_key = key
        session.add(row)
