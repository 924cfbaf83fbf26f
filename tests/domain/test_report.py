"""The incident review computed from plain facts, and how it reads as text, JSON and Slack."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.adapters.slack.report_cards import MAX_SERVICES, report_message
from bot.domain.report import (
    DEFAULT_WINDOW,
    ActionFacts,
    IncidentFacts,
    Review,
    compute_review,
    parse_window,
)
from bot.domain.report_render import ACTIONS_NOTE, as_json, render_text, short
from bot.errors import UsageError

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=90)
M = timedelta(minutes=1)
H = timedelta(hours=1)
D = timedelta(days=1)
TARGETS = {"S1": 5 * M, "S2": 15 * M, "S3": H}


def _incident(
    ident: int,
    severity: str = "S1",
    service: str = "api",
    *,
    status: str = "open",
    opened_at: datetime = NOW - 30 * D,
    **kw: Any,
) -> IncidentFacts:
    return IncidentFacts(
        id=ident, severity=severity, service=service, status=status, opened_at=opened_at, **kw
    )


def _resolved(ident: int, ack: timedelta, fix: timedelta, **kw: Any) -> IncidentFacts:
    opened = NOW - 30 * D
    kw.setdefault("status", "resolved")
    kw.setdefault("rca_due_at", opened + fix + 2 * D)
    return _incident(
        ident, opened_at=opened, acknowledged_at=opened + ack, resolved_at=opened + fix, **kw
    )


def _review(*incidents: IncidentFacts) -> Review:
    return compute_review(list(incidents), since=SINCE, now=NOW, ack_targets=TARGETS)


def test_counts_by_severity_status_and_service() -> None:
    review = _review(
        _incident(1, "S1", "api"),
        _incident(2, "S2", "api", status="acknowledged"),
        _incident(3, "S2", "db", status="closed"),
        _incident(4, "S3", "n8n"),
        _incident(5, "S3", "api"),
    )
    assert review.total == 5
    assert review.by_severity == {"S1": 1, "S2": 2, "S3": 2}
    assert review.by_status == {"open": 3, "acknowledged": 1, "resolved": 0, "closed": 1}
    assert list(review.by_service) == ["api", "db", "n8n"]  # busiest first, then by name
    assert review.by_service["api"] == {"total": 3, "S1": 1, "S2": 1, "S3": 1}


def test_mtta_and_mttr_mean_and_nearest_rank_percentiles_by_severity() -> None:
    review = _review(
        _resolved(1, 2 * M, 30 * M),
        _resolved(2, 4 * M, 60 * M),
        _resolved(3, 12 * M, 3 * H),
        _resolved(4, 20 * M, 5 * H, severity="S2"),
        _incident(5, acknowledged_at=NOW - 30 * D + 6 * M, opened_at=NOW - 30 * D),
        _incident(6),  # neither acked nor resolved: in no sample
    )
    s1, s2, s3, total = review.times
    assert (s1.severity, s1.mtta.count, s1.mttr.count) == ("S1", 4, 3)
    assert s1.mtta.mean == 6 * M  # (2 + 4 + 12 + 6) / 4
    assert (s1.mtta.p50, s1.mtta.p90) == (4 * M, 12 * M)
    assert s1.mttr.mean == (30 * M + 60 * M + 3 * H) / 3
    assert (s1.mttr.p50, s1.mttr.p90) == (60 * M, 3 * H)
    assert s1.ack_target == 5 * M
    assert (s2.mtta.count, s2.mtta.p50, s2.mttr.p90) == (1, 20 * M, 5 * H)
    assert (s3.mtta.count, s3.mtta.mean, s3.mtta.p50) == (0, None, None)
    assert (total.severity, total.mtta.count, total.mttr.count) == ("all", 5, 4)
    assert total.ack_target is None


def test_missed_deadlines_count_incidents_and_fires() -> None:
    review = _review(
        _incident(1, fired={"ack": 3, "update": 2, "stale": 1}),
        _incident(2, fired={"ack": 1, "notice": 2}),
        _incident(3, status="acknowledged", fired={"update": 1}),
        _incident(4),
    )
    missed = {m.kind: (m.incidents, m.fired) for m in review.missed}
    assert missed == {"ack": (2, 4), "update": (2, 3), "notice": (1, 2), "rca": (0, 0)}


def test_rca_completion_waivers_and_overdue() -> None:
    opened = NOW - 30 * D
    due = opened + 3 * D
    review = _review(
        # on time
        _resolved(1, M, H, status="closed", rca_due_at=due, rca_completed_at=due - D),
        # completed late: overdue although complete
        _resolved(2, M, H, status="closed", rca_due_at=due, rca_completed_at=due + D),
        # waived by an admin
        _resolved(3, M, H, status="closed", rca_due_at=due, rca_waived=True),
        # still open past due, with the overdue reminder fired twice
        _resolved(4, M, H, rca_due_at=due, fired={"rca": 2}),
        # still open, not yet due
        _resolved(5, M, H, rca_due_at=NOW + D),
        # not resolved: no RCA needed
        _incident(6, status="acknowledged"),
    )
    rca = review.rca
    assert (rca.needed, rca.completed, rca.waived, rca.pending) == (5, 2, 1, 2)
    assert rca.pending_past_due == 1
    assert rca.rate == pytest.approx(0.4)
    missed = {m.kind: (m.incidents, m.fired) for m in review.missed}
    assert missed["rca"] == (2, 2)  # #2 (late) and #4 (open past due)


def test_action_items_with_jira_and_past_due_but_never_closed() -> None:
    today = NOW.date()
    review = _review(
        _incident(1, actions=(ActionFacts(today - timedelta(days=1), "OPS-1"),)),
        _incident(
            2,
            actions=(ActionFacts(today, None), ActionFacts(today + timedelta(days=7), "OPS-2")),
        ),
        _incident(3),
    )
    actions = review.actions
    assert (actions.total, actions.incidents, actions.with_jira, actions.past_due) == (3, 2, 2, 1)
    data = as_json(review)["action_items"]
    assert data["closed"] is None and "does not know" in data["note"]
    assert "not items closed" in render_text(review)


def test_an_empty_window() -> None:
    review = _review()
    assert review.total == 0 and review.rca.rate is None
    text = render_text(review)
    assert "0 incidents opened" in text and "No incidents." in text
    assert "no RCA was due" in text and "No action items." in text
    json.dumps(as_json(review))


def test_text_report_reads_like_a_review() -> None:
    review = _review(
        _resolved(1, 2 * M, 90 * M, status="closed", rca_completed_at=NOW - 20 * D),
        _incident(2, "S3", "billing", fired={"ack": 1}),
    )
    text = render_text(review)
    assert text.startswith("# Incident review: 2026-09-01 12:00 → 2026-11-30 12:00 UTC (90d)")
    assert "2 incidents opened (S1 1 · S2 0 · S3 1); now 1 open" in text
    assert "| api | 1 | 1 | 0 | 0 |" in text
    assert "| S1 | 1 | 2m | 2m | 2m | 5m | 1 | 1h30m | 1h30m | 1h30m |" in text
    assert "- Acknowledgement: missed in 1 incident (1 escalation)" in text
    assert "Completed for 1 of 1 resolved incident (100%); 0 waived" in text
    assert ACTIONS_NOTE in text


def test_json_shape() -> None:
    review = _review(_resolved(1, 2 * M, 90 * M, fired={"ack": 1}), _incident(2, "S2"))
    data = json.loads(json.dumps(as_json(review)))
    assert data["since"] == "2026-09-01T12:00:00+00:00"
    assert data["incidents"]["by_severity"] == {"S1": 1, "S2": 1, "S3": 0}
    assert data["incidents"]["by_service"] == {"api": {"total": 2, "S1": 1, "S2": 1, "S3": 0}}
    s1 = data["response_times"]["S1"]
    assert s1["mtta"] == {
        "count": 1,
        "mean_seconds": 120.0,
        "p50_seconds": 120.0,
        "p90_seconds": 120.0,
    }
    assert s1["ack_target_seconds"] == 300.0
    assert data["response_times"]["S2"]["mttr"]["mean_seconds"] is None
    assert data["missed_deadlines"]["ack"] == {"incidents": 1, "fired": 1}
    assert data["missed_deadlines"]["rca"] == {"incidents": 1, "fired": 0, "open_past_due": 1}
    assert data["rca"]["needed"] == 1 and data["rca"]["completion_rate"] == 0.0


def test_slack_message_fits_and_escapes() -> None:
    incidents = [_incident(n, service=f"svc-{n:02d}<x>") for n in range(MAX_SERVICES + 5)]
    text, blocks = report_message(_review(*incidents))
    assert text.startswith("Incident review:")
    joined = json.dumps(blocks)
    assert "svc-00&lt;x&gt;" in joined and "<x>" not in joined
    assert "and 5 more services: 5" in joined
    assert len(blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, "—"), (45 * timedelta(seconds=1), "45s"), (4 * M + timedelta(seconds=30), "4m30s"),
     (5 * M, "5m"), (H, "1h"), (2 * H + 5 * M, "2h05m"), (3 * D + 4 * H, "3d4h"), (2 * D, "2d")],
)  # fmt: skip
def test_short_durations(value: timedelta | None, expected: str) -> None:
    assert short(value) == expected


def test_parse_window() -> None:
    assert parse_window((), "u") == DEFAULT_WINDOW
    assert parse_window(("--since", "30d"), "u") == timedelta(days=30)
    assert parse_window(("--since=2w",), "u") == timedelta(days=14)
    for words, message in [
        (("--since",), "`/incident report [--since 90d]`"),
        (("30d",), "`/incident report [--since 90d]`"),
        (("--since", "soon"), "`--since soon`: give a duration"),
        (("--since", "0d"), "more than 0"),
        (("--since", "4000d"), "at most 3660d"),
    ]:
        with pytest.raises(UsageError, match=message.replace("[", r"\[").replace("]", r"\]")):
            parse_window(words, "u")


def test_slack_times_line_without_samples() -> None:
    _, blocks = report_message(_review(_incident(1, "S2")))
    shown = json.dumps(blocks)
    assert "*S3*: none acknowledged or resolved; target 1h" in shown
