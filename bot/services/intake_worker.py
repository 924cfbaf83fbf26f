"""The loop that applies queued Alertmanager deliveries, woken by the webhook after each one.

It runs in the app's event loop and applies batches in a worker thread. Notifications this
process already parsed are handed over in memory (by delivery id), so a body is parsed once;
others (stored by another process, or before a restart) are parsed from the database. A
webhook caller that asked to wait (``?wait=true``) is told when its delivery was applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from anyio import to_thread
from sqlalchemy.exc import SQLAlchemyError

from bot.domain.alertmanager import AMNotification
from bot.services.intake_queue import Applied, Batch

__all__ = ["IntakeWorker"]

log = logging.getLogger("opsbot.intake")

_MAX_REMEMBERED_ALERTS = 50_000  # parsed notifications kept for the worker, in alerts
_BUSY_RETRY = 0.05  # seconds before looking again when another process had the turn
_RECENT = 1_000  # outcomes kept for callers that ask after the delivery was applied


@dataclass
class IntakeWorker:
    """Applies pending deliveries until cancelled."""

    apply: Callable[[Mapping[int, AMNotification]], Batch]  # blocking
    on_applied: Callable[[list[Applied]], None]
    poll_seconds: float = 1.0
    retry_cap: float = 30.0
    gather_s: float = 0.0  # after a wake, let this long's deliveries join the batch
    _event: asyncio.Event = field(default_factory=asyncio.Event)
    _loop: asyncio.AbstractEventLoop | None = None
    _notes: dict[int, AMNotification] = field(default_factory=dict)
    _remembered_alerts: int = 0
    _waiters: dict[int, asyncio.Future[Applied]] = field(default_factory=dict)
    _recent: dict[int, Applied] = field(default_factory=dict)  # for waiters that came late

    def remember(self, delivery_id: int, note: AMNotification) -> None:
        """Keep a parsed notification for the worker (call from the event loop)."""
        self._notes[delivery_id] = note
        self._remembered_alerts += len(note.alerts)
        while self._remembered_alerts > _MAX_REMEMBERED_ALERTS and self._notes:
            oldest = next(iter(self._notes))
            self._remembered_alerts -= len(self._notes.pop(oldest).alerts)

    def wake(self) -> None:
        """Ask for a batch now (callable from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    async def wait(self, delivery_id: int, within: float) -> Applied | None:
        """What became of ``delivery_id`` if this process applies it ``within`` seconds."""
        if delivery_id in self._recent:
            return self._recent[delivery_id]
        future = self._waiters.setdefault(delivery_id, asyncio.get_running_loop().create_future())
        try:
            return await asyncio.wait_for(asyncio.shield(future), within)
        except TimeoutError:
            return None
        finally:
            if self._waiters.get(delivery_id) is future and not future.done():
                del self._waiters[delivery_id]

    async def run(self) -> None:
        """Apply batches until cancelled; back off while the database is unreachable."""
        self._loop = asyncio.get_running_loop()
        failures = 0
        while True:
            self._event.clear()
            try:
                batch = await to_thread.run_sync(self.apply, dict(self._notes))
            except SQLAlchemyError as exc:
                failures += 1
                delay = min(self.retry_cap, self.poll_seconds * 2**failures)
                log.warning(
                    "intake queue: database unavailable; retrying",
                    extra={"retry_in_s": round(delay, 1), "error": type(exc).__name__},
                )
                await asyncio.sleep(delay)
                continue
            except Exception:  # a bug must not stop the loop; the next batch retries
                log.exception("intake batch failed")
                batch = Batch(applied=[])
            failures = 0
            self._settle(batch.applied)
            if batch.more:
                continue
            if batch.busy:  # another process is applying; look again soon after it
                await asyncio.sleep(_BUSY_RETRY)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), self.poll_seconds)
            if self.gather_s:
                await asyncio.sleep(self.gather_s)

    def _settle(self, applied: list[Applied]) -> None:
        if not applied:
            return
        for outcome in applied:
            note = self._notes.pop(outcome.delivery_id, None)
            if note is not None:
                self._remembered_alerts -= len(note.alerts)
            self._recent[outcome.delivery_id] = outcome
            if len(self._recent) > _RECENT:
                del self._recent[next(iter(self._recent))]
            waiter = self._waiters.pop(outcome.delivery_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(outcome)
        self.on_applied(applied)
