"""HITL decisions against a real database: posted once, decided once, by the right role.

The source is an in-memory implementation of opsbot's ``HitlSource`` port; the LangGraph
adapter itself is tested against a real LangGraph server in tests/e2e."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.domain.lifecycle import Refused
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import Run, RunDetail, RunState
from bot.policy import Policy
from bot.services.hitl import HitlService
from storage import Database
from storage.tables import OutboxRow

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = Policy.model_validate(
    {"hitl": {"channel": "C0APPROVALS", "role": "responder"}, "roles": {"viewer": ["U0VIEW"]}}
)


def _waiting(thread: str) -> RunDetail:
    run = Run("langgraph", "ops", f"run-{thread}", RunState.WAITING, T0, None)
    return RunDetail(run, question=f"Deploy {thread}?", thread_id=thread)


@dataclass
class Source:
    threads: dict[str, RunDetail] = field(default_factory=dict)
    flaky: bool = False
    resumed: list[tuple[str, bool, str]] = field(default_factory=list)

    async def waiting(self) -> list[RunDetail]:
        return list(self.threads.values())

    async def resume(
        self, thread_id: str, *, approve: bool, by: str, comment: str | None
    ) -> RunDetail:
        if self.flaky:
            raise TransientError("timed out")
        if thread_id not in self.threads:
            raise PermanentError("not interrupted")
        del self.threads[thread_id]
        self.resumed.append((thread_id, approve, by))
        run = Run("langgraph", "ops", "run-2", RunState.RUNNING, T0, None)
        return RunDetail(run, thread_id=thread_id)


def _service(db: Database, source: Source) -> HitlService:
    return HitlService(db=db, policy=POLICY, clock=lambda: T0, source=source)


def _posts(db: Database, kind: str) -> int:
    with db.session() as session:
        return len(session.exec(select(OutboxRow).where(OutboxRow.kind == kind)).all())


def test_a_waiting_run_is_posted_once_however_often_it_is_polled(db: Database) -> None:
    source = Source({"t1": _waiting("t1")})
    first, second = _service(db, source), _service(db, source)  # two replicas
    assert asyncio.run(first.poll()) == 1
    assert asyncio.run(second.poll()) == 0
    assert _posts(db, "slack.hitl_request") == 1


def test_approve_resumes_once_and_a_second_click_is_refused(db: Database) -> None:
    source = Source({"t1": _waiting("t1")})
    service = _service(db, source)
    asyncio.run(service.poll())
    decided = asyncio.run(service.decide(1, approve=True, user="U0BOB", comment="ok"))
    assert (decided.status, decided.decided_by, decided.result_state) == (
        "approved",
        "U0BOB",
        "running",
    )
    assert source.resumed == [("t1", True, "U0BOB")]
    with pytest.raises(Refused, match="Already approved by <@U0BOB>"):
        asyncio.run(service.decide(1, approve=False, user="U0CAROL"))
    assert _posts(db, "slack.hitl_decided") == 1


def test_a_viewer_may_not_decide_and_a_stale_request_is_refused(db: Database) -> None:
    source = Source({"t1": _waiting("t1")})
    service = _service(db, source)
    asyncio.run(service.poll())
    with pytest.raises(Refused, match="needs the responder role; you are a viewer"):
        asyncio.run(service.decide(1, approve=True, user="U0VIEW"))
    source.threads.clear()  # decided elsewhere
    with pytest.raises(Refused, match="no longer waits"):
        asyncio.run(service.decide(1, approve=True, user="U0BOB"))
    assert service.request(1).status == "gone"  # type: ignore[union-attr]


def test_a_source_outage_leaves_the_request_waiting(db: Database) -> None:
    source = Source({"t1": _waiting("t1")}, flaky=True)
    service = _service(db, source)
    asyncio.run(service.poll())
    with pytest.raises(Refused, match="try again"):
        asyncio.run(service.decide(1, approve=True, user="U0BOB"))
    assert service.request(1).status == "waiting"  # type: ignore[union-attr]
