"""The checklist and RCA use cases handlers may call, bound to their dependencies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.adapters.slack.cards import Rendered
from bot.clock import Clock
from bot.domain.checklists import ItemState
from bot.domain.incident import IncidentView
from bot.domain.rca import RcaStatus
from bot.policy import Policy
from bot.services import checklists, rca
from bot.services.checklist_effects import render_checklist
from bot.services.lifecycle import Actor
from bot.services.sync import NO_SYNC, SyncTargets
from storage.db import Database

__all__ = ["ChecklistService"]


@dataclass
class ChecklistService:
    """Comms checklist, playbook steps and RCA (blocking: call from a worker thread)."""

    db: Database
    policy: Policy
    clock: Clock
    slack: bool
    sync: SyncTargets = NO_SYNC
    waker: Callable[[], None] = field(default=lambda: None)

    def message(self, view: IncidentView) -> Rendered:
        """The incident's checklist message (comms and playbook) as it stands."""
        return render_checklist(self.db, self.policy, view, now=self.clock())

    def tick(self, incident_id: int, checklist: str, key: str, done: bool, user: str) -> ItemState:
        """Tick or untick an item (``LookupError``, ``Refused``)."""
        item = checklists.tick_item(
            self.db,
            incident_id,
            checklist=checklist,
            key=key,
            done=done,
            by=user,
            now=self.clock(),
        )
        self.waker()
        return item

    def rca(self, incident_id: int) -> RcaStatus | None:
        """Where the incident's RCA stands."""
        return rca.load(db=self.db, incident_id=incident_id)

    def save_section(
        self, incident_id: int, key: str, values: dict[str, str], actor: Actor
    ) -> RcaStatus:
        """Store one RCA section (``Refused`` says what is missing)."""
        status = rca.save_section(
            db=self.db,
            policy=self.policy,
            incident_id=incident_id,
            key=key,
            values=values,
            actor=actor,
            now=self.clock(),
            slack=self.slack,
            sync=self.sync,
        )
        self.waker()
        return status

    def add_action(
        self, incident_id: int, *, text: str, owner: str, due: date, actor: Actor
    ) -> RcaStatus:
        """Add an RCA action item."""
        status = rca.add_action(
            db=self.db,
            policy=self.policy,
            incident_id=incident_id,
            text=text,
            owner=owner,
            due=due,
            actor=actor,
            now=self.clock(),
            slack=self.slack,
            sync=self.sync,
        )
        self.waker()
        return status

    def markdown(self, incident_id: int) -> str | None:
        """The RCA as Markdown (None: no incident or not started)."""
        return rca.markdown(db=self.db, incident_id=incident_id)

    def today(self) -> date:
        """Today's date by the service clock (the action item form starts there)."""
        return self.clock().date()
