"""``/runs`` fan-out: partial answers, timeouts, the short cache, unknown names, paging.

The sources here are in-memory implementations of opsbot's own ``RunSource`` port (the real
adapters are tested against a real LangGraph server, the n8n emulator and Prometheus)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.domain.ports import TransientError
from bot.domain.runs import KpiReading, Run, RunDetail, RunState
from bot.policy import Policy
from bot.services.runs import RunsService

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = Policy.model_validate(
    {
        "runs": {
            "source_timeout": 0.2,
            "cache_for": 5,
            "page_size": 2,
            "kpis": {"queue": {"query": "workflow_queue_depth", "threshold": 10}},
        }
    }
)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Source:
    name: str
    runs_: list[Run] = field(default_factory=list)
    delay: float = 0.0
    broken: bool = False
    calls: int = 0

    async def runs(self, *, since: datetime, workflow: str | None, limit: int) -> list[Run]:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.broken:
            raise TransientError("HTTP 503")
        found = [r for r in self.runs_ if r.started_at and r.started_at >= since]
        return [r for r in found if workflow in (None, r.workflow)][:limit]

    async def run(self, run_id: str) -> RunDetail | None:
        await asyncio.sleep(self.delay)
        found = [r for r in self.runs_ if r.run_id == run_id]
        return RunDetail(found[0]) if found else None

    async def workflows(self) -> list[str]:
        return sorted({r.workflow for r in self.runs_})


class Kpis:
    async def read(self, name: str, query: str) -> KpiReading:
        return KpiReading(name, 12.0, previous=8.0)


def _runs(source: str, workflow: str, count: int) -> list[Run]:
    return [
        Run(source, workflow, f"{workflow}-{n}", RunState.SUCCESS, T0 - timedelta(minutes=n), T0)
        for n in range(count)
    ]


def test_a_slow_or_broken_source_gives_a_partial_answer_that_names_it() -> None:
    good = Source("langgraph", _runs("langgraph", "ops", 3))
    slow = Source("n8n", _runs("n8n", "invoices", 2), delay=1.0)
    broken = Source("other", broken=True)
    service = RunsService(policy=POLICY, clock=Clock(), sources=[good, slow, broken])
    answer = asyncio.run(service.overview(None))
    assert [o.workflow for o in answer.value] == ["ops"]
    assert answer.missing == ("n8n: no answer within 0.2s", "other: HTTP 503")


def test_repeated_questions_are_served_from_the_cache_until_it_expires() -> None:
    clock = Clock()
    source = Source("langgraph", _runs("langgraph", "ops", 3))
    service = RunsService(policy=POLICY, clock=clock, sources=[source])
    asyncio.run(service.overview(None))
    asyncio.run(service.overview(None))
    assert source.calls == 1
    clock.now = T0 + timedelta(seconds=6)
    asyncio.run(service.overview(None))
    assert source.calls == 2


def test_partial_answers_are_not_cached() -> None:
    source = Source("langgraph", broken=True)
    service = RunsService(policy=POLICY, clock=Clock(), sources=[source])
    asyncio.run(service.overview(None))
    asyncio.run(service.overview(None))
    assert source.calls == 2


def test_a_workflow_is_paged_and_an_unknown_one_gets_the_nearest_names() -> None:
    source = Source("langgraph", _runs("langgraph", "ops", 5) + _runs("langgraph", "opsbot", 1))
    service = RunsService(policy=POLICY, clock=Clock(), sources=[source])
    first = asyncio.run(service.workflow_runs("ops", since=None, status=None, page=1)).value
    assert [r.run_id for r in first.runs] == ["ops-0", "ops-1"] and first.more
    third = asyncio.run(service.workflow_runs("ops", since=None, status=None, page=3)).value
    assert [r.run_id for r in third.runs] == ["ops-4"] and not third.more
    unknown = asyncio.run(service.workflow_runs("opz", since=None, status=None, page=1)).value
    assert not unknown.known and unknown.nearest[0] == "ops"
    failed = asyncio.run(
        service.workflow_runs("ops", since=None, status=RunState.ERROR, page=1)
    ).value
    assert failed.known and failed.runs == ()


def test_show_asks_every_source_and_kpis_carry_the_configured_threshold() -> None:
    sources = [Source("langgraph", _runs("langgraph", "ops", 1)), Source("n8n")]
    service = RunsService(policy=POLICY, clock=Clock(), sources=sources, kpis=Kpis())
    found = asyncio.run(service.show("ops-0")).value
    assert found is not None and found.run.source == "langgraph"
    assert asyncio.run(service.show("nope")).value is None
    [queue] = asyncio.run(service.kpi()).value
    assert (queue.value, queue.previous, queue.threshold, queue.breached) == (12.0, 8.0, 10, True)
