"""``/runs`` use cases: ask every configured run source (and Prometheus for KPIs) at once,
each within its timeout; a source that is down or slow yields a partial answer that names
what is missing. Identical questions within ``runs.cache_for`` are served from a cache."""

from __future__ import annotations

import asyncio
import difflib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Any, Generic, TypeVar

from bot.clock import Clock
from bot.domain.ports import PermanentError, TransientError
from bot.domain.runs import (
    KpiReading,
    KpiSource,
    Run,
    RunDetail,
    RunSource,
    RunState,
    WorkflowOverview,
    overview,
)
from bot.policy import Policy

__all__ = ["Answer", "RunsPage", "RunsService"]

log = logging.getLogger("opsbot.runs")
T = TypeVar("T")
FETCH_LIMIT = 500  # runs per source for an overview


@dataclass(frozen=True)
class Answer(Generic[T]):
    """What could be found, and which sources could not answer (with why)."""

    value: T
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunsPage:
    """One page of one workflow's runs, newest first; ``nearest`` when it is unknown."""

    workflow: str
    runs: tuple[Run, ...]
    page: int
    more: bool
    known: bool = True
    nearest: tuple[str, ...] = ()


@dataclass
class RunsService:
    """Run sources and the KPI source, with per-source timeouts and a short cache."""

    policy: Policy
    clock: Clock
    sources: Sequence[RunSource] = ()
    kpis: KpiSource | None = None
    _cache: dict[tuple[Any, ...], tuple[float, Any]] = field(default_factory=dict)

    async def aclose(self) -> None:
        """Close the sources' connections (those that keep any)."""
        for owner in (*self.sources, self.kpis):
            closer = getattr(owner, "aclose", None)
            if closer is not None:
                await closer()

    @property
    def configured(self) -> bool:
        """Whether any run source or KPI source is configured."""
        return bool(self.sources) or self.kpis is not None

    async def _ask(
        self, name: str, call: Callable[[], Awaitable[T]]
    ) -> tuple[T | None, str | None]:
        timeout = self.policy.runs.source_timeout.total_seconds()
        try:
            return await asyncio.wait_for(call(), timeout), None
        except TimeoutError:
            return None, f"{name}: no answer within {timeout:g}s"
        except (TransientError, PermanentError) as exc:
            log.warning("run source failed", extra={"source": name, "error": str(exc)})
            return None, f"{name}: {exc}"

    async def _cached(self, key: tuple[Any, ...], make: Callable[[], Awaitable[T]]) -> T:
        now = self.clock().timestamp()
        hit = self._cache.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]  # type: ignore[no-any-return]
        value = await make()
        if isinstance(value, Answer) and value.missing:
            return value  # a partial answer is not kept: the next question asks again
        self._cache[key] = (now + self.policy.runs.cache_for.total_seconds(), value)
        if len(self._cache) > 256:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
        return value

    async def _runs(self, since: timedelta, workflow: str | None, limit: int) -> Answer[list[Run]]:
        start = self.clock() - since
        results = await asyncio.gather(
            *[
                self._ask(src.name, partial(src.runs, since=start, workflow=workflow, limit=limit))
                for src in self.sources
            ]
        )
        runs = [run for found, _ in results if found for run in found]
        runs.sort(key=lambda r: r.started_at.timestamp() if r.started_at else 0.0, reverse=True)
        return Answer(runs, tuple(why for _, why in results if why))

    async def recent(self, since: timedelta) -> Answer[list[Run]]:
        """Every source's runs of the last ``since``, newest first (not cached)."""
        return await self._runs(since, None, FETCH_LIMIT)

    async def overview(self, since: timedelta | None) -> Answer[list[WorkflowOverview]]:
        """Runs per workflow over the window."""
        window = since or self.policy.runs.window

        async def make() -> Answer[list[WorkflowOverview]]:
            found = await self._runs(window, None, FETCH_LIMIT)
            return Answer(overview(found.value), found.missing)

        return await self._cached(("overview", window), make)

    async def workflow_runs(
        self, workflow: str, *, since: timedelta | None, status: RunState | None, page: int
    ) -> Answer[RunsPage]:
        """One workflow's runs, newest first, a page at a time."""
        window = since or self.policy.runs.window
        size = self.policy.runs.page_size

        async def make() -> Answer[RunsPage]:
            names = await self._workflow_names()
            found = await self._runs(window, workflow, size * page + 1)
            runs = [r for r in found.value if r.workflow == workflow]
            if status is not None:
                runs = [r for r in runs if r.state is status]
            known = workflow in names.value or bool(runs)
            nearest = tuple(difflib.get_close_matches(workflow, sorted(names.value), n=3))
            shown = runs[size * (page - 1) : size * page]
            missing = tuple(dict.fromkeys(found.missing + names.missing))
            result = RunsPage(workflow, tuple(shown), page, len(runs) > size * page, known, nearest)
            return Answer(result, missing)

        return await self._cached(("list", workflow, window, status, page), make)

    async def _workflow_names(self) -> Answer[set[str]]:
        results = await asyncio.gather(
            *[self._ask(src.name, src.workflows) for src in self.sources]
        )
        names = {name for found, _ in results if found for name in found}
        return Answer(names, tuple(why for _, why in results if why))

    async def show(self, run_id: str) -> Answer[RunDetail | None]:
        """One run in detail, from whichever source knows it."""

        async def make() -> Answer[RunDetail | None]:
            results = await asyncio.gather(
                *[self._ask(src.name, partial(src.run, run_id)) for src in self.sources]
            )
            detail = next((found for found, _ in results if found is not None), None)
            missing = () if detail else tuple(why for _, why in results if why)
            return Answer(detail, missing)

        return await self._cached(("show", run_id), make)

    async def kpi(self) -> Answer[list[KpiReading]]:
        """The configured KPIs with value, trend and threshold."""
        kpis = self.policy.runs.kpis
        source = self.kpis
        if source is None or not kpis:
            return Answer([], () if source else ("prometheus: not configured",))

        async def make() -> Answer[list[KpiReading]]:
            results = await asyncio.gather(
                *[
                    self._ask(f"prometheus ({name})", partial(source.read, name, kpi.query))
                    for name, kpi in kpis.items()
                ]
            )
            readings = []
            for (name, kpi), (reading, _) in zip(kpis.items(), results, strict=True):
                base = reading or KpiReading(name, None)
                readings.append(
                    KpiReading(
                        name,
                        base.value,
                        base.previous,
                        kpi.threshold,
                        kpi.above_is_bad,
                    )
                )
            return Answer(readings, tuple(why for _, why in results if why))

        return await self._cached(("kpi",), make)
