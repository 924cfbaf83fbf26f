"""The incident review (pure): what happened to the incidents opened in a window, computed
from plain facts: counts by severity, service and status; MTTA and MTTR by severity; missed
deadlines; RCA completion; RCA action items. ``render_text`` and ``as_json`` present it
(``bot.domain.report_render``).

Definitions (also said in the rendered report):
- MTTA: opened → acknowledged; MTTR: opened → resolved (the latest resolve after a reopen).
  By the incident's current severity. Percentiles are nearest-rank.
- Missed deadlines come from the timers that fired while their reason still held (the
  ``timer.<kind>`` timeline entries): ``ack`` (an escalation), ``update``, ``notice``
  (client notice), ``rca``. An RCA is also overdue when completed after, or still open
  past, its due date.
- opsbot does not know when an action item's Jira issue is done, so action items are
  reported as "with a Jira issue" and "past due", never as "closed".
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.durations import parse_duration
from bot.errors import UsageError

__all__ = [
    "DEFAULT_WINDOW",
    "MISSED_KINDS",
    "ActionFacts",
    "ActionFigures",
    "IncidentFacts",
    "Missed",
    "RcaFigures",
    "Review",
    "SeverityTimes",
    "Times",
    "compute_review",
    "parse_window",
]

DEFAULT_WINDOW = timedelta(days=90)
MAX_WINDOW = timedelta(days=3660)
SEVERITIES = ("S1", "S2", "S3")
STATUSES = ("open", "acknowledged", "resolved", "closed")
MISSED_KINDS = ("ack", "update", "notice", "rca")  # timer kinds whose fire is a missed deadline


@dataclass(frozen=True)
class ActionFacts:
    """One RCA action item: its due date and Jira issue, if created."""

    due: date
    jira_key: str | None = None


@dataclass(frozen=True)
class IncidentFacts:
    """What the review needs to know about one incident."""

    id: int
    severity: str
    service: str
    status: str
    opened_at: datetime
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    rca_due_at: datetime | None = None
    rca_completed_at: datetime | None = None
    rca_waived: bool = False
    fired: Mapping[str, int] = field(default_factory=dict)  # timer kind → fires that mattered
    actions: tuple[ActionFacts, ...] = ()


@dataclass(frozen=True)
class Times:
    """A sample of durations: how many, mean, p50, p90 (None when empty)."""

    count: int
    mean: timedelta | None = None
    p50: timedelta | None = None
    p90: timedelta | None = None


@dataclass(frozen=True)
class SeverityTimes:
    """MTTA and MTTR of one severity (``"all"`` for every incident)."""

    severity: str
    mtta: Times
    mttr: Times
    ack_target: timedelta | None = None


@dataclass(frozen=True)
class Missed:
    """One kind of deadline: how many incidents missed it, how many times the timer fired."""

    kind: str
    incidents: int
    fired: int


@dataclass(frozen=True)
class RcaFigures:
    """RCAs of the resolved and closed incidents."""

    needed: int
    completed: int
    waived: int
    pending: int
    pending_past_due: int

    @property
    def rate(self) -> float | None:
        """Completed over needed (None when none was needed)."""
        return self.completed / self.needed if self.needed else None


@dataclass(frozen=True)
class ActionFigures:
    """RCA action items of the window's incidents."""

    total: int
    incidents: int
    with_jira: int
    past_due: int


@dataclass(frozen=True)
class Review:
    """The review of the incidents opened in ``[since, until]``."""

    since: datetime
    until: datetime
    total: int
    by_severity: dict[str, int]
    by_status: dict[str, int]
    by_service: dict[str, dict[str, int]]  # service → severity → count (busiest first)
    times: tuple[SeverityTimes, ...]
    missed: tuple[Missed, ...]
    rca: RcaFigures
    actions: ActionFigures


def parse_window(words: Sequence[str], usage: str) -> timedelta:
    """``--since 90d`` (or ``--since=90d``, or nothing: 90 days); else ``UsageError``."""
    items = list(words)
    if len(items) == 1 and items[0].lower().startswith("--since="):
        items = ["--since", items[0].split("=", 1)[1]]
    if not items:
        return DEFAULT_WINDOW
    if len(items) != 2 or items[0].lower() != "--since":
        raise UsageError("`/incident report [--since 90d]`.", usage=usage)
    try:
        window = parse_duration(items[1])
    except ValueError as exc:
        raise UsageError(
            f"`--since {items[1]}`: give a duration such as 30d.", usage=usage
        ) from exc
    if window <= timedelta(0) or window > MAX_WINDOW:
        raise UsageError("`--since` must be more than 0 and at most 3660d.", usage=usage)
    return window


