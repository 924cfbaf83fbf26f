"""Block Kit for the incident review (``/incident report``): pure, within Slack's limits."""

from __future__ import annotations

from typing import Any

from bot.adapters.slack.cards import Rendered, escape, section
from bot.domain.report import Review
from bot.domain.report_render import (
    ACTIONS_NOTE,
    actions_line,
    counts_line,
    missed_lines,
    rca_line,
    times_line,
    window_label,
)

__all__ = ["MAX_SERVICES", "report_message"]

MAX_SERVICES = 15  # the busiest; the rest are summed up in one line

Block = dict[str, Any]


def _services(review: Review) -> str:
    rows = list(review.by_service.items())
    if not rows:
        return "*By service*\nNo incidents."
    lines = []
    for name, counts in rows[:MAX_SERVICES]:
        split = ", ".join(f"{s} {counts[s]}" for s in review.by_severity if counts.get(s))
        lines.append(f"• `{escape(name)}`: {counts['total']} ({split})")
    hidden = rows[MAX_SERVICES:]
    if hidden:
        more = sum(counts["total"] for _, counts in hidden)
        lines.append(f"• and {len(hidden)} more services: {more}")
    return "*By service*\n" + "\n".join(lines)


def report_message(review: Review) -> Rendered:
    """The review as an ephemeral message: fallback text and blocks."""
    title = f"Incident review: {window_label(review)}"
    times = "\n".join(f"• *{escape(t.severity)}*: {times_line(t)}" for t in review.times)
    missed = "\n".join(f"• {line}" for line in missed_lines(review))
    blocks: list[Block] = [
        section(f"*{escape(title)}*\n{escape(counts_line(review))}"),
        section(_services(review)),
        section(f"*MTTA and MTTR* (by current severity)\n{times}"),
        section(f"*Missed deadlines*\n{missed}"),
        section(f"*RCAs*\n{escape(rca_line(review))}"),
        section(f"*Action items*\n{escape(actions_line(review))}"),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(ACTIONS_NOTE)}]},
    ]
    return f"{title}: {counts_line(review)}", blocks
