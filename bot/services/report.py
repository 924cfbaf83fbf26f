"""The incident review use case: read the window's incident facts, compute the review."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.domain.report import Review, compute_review
from bot.policy import Policy
from storage.db import Database
from storage.repositories import report as report_repo

__all__ = ["review"]


def review(*, db: Database, policy: Policy, since: datetime, now: datetime) -> Review:
    """The review of the incidents opened between ``since`` and ``now`` (the policy's
    acknowledgement times are shown as the MTTA targets)."""
    with db.session() as session:
        facts = report_repo.incident_facts(session, since=since, until=now)
    targets: dict[str, timedelta] = {
        name: row.ack_within for name, row in policy.severities.items()
    }
    return compute_review(facts, since=since, now=now, ack_targets=targets)
