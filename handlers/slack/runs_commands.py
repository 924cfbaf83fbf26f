"""``/runs``: parse (before the ack), ack at once, then answer through ``respond`` (ephemeral)
with what the run sources said; wrong input gets the usage in the ack itself."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncRespond

from bot.adapters.slack import runs_cards as ui
from bot.domain.commands import RUNS
from bot.domain.runs_args import RunsQuery, parse_runs
from bot.errors import UsageError
from bot.metrics import Metrics
from bot.services.runs import RunsService
from handlers.slack.blocks import help_blocks, usage_error_blocks

__all__ = ["on_runs"]

NOT_CONFIGURED = (
    "No run sources are configured: set `LANGGRAPH_URL`, `N8N_URL` and `N8N_API_KEY`, "
    "or `PROMETHEUS_URL` (see the README)."
)


async def on_runs(
    ack: AsyncAck,
    command: dict[str, Any],
    respond: AsyncRespond,
    runs: RunsService,
    metrics: Metrics,
) -> None:
    """The ``/runs`` listener."""
    try:
        query = parse_runs(command.get("text") or "")
    except UsageError as exc:
        await ack(text=str(exc), blocks=usage_error_blocks(str(exc), RUNS))
        return
    if query.kind == "help":
        await ack(text=RUNS.usage(), blocks=help_blocks(RUNS))
        return
    if not runs.configured:
        await ack(text=NOT_CONFIGURED)
        return
    await ack()
    started = time.perf_counter()
    text, blocks = await _answer(query, runs)
    metrics.runs_latency.labels(query.kind).observe(time.perf_counter() - started)
    await respond(text=text, blocks=blocks, response_type="ephemeral")


async def _answer(query: RunsQuery, runs: RunsService) -> tuple[str, list[dict[str, Any]]]:
    if query.kind == "kpi":
        kpis = await runs.kpi()
        return "KPIs", ui.kpi_blocks(kpis.value, kpis.missing)
    if query.kind == "show":
        assert query.run_id is not None
        found = await runs.show(query.run_id)
        if found.value is None:
            return "Unknown run", ui.unknown_run_blocks(f"run `{query.run_id}`", (), found.missing)
        return f"Run {query.run_id}", ui.run_detail_blocks(found.value, found.missing)
    if query.kind == "list":
        assert query.workflow is not None
        listed = await runs.workflow_runs(
            query.workflow, since=query.since, status=query.status, page=query.page
        )
        page = listed.value
        if not page.known:
            return "Unknown workflow", ui.unknown_run_blocks(
                f"workflow `{query.workflow}`", page.nearest, listed.missing
            )
        blocks = ui.runs_page_blocks(
            page.workflow, page.runs, page=page.page, more=page.more, missing=listed.missing
        )
        return f"Runs of {page.workflow}", blocks
    window = query.since or runs.policy.runs.window
    summary = await runs.overview(query.since)
    return "Workflow runs", ui.overview_blocks(summary.value, window, summary.missing)
