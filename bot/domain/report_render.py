"""The incident review as text (Markdown headings and tables) and as JSON-ready data (pure).

Sentences are shared with the Slack rendering (``bot.adapters.slack.report_cards``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.domain.durations import format_duration
from bot.domain.report import Review, SeverityTimes, Times

__all__ = [
    "ACTIONS_NOTE",
    "COUNTING_NOTE",
    "MISSED_LABELS",
    "actions_line",
    "as_json",
    "counts_line",
    "missed_lines",
    "rca_line",
    "render_text",
    "short",
    "times_line",
    "window_label",
]

# timer kind → (what was missed, what one fire is called)
MISSED_LABELS: dict[str, tuple[str, str]] = {
    "ack": ("Acknowledgement", "escalation"),
    "update": ("Updates on cadence", "reminder"),
    "notice": ("Client notice", "reminder"),
    "rca": ("RCA by its due date", "reminder"),
}
COUNTING_NOTE = (
    "Incidents opened in the window, by their current severity; MTTA is opened to "
    "acknowledged, MTTR opened to resolved (p50 and p90 nearest-rank). A missed deadline is a "
    "timer that fired while its reason held: an escalation for an acknowledgement, a reminder "
    "for an update, a client notice or an RCA; an RCA finished after its due date, or still "
    "open past it, is missed too."
)
ACTIONS_NOTE = (
    "opsbot does not know when an action item's Jira issue is done, so it reports items with "
    "a Jira issue and items past their due date, not items closed: check Jira for those."
)


def short(value: timedelta | None) -> str:
    """``45s``, ``4m30s``, ``5m``, ``2h05m``, ``1h``, ``3d4h``; ``—`` for None."""
    if value is None:
        return "—"
    seconds = round(value.total_seconds())
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        minutes, secs = divmod(seconds, 60)
        return f"{minutes}m{secs:02d}s" if secs else f"{minutes}m"
    minutes = round(seconds / 60)
    if minutes < 24 * 60:
        return f"{minutes // 60}h{minutes % 60:02d}m" if minutes % 60 else f"{minutes // 60}h"
    hours = round(minutes / 60)
    return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def missed_lines(review: Review) -> list[str]:
    """One sentence per kind of deadline."""
    lines = []
    for m in review.missed:
        label, fire = MISSED_LABELS[m.kind]
        line = f"{label}: missed in {_plural(m.incidents, 'incident')}"
        line += f" ({_plural(m.fired, fire)})"
        if m.kind == "rca" and review.rca.pending_past_due:
            line += f"; {review.rca.pending_past_due} still open past due"
        lines.append(line)
    return lines


def rca_line(review: Review) -> str:
    """RCA completion in one sentence."""
    r = review.rca
    if not r.needed:
        return "No incident of the window has been resolved, so no RCA was due."
    rate = f" ({r.rate:.0%})" if r.rate is not None else ""
    return (
        f"Completed for {r.completed} of {_plural(r.needed, 'resolved incident')}{rate}; "
        f"{r.waived} waived; {r.pending} pending ({r.pending_past_due} past due)."
    )


def actions_line(review: Review) -> str:
    """Action items in one sentence."""
    a = review.actions
    if not a.total:
        return "No action items."
    return (
        f"{_plural(a.total, 'action item')} from {_plural(a.incidents, 'incident')}: "
        f"{a.with_jira} with a Jira issue, {a.past_due} past their due date."
    )


def times_line(t: SeverityTimes) -> str:
    """MTTA and MTTR of one severity."""
    target = f", target {short(t.ack_target)}" if t.ack_target else ""
    if not t.mtta.count and not t.mttr.count:
        return f"none acknowledged or resolved{target.replace(',', ';', 1)}"
    return (
        f"MTTA {short(t.mtta.mean)} mean, {short(t.mtta.p50)} p50, {short(t.mtta.p90)} p90 "
        f"({t.mtta.count} acked{target}) · MTTR {short(t.mttr.mean)} mean, "
        f"{short(t.mttr.p50)} p50, {short(t.mttr.p90)} p90 ({t.mttr.count} resolved)"
    )


def window_label(review: Review) -> str:
    """``2026-09-01 → 2026-11-30 (90d)``."""
    span = format_duration(review.until - review.since)
    return f"{review.since:%Y-%m-%d %H:%M} → {review.until:%Y-%m-%d %H:%M} UTC ({span})"


def counts_line(review: Review) -> str:
    """Totals by severity and status."""
    sev = " · ".join(f"{s} {n}" for s, n in review.by_severity.items())
    status = ", ".join(f"{n} {s}" for s, n in review.by_status.items())
    return f"{_plural(review.total, 'incident')} opened ({sev}); now {status}"


def render_text(review: Review) -> str:
    """The review as plain text with Markdown headings and tables."""
    sevs = list(review.by_severity)
    out = [f"# Incident review: {window_label(review)}", "", counts_line(review), ""]
    out += ["## By service", ""]
    if review.by_service:
        out += ["| service | total | " + " | ".join(sevs) + " |", "|---" * (len(sevs) + 2) + "|"]
        for name, row in review.by_service.items():
            cells = " | ".join(str(row[s]) for s in sevs)
            out.append(f"| {name} | {row['total']} | {cells} |")
    else:
        out.append("No incidents.")
    out += ["", "## MTTA and MTTR (by current severity)", ""]
    out += [
        "| severity | acked | MTTA mean | p50 | p90 | target | resolved | MTTR mean | p50 | p90 |"
    ]
    out += ["|---" * 10 + "|"]
    for t in review.times:
        a, r = t.mtta, t.mttr
        out.append(
            f"| {t.severity} | {a.count} | {short(a.mean)} | {short(a.p50)} | {short(a.p90)} "
            f"| {short(t.ack_target)} | {r.count} | {short(r.mean)} | {short(r.p50)} "
            f"| {short(r.p90)} |"
        )
    out += ["", "## Missed deadlines", ""] + [f"- {line}" for line in missed_lines(review)]
    out += ["", "## RCAs", "", rca_line(review), "", "## Action items", "", actions_line(review)]
    out += ["", ACTIONS_NOTE, "", "---", "", COUNTING_NOTE, ""]
    return "\n".join(out)


def _times_json(t: Times) -> dict[str, Any]:
    def secs(v: timedelta | None) -> float | None:
        return None if v is None else round(v.total_seconds(), 1)

    return {
        "count": t.count,
        "mean_seconds": secs(t.mean),
        "p50_seconds": secs(t.p50),
        "p90_seconds": secs(t.p90),
    }


def as_json(review: Review) -> dict[str, Any]:
    """The review as JSON-ready data (durations in seconds, times in ISO 8601)."""
    r, a = review.rca, review.actions
    return {
        "since": review.since.isoformat(),
        "until": review.until.isoformat(),
        "incidents": {
            "total": review.total,
            "by_severity": dict(review.by_severity),
            "by_status": dict(review.by_status),
            "by_service": {k: dict(v) for k, v in review.by_service.items()},
        },
        "response_times": {
            t.severity: {
                "mtta": _times_json(t.mtta),
                "mttr": _times_json(t.mttr),
                "ack_target_seconds": t.ack_target.total_seconds() if t.ack_target else None,
            }
            for t in review.times
        },
        "missed_deadlines": {
            m.kind: {"incidents": m.incidents, "fired": m.fired}
            | ({"open_past_due": r.pending_past_due} if m.kind == "rca" else {})
            for m in review.missed
        },
        "rca": {
            "needed": r.needed,
            "completed": r.completed,
            "waived": r.waived,
            "pending": r.pending,
            "pending_past_due": r.pending_past_due,
            "completion_rate": None if r.rate is None else round(r.rate, 4),
        },
        "action_items": {
            "total": a.total,
            "incidents": a.incidents,
            "with_jira_issue": a.with_jira,
            "past_due": a.past_due,
            "closed": None,
            "note": ACTIONS_NOTE,
        },
    }
