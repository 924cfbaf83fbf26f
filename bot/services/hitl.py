"""Human-in-the-loop decisions in Slack: runs waiting for a human are posted to the HITL
channel once (an outbox effect, so nothing is lost); Approve or Reject resumes the run through
the source, records who decided, when and why, and edits the message. A second click, a
stale message or a user below the configured role is refused politely."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from anyio import to_thread
from sqlmodel import Session

from bot.clock import Clock
from bot.domain.access import allows, role_of
from bot.domain.audit import Entry
from bot.domain.lifecycle import Refused
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import HitlSource
from bot.policy import Policy
from bot.services import effect_kinds as fx
from bot.services.access import Access
from storage.db import Database
from storage.repositories import audit as audit_repo
from storage.repositories import hitl as repo
from storage.repositories import outbox
from storage.repositories.hitl import HitlRequest

__all__ = ["HitlService"]

log = logging.getLogger("opsbot.hitl")


@dataclass
class HitlService:
    """The waiting runs of one source (LangGraph), posted and decided from Slack."""

    db: Database
    policy: Policy
    clock: Clock
    source: HitlSource | None = None
    source_name: str = "langgraph"
    access: Access | None = None
    waker: Callable[[], None] = field(default=lambda: None)

    @property
    def enabled(self) -> bool:
        """A source and a channel are configured."""
        return self.source is not None and self.policy.hitl.channel is not None

    async def poll(self) -> int:
        """Record newly waiting runs and queue their Slack posts; returns how many are new."""
        if self.source is None:
            return 0
        waiting = await self.source.waiting()

        def record() -> int:
            new = 0
            now = self.clock()
            with self.db.session() as session:
                for detail in waiting:
                    request_id = repo.add_if_new(
                        session,
                        source=self.source_name,
                        thread_id=detail.thread_id or detail.run.run_id,
                        run_id=detail.run.run_id,
                        workflow=detail.run.workflow,
                        question=detail.question or "A decision is needed.",
                        now=now,
                    )
                    if request_id is not None:
                        new += 1
                        _queue(session, fx.HITL_REQUEST, request_id, now)
            return new

        new = await to_thread.run_sync(record)
        if new:
            self.waker()
        return new

    async def run(self) -> None:
        """Poll every ``hitl.poll_every`` until cancelled; a failing source is logged."""
        every = self.policy.hitl.poll_every.total_seconds()
        while True:
            try:
                await self.poll()
            except (TransientError, PermanentError) as exc:
                log.warning("hitl poll failed", extra={"error": str(exc)})
            await asyncio.sleep(every)

    def request(self, request_id: int) -> HitlRequest | None:
        """One request (blocking)."""
        with self.db.session() as session:
            return repo.get(session, request_id)

    async def decide(
        self, request_id: int, *, approve: bool, user: str, comment: str | None = None
    ) -> HitlRequest:
        """Resume the run with the decision; ``Refused`` says why not."""
        role = (
            self.access.role(user)
            if self.access
            else role_of(user, self.policy.roles.model_dump(), home=True)
        )
        if not allows(role, self.policy.hitl.role):
            raise Refused(f"Deciding needs the {self.policy.hitl.role} role; you are a {role}.")
        claimed = await to_thread.run_sync(lambda: self._claim(request_id))
        if self.source is None:
            await to_thread.run_sync(lambda: self._settle(request_id, status="waiting"))
            raise Refused("The run source is not configured any more.")
        try:
            detail = await self.source.resume(
                claimed.thread_id, approve=approve, by=user, comment=comment
            )
        except TransientError as exc:
            await to_thread.run_sync(lambda: self._settle(request_id, status="waiting"))
            raise Refused(f"Could not reach {self.source_name} ({exc}); try again.") from exc
        except PermanentError as exc:
            await to_thread.run_sync(lambda: self._finish(request_id, status="gone"))
            raise Refused(f"This run no longer waits for a decision ({exc}).") from exc
        status = "approved" if approve else "rejected"
        decided = await to_thread.run_sync(
            lambda: self._finish(
                request_id,
                status=status,
                decided_by=user,
                decided_at=self.clock(),
                comment=comment,
                result_state=detail.run.state.value,
                audit=Entry(
                    at=self.clock(),
                    actor=user,
                    surface="slack",
                    action=f"hitl.{status}",
                    target=f"{self.source_name}:{claimed.thread_id}"[:200],
                    detail={"workflow": claimed.workflow, "comment": comment or ""},
                ),
            )
        )
        self.waker()
        return decided

    def _claim(self, request_id: int) -> HitlRequest:
        with self.db.session() as session:
            claimed = repo.claim(session, request_id)
            if claimed is not None:
                return claimed
            found = repo.get(session, request_id)
        if found is None:
            raise Refused("This request is unknown.")
        if found.decided_by:
            raise Refused(f"Already {found.status} by <@{found.decided_by}>.")
        raise Refused("This request is being decided or no longer waits.")

    def _settle(self, request_id: int, **fields: object) -> None:
        with self.db.session() as session:
            repo.settle(session, request_id, **fields)

    def _finish(
        self, request_id: int, *, audit: Entry | None = None, **fields: object
    ) -> HitlRequest:
        with self.db.session() as session:
            done = repo.settle(session, request_id, **fields)
            if audit is not None:
                audit_repo.append(session, audit)
            assert done is not None
            _queue(session, fx.HITL_DECIDED, request_id, self.clock())
            return done


def _queue(session: Session, kind: str, request_id: int, now: datetime) -> None:
    outbox.enqueue(session, kind=kind, incident_id=None, payload={"request": request_id}, now=now)
