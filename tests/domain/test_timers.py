"""Timer planning as tables, with the clock passed in."""

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.lifecycle import Status
from bot.domain.timers import Clockwork, TimerKind, TimerPlan, next_after_fire, plan_timers

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
M = timedelta(minutes=1)
S1 = Clockwork(
    ack_within=5 * M,
    update_every=30 * M,
    escalate_every=5 * M,
    escalate_max=3,
    rca_due=timedelta(days=2),
    stale_after=8 * 60 * M,
)


def kinds(plans: list[TimerPlan]) -> dict[TimerKind, datetime]:
    return {p.kind: p.due_at for p in plans}


def test_open_incident_has_ack_update_stale() -> None:
    plans = plan_timers(
        status=Status.OPEN, opened_at=T0, last_update_at=None, resolved_at=None, clockwork=S1
    )
    assert kinds(plans) == {
        TimerKind.ACK: T0 + 5 * M,
        TimerKind.UPDATE: T0 + 30 * M,
        TimerKind.STALE: T0 + 480 * M,
    }


def test_ack_cancels_the_ack_timer_and_updates_move_the_cadence() -> None:
    plans = plan_timers(
        status=Status.ACKNOWLEDGED,
        opened_at=T0,
        last_update_at=T0 + 20 * M,
        resolved_at=None,
        clockwork=S1,
    )
    assert kinds(plans) == {TimerKind.UPDATE: T0 + 50 * M, TimerKind.STALE: T0 + 500 * M}


def test_resolve_arms_the_rca_reminders_only() -> None:
    plans = plan_timers(
        status=Status.RESOLVED, opened_at=T0, last_update_at=None, resolved_at=T0, clockwork=S1
    )
    due = T0 + timedelta(days=2)
    assert kinds(plans) == {TimerKind.RCA_SOON: due - timedelta(hours=12), TimerKind.RCA: due}


def test_a_complete_rca_arms_nothing() -> None:
    plans = plan_timers(
        status=Status.RESOLVED,
        opened_at=T0,
        last_update_at=None,
        resolved_at=T0,
        clockwork=S1,
        rca_complete=True,
    )
    assert plans == []


def test_the_client_notice_deadline_is_armed_until_done() -> None:
    due = T0 + 15 * M
    live = plan_timers(
        status=Status.OPEN,
        opened_at=T0,
        last_update_at=None,
        resolved_at=None,
        clockwork=S1,
        notice_due_at=due,
    )
    assert kinds(live)[TimerKind.NOTICE] == due
    resolved = plan_timers(
        status=Status.RESOLVED,
        opened_at=T0,
        last_update_at=None,
        resolved_at=T0,
        clockwork=S1,
        notice_due_at=due,
        rca_complete=True,
    )
    assert kinds(resolved) == {TimerKind.NOTICE: due}


def test_close_stops_everything() -> None:
    plans = plan_timers(
        status=Status.CLOSED, opened_at=T0, last_update_at=None, resolved_at=T0, clockwork=S1
    )
    assert plans == []


def test_no_escalation_policy_means_no_ack_timer() -> None:
    quiet = Clockwork(M, M, M, 0, M, M)
    plans = plan_timers(
        status=Status.OPEN, opened_at=T0, last_update_at=None, resolved_at=None, clockwork=quiet
    )
    assert TimerKind.ACK not in kinds(plans)


@pytest.mark.parametrize(
    ("fired", "expected"),
    [
        (TimerPlan(TimerKind.ACK, T0, 1), TimerPlan(TimerKind.ACK, T0 + 5 * M, 2)),
        (TimerPlan(TimerKind.ACK, T0, 2), TimerPlan(TimerKind.ACK, T0 + 5 * M, 3)),
        (TimerPlan(TimerKind.ACK, T0, 3), None),
        (TimerPlan(TimerKind.UPDATE, T0, 1), TimerPlan(TimerKind.UPDATE, T0 + 30 * M, 2)),
        (TimerPlan(TimerKind.STALE, T0, 1), TimerPlan(TimerKind.STALE, T0 + 480 * M, 2)),
        (TimerPlan(TimerKind.RCA, T0, 1), TimerPlan(TimerKind.RCA, T0 + timedelta(days=1), 2)),
        (TimerPlan(TimerKind.RCA_SOON, T0, 1), None),
        (TimerPlan(TimerKind.NOTICE, T0, 1), TimerPlan(TimerKind.NOTICE, T0 + 5 * M, 2)),
        (TimerPlan(TimerKind.NOTICE, T0, 3), None),
    ],
)
def test_what_follows_a_fire(fired: TimerPlan, expected: TimerPlan | None) -> None:
    assert next_after_fire(fired, S1, now=fired.due_at) == expected


def test_a_late_fire_is_followed_one_interval_after_now() -> None:
    late = T0 + 60 * M
    follow = next_after_fire(TimerPlan(TimerKind.ACK, T0, 1), S1, now=late)
    assert follow == TimerPlan(TimerKind.ACK, late + 5 * M, 2)
