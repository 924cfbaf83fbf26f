"""Durable timers against a real database with the clock passed in."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from bot.domain.checklists import CommsEvent
from bot.domain.lifecycle import Action
from bot.domain.severity import Severity
from bot.domain.timers import TimerKind
from bot.policy import Policy
from bot.services import checklists, lifecycle
from bot.services.lifecycle import Actor, Change
from bot.services.timer_fire import fire_due
from storage import Database
from storage.tables import IncidentRow, OutboxRow, TimerRow

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
ALICE = Actor("U0ALICE", "slash", role="admin")
# S1: ack 5m, escalate every 5m up to 3 times, update every 30m, RCA due in 2 days
POLICY = Policy.model_validate(
    {
        "roles": {"admin": ["U0ALICE"]},
        "clients": {
            "acme": {
                "name": "ACME",
                "shared_channel": "C0ACME",
                "services": ["checkout-api"],
                "notice_within": {"S1": "15m"},
            }
        },
    }
)
DAY = timedelta(days=1)


def _declare(db: Database, severity: Severity = Severity.S1, at: datetime = T0) -> int:
    view = lifecycle.declare(
        db=db,
        policy=POLICY,
        title="DB down",
        severity=severity,
        service="api",
        client=None,
        actor=ALICE,
        now=at,
        slack=True,
    )
    return view.id


def _act(db: Database, incident_id: int, change: Change, at: datetime) -> None:
    lifecycle.apply(
        db=db,
        policy=POLICY,
        incident_id=incident_id,
        change=change,
        actor=ALICE,
        now=at,
        slack=True,
    )


def _armed(db: Database, incident_id: int) -> set[tuple[str, datetime, int]]:
    with db.session() as session:
        rows = session.exec(
            select(TimerRow).where(TimerRow.incident_id == incident_id, TimerRow.status == "armed")
        ).all()
        return {(r.kind, r.due_at, r.attempt) for r in rows}


def _effects(db: Database, kind: str) -> int:
    with db.session() as session:
        return len(session.exec(select(OutboxRow).where(OutboxRow.kind == kind)).all())


def test_declare_arms_ack_update_stale(db: Database) -> None:
    incident = _declare(db)
    assert _armed(db, incident) == {
        ("ack", T0 + 5 * M, 1),
        ("update", T0 + 30 * M, 1),
        ("stale", T0 + 8 * 60 * M, 1),
    }


def test_escalation_fires_once_then_repeats_up_to_the_maximum(db: Database) -> None:
    incident = _declare(db)
    assert fire_due(db=db, policy=POLICY, now=T0 + 4 * M, slack=True) == []
    first = fire_due(db=db, policy=POLICY, now=T0 + 5 * M + timedelta(seconds=1), slack=True)
    assert [(f.kind, f.acted, f.lag) for f in first] == [
        (TimerKind.ACK, True, timedelta(seconds=1))
    ]
    assert fire_due(db=db, policy=POLICY, now=T0 + 5 * M + timedelta(seconds=2), slack=True) == []
    assert ("ack", T0 + 10 * M + timedelta(seconds=1), 2) in _armed(db, incident)
    fire_due(db=db, policy=POLICY, now=T0 + 11 * M, slack=True)
    fire_due(db=db, policy=POLICY, now=T0 + 17 * M, slack=True)
    fire_due(db=db, policy=POLICY, now=T0 + 29 * M, slack=True)
    assert _effects(db, "slack.escalation") == 3
    assert not any(kind == "ack" for kind, _, _ in _armed(db, incident))


def test_ack_cancels_escalation_and_resolve_arms_rca(db: Database) -> None:
    incident = _declare(db)
    _act(db, incident, Change(Action.ACK), T0 + 2 * M)
    assert {k for k, _, _ in _armed(db, incident)} == {"update", "stale"}
    assert fire_due(db=db, policy=POLICY, now=T0 + 6 * M, slack=True) == []
    _act(db, incident, Change(Action.RESOLVE, text="ok"), T0 + 20 * M)
    due = T0 + 20 * M + 2 * DAY
    assert _armed(db, incident) == {("rca_soon", due - 12 * 60 * M, 1), ("rca", due, 1)}
    _act(db, incident, Change(Action.CLOSE, text="drill", waive=True), T0 + 21 * M)
    assert _armed(db, incident) == set()


def test_severity_change_rearms_with_the_new_policy(db: Database) -> None:
    incident = _declare(db, Severity.S3)
    assert ("ack", T0 + 60 * M, 1) in _armed(db, incident)
    _act(db, incident, Change(Action.SEVERITY, severity=Severity.S1), T0 + M)
    assert ("ack", T0 + 5 * M, 1) in _armed(db, incident)
    assert ("update", T0 + 30 * M, 1) in _armed(db, incident)


def test_updates_move_the_reminder(db: Database) -> None:
    incident = _declare(db, Severity.S2)
    _act(db, incident, Change(Action.UPDATE, text="working"), T0 + 50 * M)
    assert ("update", T0 + 110 * M, 1) in _armed(db, incident)
    fired = fire_due(db=db, policy=POLICY, now=T0 + 111 * M, slack=True)
    assert (TimerKind.UPDATE, True) in [(f.kind, f.acted) for f in fired]
    assert _effects(db, "slack.reminder") == 1


def test_a_fire_whose_reason_is_gone_does_nothing(db: Database) -> None:
    incident = _declare(db)
    _act(db, incident, Change(Action.ACK), T0 + M)
    with db.session() as session:  # a late or duplicate ack timer, its reason gone
        session.add(TimerRow(incident_id=incident, kind="ack", attempt=1, due_at=T0, armed_at=T0))
    fired = fire_due(db=db, policy=POLICY, now=T0 + 6 * M, slack=True)
    assert [(f.kind, f.acted) for f in fired] == [(TimerKind.ACK, False)]
    assert _effects(db, "slack.escalation") == 0


def test_restart_catch_up_fires_once_after_start(db: Database) -> None:
    incident = _declare(db)
    down_until = T0 + 3 * 60 * M  # opsbot was down for three hours
    fired = fire_due(db=db, policy=POLICY, now=down_until, slack=True)
    assert sorted(f.kind.value for f in fired) == ["ack", "update"]
    assert fire_due(db=db, policy=POLICY, now=down_until + timedelta(seconds=1), slack=True) == []
    assert ("ack", down_until + 5 * M, 2) in _armed(db, incident)
    assert _effects(db, "slack.escalation") == 1


def test_concurrent_ticks_fire_each_timer_once(db: Database) -> None:
    for i in range(40):
        _declare(db, at=T0 + timedelta(seconds=i))
    now = T0 + 6 * M
    results: list[int] = []
    lock = threading.Lock()

    def tick() -> None:
        fired = fire_due(db=db, policy=POLICY, now=now, slack=True, limit=7)
        with lock:
            results.append(len(fired))

    for _ in range(3):
        threads = [threading.Thread(target=tick) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sum(results) == 40
    assert _effects(db, "slack.escalation") == 40


def test_rca_reminds_before_the_due_date_and_daily_while_overdue(db: Database) -> None:
    incident = _declare(db)
    _act(db, incident, Change(Action.RESOLVE, text="ok"), T0)
    soon = fire_due(db=db, policy=POLICY, now=T0 + 36 * 60 * M, slack=True)
    assert [(f.kind, f.acted) for f in soon] == [(TimerKind.RCA_SOON, True)]
    late = fire_due(db=db, policy=POLICY, now=T0 + 2 * DAY, slack=True)
    assert [(f.kind, f.acted) for f in late] == [(TimerKind.RCA, True)]
    assert ("rca", T0 + 3 * DAY, 2) in _armed(db, incident)
    assert _effects(db, "slack.reminder") == 2
    with db.session() as session:  # the RCA is completed (see tests/wiring/test_rca_checklists)
        row = session.get(IncidentRow, incident)
        assert row is not None
        row.rca_completed_at = T0 + 2 * DAY + M
        session.add(row)
    fired = fire_due(db=db, policy=POLICY, now=T0 + 3 * DAY, slack=True)
    assert [(f.kind, f.acted) for f in fired] == [(TimerKind.RCA, False)]
    assert _effects(db, "slack.reminder") == 2


def test_client_notice_deadline_reminds_until_the_client_is_told(db: Database) -> None:
    view = lifecycle.declare(
        db=db,
        policy=POLICY,
        title="Checkout down",
        severity=Severity.S1,
        service="checkout-api",
        client=None,
        actor=ALICE,
        now=T0,
        slack=True,
    )
    assert ("notice", T0 + 15 * M, 1) in _armed(db, view.id)
    fired = fire_due(db=db, policy=POLICY, now=T0 + 16 * M, slack=True)
    assert (TimerKind.NOTICE, True) in [(f.kind, f.acted) for f in fired]
    assert ("notice", T0 + 21 * M, 2) in _armed(db, view.id)
    with db.session() as session:
        row = session.get(IncidentRow, view.id)
        assert row is not None
        checklists.record(session, row, CommsEvent.CLIENT_POSTED, by="opsbot", now=T0 + 18 * M)
    fired = fire_due(db=db, policy=POLICY, now=T0 + 22 * M, slack=True)
    assert (TimerKind.NOTICE, False) in [(f.kind, f.acted) for f in fired]
    _act(db, view.id, Change(Action.UPDATE, text="still on it"), T0 + 23 * M)
    assert not any(kind == "notice" for kind, _, _ in _armed(db, view.id))
