"""The alarm clock: APScheduler ticks about every second; the database holds the timers.

Each tick claims what is due (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several opsbot
processes share the work and each timer fires once), and wakes the outbox worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from anyio import to_thread
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock
from bot.metrics import Metrics
from bot.policy import Policy
from bot.services.timer_fire import Fired, fire_due
from storage.db import Database

__all__ = ["TimerRunner"]

log = logging.getLogger("opsbot.timers")


@dataclass
class TimerRunner:
    """Owns the scheduler; ``start`` inside the running event loop, ``stop`` on shutdown."""

    db: Database
    policy: Policy
    clock: Clock
    metrics: Metrics
    slack: bool
    on_fired: Callable[[], None] = field(default=lambda: None)
    interval_seconds: float = 1.0
    _scheduler: AsyncIOScheduler | None = None
    _inflight: asyncio.Future[list[Fired]] | None = None
    _stopped: bool = False

    def start(self) -> None:
        """Tick now (catch up on what fell due while stopped), then every interval."""
        scheduler = AsyncIOScheduler(timezone="UTC")
        scheduler.add_job(
            self.tick,
            "interval",
            seconds=self.interval_seconds,
            max_instances=1,
            coalesce=True,
            next_run_time=self.clock(),
            misfire_grace_time=None,
        )
        scheduler.start()
        self._scheduler = scheduler

    async def stop(self) -> None:
        """Stop ticking; waits for a tick in flight to finish its transaction."""
        self._stopped = True
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if self._inflight is not None:
            with contextlib.suppress(Exception):
                await self._inflight

    async def tick(self) -> list[Fired]:
        """Fire everything due now; never raises (a failed tick is retried next second)."""
        if self._stopped or (self._inflight is not None and not self._inflight.done()):
            return []
        # The thread's transaction finishes even if this tick is cancelled (stop waits for it).
        self._inflight = asyncio.ensure_future(
            to_thread.run_sync(
                lambda: fire_due(db=self.db, policy=self.policy, now=self.clock(), slack=self.slack)
            )
        )
        try:
            fired = await asyncio.shield(self._inflight)
        except asyncio.CancelledError:
            if self._stopped:  # ``stop`` shut the scheduler down under this tick, and waits for
                return []  # its transaction itself: not an error for the scheduler to log
            raise
        except Exception:
            log.exception("timer tick failed")
            return []
        for item in fired:
            self.metrics.timer_lag.labels(item.kind.value).observe(item.lag.total_seconds())
        if any(item.acted for item in fired):
            self.on_fired()
        return fired
