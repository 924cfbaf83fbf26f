"""Apply queued deliveries in a child process, so incident work leaves the web process's GIL.

In one Python process the incident work (parsing, grouping, the incident, its timers and
effects) and the webhook's answer share one interpreter lock: every answer waits behind a
batch being applied. On PostgreSQL, ``opsbot serve`` hands the batches to one child process
instead (a ``ProcessPoolExecutor`` of one, started with ``spawn``), run at a lower CPU
priority (``nice``), so that answering Alertmanager and Slack comes first and the incident
work takes the time left over. The child has its own connection pool; the queue's
PostgreSQL turn (an advisory lock) keeps batches in order across processes as before.
SQLite keeps the work in the web process: its one writer would make the two wait for
each other.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any

from bot import telemetry
from bot.clock import utcnow
from bot.domain.alertmanager import AMNotification
from bot.logs import configure_logging
from bot.policy import Policy
from bot.process import tune_gc
from bot.services import intake_queue
from bot.services.intake_queue import Batch
from bot.services.sync import SyncTargets
from storage.db import Database

__all__ = ["ProcessApplier"]

log = logging.getLogger("opsbot.intake")

NICE = 10  # the child's CPU priority below the web process (0 = same)


@dataclass(frozen=True)
class _ChildConfig:
    database_url: str
    policy: Policy
    slack: bool
    sync: SyncTargets
    logging: dict[str, Any] | None
    tracing: telemetry.TracingConfig
    nice: int


# The child's own state, set once by its initializer (never in the web process).
_child: tuple[Database, _ChildConfig] | None = None


def _start_child(config: _ChildConfig) -> None:
    global _child
    if config.nice:
        os.nice(config.nice)
    if config.logging is not None:
        configure_logging(**config.logging)
    telemetry.configure_tracing(config.tracing)
    _child = (Database(config.database_url, pool_size=2, sessions=1), config)
    tune_gc()


def _apply_in_child(limit: int) -> Batch:
    assert _child is not None, "the intake child was not initialised"
    db, config = _child
    return intake_queue.apply_pending(
        db,
        policy=config.policy,
        clock=utcnow,
        slack=config.slack,
        sync=config.sync,
        limit=limit,
    )


def _ready() -> bool:
    return _child is not None


class ProcessApplier:
    """``apply(notes)`` for the intake worker, run in the child (``notes`` are not sent: the
    child reads the stored bodies, so parsing happens there too)."""

    def __init__(
        self,
        *,
        database_url: str,
        policy: Policy,
        slack: bool,
        sync: SyncTargets,
        logging_setup: dict[str, Any] | None,
        tracing: telemetry.TracingConfig,
        limit: int = 100,
        nice: int = NICE,
    ) -> None:
        config = _ChildConfig(database_url, policy, slack, sync, logging_setup, tracing, nice)
        self._limit = limit
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=get_context("spawn"),
            initializer=_start_child,
            initargs=(config,),
        )

    def start(self) -> None:
        """Start the child now and wait until it is ready (blocking)."""
        self._pool.submit(_ready).result()

    def __call__(self, notes: Mapping[int, AMNotification]) -> Batch | None:
        """Apply a batch in the child (blocking: call from a worker thread); ``None`` when
        the child died (the caller applies in its own process from then on)."""
        try:
            return self._pool.submit(_apply_in_child, self._limit).result()
        except BrokenProcessPool:
            log.error("the intake child process died; applying in the web process from now on")
            return None

    def close(self) -> None:
        """Stop the child after the batch it is applying, its spans sent (blocking)."""
        with contextlib.suppress(BrokenProcessPool, RuntimeError):
            self._pool.submit(telemetry.flush).result(timeout=10)
        self._pool.shutdown(wait=True, cancel_futures=True)
