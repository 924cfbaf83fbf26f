"""The services opsbot's handlers may call, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clock import Clock
from bot.metrics import Metrics
from bot.services import slack_events
from storage.db import Database

__all__ = ["Services", "SlackEventService"]


@dataclass(frozen=True)
class SlackEventService:
    """Events API bookkeeping."""

    db: Database
    clock: Clock

    def first_delivery(self, *, event_id: str, event_type: str) -> bool:
        """True the first time ``event_id`` arrives."""
        return slack_events.first_delivery(
            db=self.db, event_id=event_id, event_type=event_type, now=self.clock()
        )


@dataclass(frozen=True)
class Services:
    """Everything a handler can reach, injected into Bolt listener context by name."""

    slack_events: SlackEventService
    metrics: Metrics

    def as_context(self) -> dict[str, Any]:
        """The services by the names listeners ask for."""
        return {"slack_events": self.slack_events, "metrics": self.metrics}


def build_services(*, db: Database, clock: Clock, metrics: Metrics) -> Services:
    """Bind every service to its dependencies."""
    return Services(slack_events=SlackEventService(db=db, clock=clock), metrics=metrics)
