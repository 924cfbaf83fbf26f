"""Events API receipts: remember each ``event_id`` once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.tables import SlackEventReceipt

__all__ = ["record_receipt"]


def record_receipt(session: Session, *, event_id: str, event_type: str, now: datetime) -> bool:
    """Insert the receipt; False when this ``event_id`` was already recorded (a retry)."""
    receipt = SlackEventReceipt(event_id=event_id, event_type=event_type[:64], received_at=now)
    savepoint = session.begin_nested()
    try:
        session.add(receipt)
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    return True
