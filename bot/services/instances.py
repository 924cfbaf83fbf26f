"""The heartbeat of a running opsbot: its row in ``instances`` (host, pid, version), refreshed
every few seconds and deleted on a clean stop. A row not refreshed for ``STALE_BEATS``
intervals belongs to a process that died; each beat prunes those. ``opsbot restore`` asks
``running`` before it overwrites a database.

The heartbeat reads the wall clock (``utcnow``), not the app's clock: other processes compare
it with theirs, so the hosts' clocks must agree to within a few seconds (NTP)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from anyio import to_thread

from bot import __version__
from bot.clock import Clock, utcnow
from bot.metrics import Metrics
from storage.db import Database
from storage.repositories import instances
from storage.repositories.instances import InstanceInfo

__all__ = [
    "HEARTBEAT_SECONDS",
    "STALE_BEATS",
    "Heartbeat",
    "InstanceInfo",
    "describe",
    "running",
    "stale_after",
    "watch",
]

log = logging.getLogger("opsbot.instances")

HEARTBEAT_SECONDS = 10.0
STALE_BEATS = 3


def stale_after(every: float = HEARTBEAT_SECONDS) -> timedelta:
    """How long an instance may go unseen before it counts as gone."""
    return timedelta(seconds=every * STALE_BEATS)


@dataclass
class Heartbeat:
    """``start`` inside the running event loop (registers, then beats), ``stop`` on shutdown."""

    db: Database
    every: float = HEARTBEAT_SECONDS
    clock: Clock = utcnow
    me: InstanceInfo | None = None  # set by ``start``
    _task: asyncio.Task[None] | None = None
    _inflight: asyncio.Future[None] | None = None
    _failing: bool = False

    async def start(self) -> None:
        """Register now (a database that is down only costs a warning), then beat."""
        now = self.clock()
        host, version = socket.gethostname()[:255], __version__[:32]
        self.me = InstanceInfo(uuid.uuid4().hex, host, os.getpid(), version, now, now)
        await self._beat()
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop beating, let a beat in flight finish, then delete this instance's row."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._inflight is not None:
            with contextlib.suppress(Exception):
                await self._inflight
        try:
            await to_thread.run_sync(self._remove)
        except Exception as exc:  # the row goes stale: ignored after 3 beats, then pruned
            log.warning("instance not unregistered", extra={"error": str(exc)[:200]})

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            await self._beat()

    async def _beat(self) -> None:
        # The thread's transaction finishes even if the task is cancelled (stop waits for it).
        self._inflight = asyncio.ensure_future(to_thread.run_sync(self._beat_now))
        try:
            await asyncio.shield(self._inflight)
        except Exception as exc:  # the database is down: try again next beat
            if not self._failing:
                log.warning("heartbeat not recorded", extra={"error": str(exc)[:200]})
            self._failing = True
        else:
            if self._failing:
                log.info("heartbeat recorded again")
            self._failing = False

    def _beat_now(self) -> None:
        assert self.me is not None
        now = self.clock()
        with self.db.session() as session:
            instances.beat(session, replace(self.me, seen_at=now))
            instances.prune(session, before=now - stale_after(self.every))

    def _remove(self) -> None:
        if self.me is None:
            return
        with self.db.session() as session:
            instances.remove(session, self.me.id)


def running(db: Database, *, now: datetime, within: timedelta) -> list[InstanceInfo]:
    """The instances seen in the ``within`` before ``now``; none without an instances table."""
    with db.session() as session:
        return instances.seen_since(session, now - within)


def describe(found: list[InstanceInfo], now: datetime) -> str:
    """``host web-1, pid 42, version 0.1.0, last seen 2026-11-28T15:00:01Z (3 s ago)``; ..."""
    return "; ".join(
        f"host {i.host}, pid {i.pid}, version {i.version}, last seen "
        f"{i.seen_at.isoformat(timespec='seconds').replace('+00:00', 'Z')} "
        f"({max((now - i.seen_at).total_seconds(), 0):.0f} s ago)"
        for i in found
    )


def watch(metrics: Metrics, *, db: Database, every: float = HEARTBEAT_SECONDS) -> None:
    """Export ``opsbot_instances_running``: processes serving from this database right now."""
    metrics.watch(
        "instances",
        lambda: {"running": float(len(running(db, now=utcnow(), within=stale_after(every))))},
        "opsbot processes serving from this database (seen recently)",
    )