def _times(sample: Iterable[timedelta]) -> Times:
    values = sorted(sample)
    if not values:
        return Times(0)

    def rank(p: int) -> timedelta:  # nearest-rank percentile
        return values[max(math.ceil(p / 100 * len(values)) - 1, 0)]

    mean = timedelta(seconds=sum(v.total_seconds() for v in values) / len(values))
    return Times(len(values), mean, rank(50), rank(90))


def _response(
    severity: str, incidents: Sequence[IncidentFacts], target: timedelta | None
) -> SeverityTimes:
    return SeverityTimes(
        severity,
        mtta=_times(i.acknowledged_at - i.opened_at for i in incidents if i.acknowledged_at),
        mttr=_times(i.resolved_at - i.opened_at for i in incidents if i.resolved_at),
        ack_target=target,
    )


def _rca_overdue(i: IncidentFacts, now: datetime) -> bool:
    if i.fired.get("rca", 0) > 0:
        return True
    if i.rca_due_at is None:
        return False
    if i.rca_completed_at is not None:
        return i.rca_completed_at > i.rca_due_at
    return not i.rca_waived and i.status == "resolved" and now > i.rca_due_at


def _needs_rca(i: IncidentFacts) -> bool:
    return i.status in ("resolved", "closed")


def compute_review(
    incidents: Sequence[IncidentFacts],
    *,
    since: datetime,
    now: datetime,
    ack_targets: Mapping[str, timedelta] | None = None,
) -> Review:
    """The review of ``incidents`` (those opened in the window) as of ``now``."""
    targets = ack_targets or {}
    severities = [*SEVERITIES, *sorted({i.severity for i in incidents} - set(SEVERITIES))]
    services: dict[str, dict[str, int]] = {}
    for i in incidents:
        row = services.setdefault(i.service, {"total": 0} | dict.fromkeys(severities, 0))
        row["total"] += 1
        row[i.severity] += 1
    by_service = dict(sorted(services.items(), key=lambda kv: (-kv[1]["total"], kv[0])))
    times = [
        _response(s, [i for i in incidents if i.severity == s], targets.get(s)) for s in severities
    ]
    times.append(_response("all", incidents, None))
    missed = [
        Missed(kind, sum(1 for i in incidents if _missed(i, kind, now)), _fired(incidents, kind))
        for kind in MISSED_KINDS
    ]
    needed = [i for i in incidents if _needs_rca(i)]
    done = [i for i in needed if i.rca_completed_at is not None]
    waived = [i for i in needed if i.rca_completed_at is None and i.rca_waived]
    pending = [i for i in needed if i.rca_completed_at is None and not i.rca_waived]
    actions = [a for i in incidents for a in i.actions]
    return Review(
        since=since,
        until=now,
        total=len(incidents),
        by_severity={s: sum(1 for i in incidents if i.severity == s) for s in severities},
        by_status={s: sum(1 for i in incidents if i.status == s) for s in STATUSES},
        by_service=by_service,
        times=tuple(times),
        missed=tuple(missed),
        rca=RcaFigures(
            needed=len(needed),
            completed=len(done),
            waived=len(waived),
            pending=len(pending),
            pending_past_due=sum(
                1 for i in pending if i.rca_due_at is not None and now > i.rca_due_at
            ),
        ),
        actions=ActionFigures(
            total=len(actions),
            incidents=sum(1 for i in incidents if i.actions),
            with_jira=sum(1 for a in actions if a.jira_key),
            past_due=sum(1 for a in actions if a.due < now.date()),
        ),
    )


def _missed(i: IncidentFacts, kind: str, now: datetime) -> bool:
    return _rca_overdue(i, now) if kind == "rca" else i.fired.get(kind, 0) > 0


def _fired(incidents: Sequence[IncidentFacts], kind: str) -> int:
    return sum(i.fired.get(kind, 0) for i in incidents)
