"""SQLModel tables. Every schema change comes with an Alembic revision in ``migrations/``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

__all__ = ["SlackEventReceipt", "metadata"]

metadata = SQLModel.metadata


class SlackEventReceipt(SQLModel, table=True):
    """One row per Events API ``event_id`` seen, so Slack's retries are handled once."""

    __tablename__ = "slack_event_receipts"

    event_id: str = Field(primary_key=True, max_length=64)
    event_type: str = Field(max_length=64)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
