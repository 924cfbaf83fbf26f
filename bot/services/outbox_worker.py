"""The outbox worker: claims due effects, delivers them, retries with backoff, dead-letters.

Safe with several opsbot processes: rows are leased (PostgreSQL ``FOR UPDATE SKIP LOCKED``),
effects of one incident go in order, and a lease that expires (a crashed worker) is taken
over. Each lane (slack, jira, notion) delivers on its own: an effect is delivered by its own
task, and the worker claims again as soon as there is something new or a delivery ended, so a
slow Jira call never holds up the next Slack card. It wakes on ``wake()`` after a commit, and
when a delivery ends; else it polls."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from anyio import to_thread

from bot import telemetry
from bot.clock import Clock
from bot.domain.ports import PermanentError, TransientError
from bot.logs import scrub
from bot.metrics import Metrics
from bot.services.effect_kinds import DEAD_LETTER, URGENT
from storage.db import Database
from storage.repositories import outbox
from storage.repositories.outbox import Claimed

__all__ = ["Deliverer", "EffectRouter", "OutboxWorker", "backoff"]

log = logging.getLogger("opsbot.outbox")


class Deliverer(Protocol):
    """Something that performs effects of one lane."""

    async def deliver(self, effect: Claimed) -> None:
        """Perform the effect or raise ``TransientError``/``PermanentError``."""
        ...


@dataclass(frozen=True)
class EffectRouter:
    """Sends each effect to the deliverer of its lane (``slack``, ``jira``, ``notion``)."""

    lanes: dict[str, Deliverer]

    async def deliver(self, effect: Claimed) -> None:
        """Perform ``effect`` through its lane's deliverer."""
        lane = effect.kind.split(".", 1)[0]
        deliverer = self.lanes.get(lane)
        if deliverer is None:
            raise PermanentError(f"{lane} is not configured")
        await deliverer.deliver(effect)


def _lane(effect: Claimed) -> str:
    return effect.kind.split(".", 1)[0][:16]  # as ``outbox.enqueue`` files it


def backoff(
    attempt: int, *, retry_after: float | None, base: float = 1.0, cap: float = 300.0
) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential with jitter, never less than
    the server's ``Retry-After``."""
    delay = min(cap, base * float(2 ** max(attempt - 1, 0))) * random.uniform(0.5, 1.0)
    return max(delay, retry_after or 0.0)


