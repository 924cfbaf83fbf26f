"""De-duplicate Slack Events API deliveries (Slack retries with the same ``event_id``)."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database
from storage.repositories.slack_events import record_receipt

__all__ = ["first_delivery"]


def first_delivery(*, db: Database, event_id: str, event_type: str, now: datetime) -> bool:
    """True the first time ``event_id`` is seen, False for every retry of it."""
    with db.session() as session:
        return record_receipt(session, event_id=event_id, event_type=event_type, now=now)
