"""The incident review against a real database (SQLite and PostgreSQL): incidents made through
the lifecycle with the clock passed in, timers fired with ``fire_due``, an RCA completed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.lifecycle import Action
from bot.domain.rca import SECTIONS
from bot.domain.report import Review
from bot.domain.report_render import as_json, render_text
from bot.domain.severity import Severity
from bot.policy import Policy
from bot.services import lifecycle, rca
from bot.services.lifecycle import Actor, Change
from bot.services.report import review
from bot.services.timer_fire import fire_due
from storage import Database

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S = timedelta(seconds=1)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
NOW = T0 + 20 * D
ALICE = Actor("U0ALICE", "slash", role="admin")  # closes, and waives an RCA
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
ANSWERS: dict[str, dict[str, str]] = {
    "timeline": {"reviewed": "Alice, Bob"},
    "impact": {"duration": "40m", "clients": "none", "users": "checkouts failed"},
    "root_cause": {"text": "Pool exhausted"},
    "contributing": {"text": "No alert on saturation"},
    "five_whys": {"why1": "Pool exhausted", "why2": "Deploy halved it", "why3": "Config typo"},
    "went": {"well": "Fast rollback", "badly": "Late notice"},
    "action_items": {},
}


def _declare(db: Database, severity: Severity, service: str, at: datetime) -> int:
    view = lifecycle.declare(
        db=db,
        policy=POLICY,
        title=f"{service} trouble",
        severity=severity,
        service=service,
        client=None,
        actor=ALICE,
        now=at,
        slack=False,
    )
    return view.id


def _act(db: Database, incident: int, change: Change, at: datetime) -> None:
    lifecycle.apply(
        db=db,
        policy=POLICY,
        incident_id=incident,
        change=change,
        actor=ALICE,
        now=at,
        slack=False,
    )


def _fire(db: Database, at: datetime) -> None:
    fire_due(db=db, policy=POLICY, now=at, slack=False)


def _complete_rca(db: Database, incident: int, at: datetime) -> None:
    common = {"db": db, "policy": POLICY, "incident_id": incident, "actor": ALICE, "slack": False}
    first = rca.add_action(text="Alert on saturation", owner="U0BOB", due=(T0 + 2 * D).date(),
                           now=at, **common)  # fmt: skip
    rca.add_action(
        text="Lint the config", owner="U0BOB", due=(T0 + 30 * D).date(), now=at, **common
    )
    for sec in SECTIONS:
        status = rca.save_section(key=sec.key, values=ANSWERS[sec.key], now=at, **common)
    assert status.complete
    rca.save_action_key(db=db, action_id=first.actions[0][0], key="OPS-7")


@pytest.fixture
def story(db: Database) -> dict[str, int]:
    """Four incidents in the window (and one before it), in the order things happened."""
    before = _declare(db, Severity.S1, "api", T0 - 80 * D)  # never acked: escalates below
    first = _declare(db, Severity.S1, "api", T0)
    _fire(db, T0 + 5 * M + S)  # escalation 1 of #first
    _fire(db, T0 + 11 * M)  # escalation 2
    _act(db, first, Change(Action.ACK), T0 + 12 * M)
    _fire(db, T0 + 31 * M)  # the 30m update reminder
    _act(db, first, Change(Action.RESOLVE, text="rolled back"), T0 + 40 * M)
    second = _declare(db, Severity.S2, "db", T0 + H)
    _act(db, second, Change(Action.ACK), T0 + H + 5 * M)
    _act(db, second, Change(Action.RESOLVE, text="failover"), T0 + 2 * H)
    third = _declare(db, Severity.S1, "checkout-api", T0 + 2 * H)  # ACME's: notice in 15m
    _act(db, third, Change(Action.ACK), T0 + 2 * H + 3 * M)
    _fire(db, T0 + 2 * H + 16 * M)  # the client was not notified
    _act(db, third, Change(Action.RESOLVE, text="ok"), T0 + 2 * H + 20 * M)
    _act(db, third, Change(Action.CLOSE, text="drill", waive=True), T0 + 2 * H + 21 * M)
    _complete_rca(db, first, T0 + D)  # due 2 days after the resolve: on time
    _act(db, first, Change(Action.CLOSE), T0 + D + M)
    _fire(db, T0 + 6 * D)  # #second's RCA: the reminder before, then overdue
    fourth = _declare(db, Severity.S3, "api", T0 + 19 * D)
    return {"before": before, "first": first, "second": second, "third": third, "fourth": fourth}


def _review(db: Database, since: datetime = NOW - 90 * D) -> Review:
    return review(db=db, policy=POLICY, since=since, now=NOW)


def test_counts_and_response_times(db: Database, story: dict[str, int]) -> None:
    found = _review(db)
    assert found.total == 4  # not the one opened 80 days before T0
    assert found.by_severity == {"S1": 2, "S2": 1, "S3": 1}
    assert found.by_status == {"open": 1, "acknowledged": 0, "resolved": 1, "closed": 2}
    assert found.by_service == {
        "api": {"total": 2, "S1": 1, "S2": 0, "S3": 1},
        "checkout-api": {"total": 1, "S1": 1, "S2": 0, "S3": 0},
        "db": {"total": 1, "S1": 0, "S2": 1, "S3": 0},
    }
    s1, s2, s3, total = found.times
    assert (s1.mtta.count, s1.mtta.mean, s1.mtta.p50, s1.mtta.p90) == (
        2,
        7 * M + 30 * S,
        3 * M,
        12 * M,
    )
    assert (s1.mttr.mean, s1.mttr.p50, s1.mttr.p90) == (30 * M, 20 * M, 40 * M)
    assert s1.ack_target == 5 * M
    assert (s2.mtta.mean, s2.mttr.mean) == (5 * M, H)
    assert (s3.mtta.count, s3.mttr.count) == (0, 0)
    assert (total.mtta.count, total.mttr.count) == (3, 3)


def test_missed_deadlines_rca_and_action_items(db: Database, story: dict[str, int]) -> None:
    found = _review(db)
    missed = {m.kind: (m.incidents, m.fired) for m in found.missed}
    assert missed == {"ack": (1, 2), "update": (1, 1), "notice": (1, 1), "rca": (1, 1)}
    rca_figures = found.rca
    assert (rca_figures.needed, rca_figures.completed, rca_figures.waived) == (3, 1, 1)
    assert (rca_figures.pending, rca_figures.pending_past_due) == (1, 1)
    actions = found.actions
    assert (actions.total, actions.incidents, actions.with_jira, actions.past_due) == (2, 1, 1, 1)
    data = as_json(found)
    assert data["rca"]["completion_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert data["missed_deadlines"]["rca"]["open_past_due"] == 1
    text = render_text(found)
    assert "Acknowledgement: missed in 1 incident (2 escalations)" in text
    assert "2 action items from 1 incident: 1 with a Jira issue, 1 past their due date." in text


def test_the_window_selects_by_opening_time(db: Database, story: dict[str, int]) -> None:
    later = _review(db, since=T0 + 2 * H)
    assert later.total == 2  # the ACME incident and the S3 one
    assert {m.kind: m.incidents for m in later.missed} == {
        "ack": 0,
        "update": 0,
        "notice": 1,
        "rca": 0,
    }
    assert later.actions.total == 0
    everything = _review(db, since=T0 - 100 * D)
    assert everything.total == 5
    assert {m.kind: m.fired for m in everything.missed}["ack"] > 2  # the old one escalated too