@dataclass
class OutboxWorker:
    """Runs inside the app's event loop."""

    db: Database
    effects: Deliverer
    clock: Clock
    metrics: Metrics
    batch: int = 20
    lease: timedelta = timedelta(seconds=60)
    max_attempts: int = 12  # about 25 minutes of retries with the 300 s cap
    retry_base: float = 1.0
    retry_cap: float = 300.0
    poll_seconds: float = 1.0
    notify_lanes: frozenset[str] = frozenset()
    _event: asyncio.Event = field(default_factory=asyncio.Event)
    _loop: asyncio.AbstractEventLoop | None = None
    _inflight: dict[int, tuple[str, asyncio.Task[None]]] = field(default_factory=dict)

    def wake(self) -> None:
        """Ask for a tick now (callable from any thread)."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._event.set)

    async def run(self) -> None:
        """Tick until cancelled; then stop the deliveries in flight (their leases are released)."""
        self._loop = asyncio.get_running_loop()
        try:
            while True:
                self._event.clear()
                try:
                    started = await self.tick()
                except Exception:
                    log.exception("outbox tick failed")
                    started = 0
                if started == 0:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._event.wait(), self.poll_seconds)
        finally:
            await self._stop_deliveries()

    async def tick(self) -> int:
        """Claim up to ``batch`` due effects and start delivering each in its own task; returns
        how many were started (they go on after ``tick`` returns). A lane with ``batch`` effects
        in flight is left out of the claim until one of them ends."""
        full = {lane for lane, n in self._per_lane().items() if n >= self.batch}
        claimed = await to_thread.run_sync(self._claim, full, set(self._inflight))
        for effect in claimed:
            task = asyncio.create_task(self._deliver_and_wake(effect))
            self._inflight[effect.id] = (_lane(effect), task)
        return len(claimed)

    def _per_lane(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for lane, _ in self._inflight.values():
            counts[lane] = counts.get(lane, 0) + 1
        return counts

    def _claim(self, skip_lanes: set[str], skip_ids: set[int]) -> list[Claimed]:
        with self.db.session() as session:
            return outbox.claim_due(
                session,
                now=self.clock(),
                lease=self.lease,
                limit=self.batch,
                skip_lanes=skip_lanes,
                skip_ids=skip_ids,
            )

    async def _deliver_and_wake(self, effect: Claimed) -> None:
        try:
            await self._deliver(effect)
        except asyncio.CancelledError:
            raise
        except Exception:  # _deliver handles delivery errors; this is its bookkeeping failing
            log.exception("outbox delivery failed", extra={"effect": effect.kind, "id": effect.id})
        finally:
            self._inflight.pop(effect.id, None)
            self._event.set()  # the incident's next effect in this lane may be due now

    async def _stop_deliveries(self) -> None:
        tasks = [task for _, task in self._inflight.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._inflight.clear()

    async def _deliver(self, effect: Claimed) -> None:
        """Deliver inside a span that continues the trace of the work that queued it."""
        attributes: dict[str, str | int] = {
            "opsbot.outbox.lane": _lane(effect),
            "opsbot.outbox.attempt": effect.attempts,
            "opsbot.outbox.effect_id": effect.id,
        }
        with telemetry.span(
            effect.kind,
            parent=effect.trace_context,
            incident_id=effect.incident_id,
            attributes=attributes,
            kind="client",
        ):
            await self._attempt(effect)

    async def _attempt(self, effect: Claimed) -> None:
        try:
            await self.effects.deliver(effect)
        except asyncio.CancelledError:
            self._release(effect.id)  # shutting down: another process may take it at once
            raise
        except TransientError as exc:
            telemetry.record_error(exc)
            await self._retry(effect, str(exc), retry_after=exc.retry_after, final=False)
        except PermanentError as exc:
            telemetry.record_error(exc)
            await self._retry(effect, str(exc), retry_after=None, final=effect.attempts >= 3)
        except Exception as exc:
            telemetry.record_error(exc)
            log.exception("outbox effect failed", extra={"effect": effect.kind, "id": effect.id})
            await self._retry(effect, f"{type(exc).__name__}: {exc}", retry_after=None, final=False)
        else:
            await to_thread.run_sync(self._complete, effect.id)
            self.metrics.outbox_delivered.labels(effect.kind).inc()

    def _release(self, effect_id: int) -> None:
        with self.db.session() as session:
            outbox.release(session, effect_id)

    def _complete(self, effect_id: int) -> None:
        with self.db.session() as session:
            outbox.complete(session, effect_id, now=self.clock())

    async def _retry(
        self, effect: Claimed, error: str, *, retry_after: float | None, final: bool
    ) -> None:
        error = scrub(error)  # it is logged, stored, shown by /incident sync and posted to Slack
        dead = final or effect.attempts >= self.max_attempts
        delay = backoff(
            effect.attempts, retry_after=retry_after, base=self.retry_base, cap=self.retry_cap
        )
        at = self.clock() + timedelta(seconds=delay)
        self.metrics.outbox_failures.labels(effect.kind, str(dead).lower()).inc()
        level = logging.ERROR if dead else logging.WARNING
        log.log(
            level,
            "outbox effect dead-lettered" if dead else "outbox effect will be retried",
            extra={
                "effect": effect.kind,
                "id": effect.id,
                "attempt": effect.attempts,
                "error": error,
                "retry_in_s": round(delay, 2),
            },
        )

        def write() -> None:
            with self.db.session() as session:
                outbox.reschedule(session, effect.id, at=at, error=error, dead=dead)
                if dead and not effect.kind.startswith("slack.") and "slack" in self.notify_lanes:
                    outbox.enqueue(
                        session,
                        kind=DEAD_LETTER,
                        incident_id=effect.incident_id,
                        payload={"kind": effect.kind, "error": error, "attempts": effect.attempts},
                        now=self.clock(),
                        priority=URGENT,
                    )

        await to_thread.run_sync(write)
