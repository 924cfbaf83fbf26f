"""The Alertmanager intake as handlers and the app see it: accept, apply, wait, report."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.domain.alertmanager import AMNotification
from bot.metrics import Metrics
from bot.policy import Policy
from bot.services import intake_queue
from bot.services.intake import IntakeResult
from bot.services.intake_queue import Applied, Batch
from bot.services.intake_worker import IntakeWorker
from bot.services.sync import NO_SYNC, SyncTargets
from storage.db import Database
from storage.repositories import deliveries
from storage.repositories.deliveries import DeliveryStatus

__all__ = ["IntakeService", "intake_figures"]


@dataclass
class IntakeService:
    """Alertmanager intake, plus the nudge that wakes the outbox worker after a commit.
    Blocking methods are called from a worker thread; the others from the event loop."""

    db: Database
    policy: Policy
    clock: Clock
    slack: bool
    metrics: Metrics
    sync: SyncTargets = NO_SYNC
    waker: Callable[[], None] = field(default=lambda: None)
    worker: IntakeWorker = field(init=False)
    # Applies batches elsewhere (a child process); ``None`` result: it is gone, apply here.
    applier: Callable[[Mapping[int, AMNotification]], Batch | None] | None = None

    def __post_init__(self) -> None:
        self.worker = IntakeWorker(apply=self.apply_pending, on_applied=self._applied)

    def accept(self, note: AMNotification, body: str) -> int:
        """Store a delivery to apply soon; returns its id (blocking)."""
        return intake_queue.accept(self.db, note=note, body=body, now=self.clock())

    def submit(self, note: AMNotification, body: str) -> int:
        """Store a delivery and wake the worker, from any thread (the workflow objectives'
        alerts take the webhook's way); returns its id (blocking)."""
        delivery_id = self.accept(note, body)
        self.worker.wake()
        return delivery_id

    def queued(self, delivery_id: int, note: AMNotification) -> None:
        """Hand the parsed notification to the worker and wake it (event loop)."""
        if self.applier is None:
            self.worker.remember(delivery_id, note)
        self.worker.wake()

    async def wait(self, delivery_id: int, within: float) -> Applied | None:
        """The outcome of ``delivery_id`` if this process applies it ``within`` seconds."""
        return await self.worker.wait(delivery_id, within)

    def status(self, delivery_id: int) -> DeliveryStatus | None:
        """What became of a delivery (blocking)."""
        with self.db.session() as session:
            return deliveries.delivery_status(session, delivery_id)

    def apply_pending(self, notes: Mapping[int, AMNotification]) -> Batch:
        """Apply a batch of waiting deliveries (blocking)."""
        if self.applier is not None:
            batch = self.applier(notes)
            if batch is not None:
                return batch
            self.applier = None
        return intake_queue.apply_pending(
            self.db,
            policy=self.policy,
            clock=self.clock,
            slack=self.slack,
            sync=self.sync,
            notes=notes,
        )

    def _applied(self, applied: list[Applied]) -> None:
        for outcome in applied:
            if outcome.result is not None:
                self._count(outcome.result)
            else:
                self.metrics.intake_failed.inc()
        self.metrics.intake_applied.inc(len(applied))
        self.waker()

    def _count(self, result: IntakeResult) -> None:
        if result.opened:
            self.metrics.incidents_opened.inc()
        if result.held:
            self.metrics.storm_held.inc()


def intake_figures(*, db: Database, clock: Clock) -> dict[str, float]:
    """Deliveries waiting to be applied and the oldest one's age (seconds), for ``/metrics``."""
    with db.session() as session:
        count, age = deliveries.pending_figures(session, now=clock())
    return {"pending": count, "oldest_pending_age_seconds": age}
