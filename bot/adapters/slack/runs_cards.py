"""Block Kit for ``/runs`` (pure): short lines that read well on a phone, and a note naming
any source that could not answer."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from bot.adapters.slack.cards import button, escape, mention, section, when
from bot.domain.durations import format_duration
from bot.domain.runs import KpiReading, Run, RunDetail, RunState, WorkflowOverview

__all__ = [
    "kpi_blocks",
    "overview_blocks",
    "run_detail_blocks",
    "runs_page_blocks",
    "unknown_run_blocks",
]

Block = dict[str, Any]
STATE_EMOJI = {
    RunState.SUCCESS: ":white_check_mark:",
    RunState.ERROR: ":x:",
    RunState.RUNNING: ":arrows_counterclockwise:",
    RunState.PENDING: ":hourglass_flowing_sand:",
    RunState.WAITING: ":raised_hand:",
    RunState.TIMEOUT: ":alarm_clock:",
    RunState.CANCELLED: ":no_entry_sign:",
}
MAX_RUNS = 20


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2000]}]}


def _missing(missing: Sequence[str]) -> list[Block]:
    if not missing:
        return []
    said = "; ".join(escape(m) for m in missing)
    return [_context(f":warning: Partial answer, missing: {said}")]


def _secs(value: timedelta | None) -> str:
    if value is None:
        return "n/a"
    seconds = value.total_seconds()
    return f"{seconds:.1f}s" if seconds < 120 else format_duration(value)


def overview_blocks(
    items: Sequence[WorkflowOverview], window: timedelta, missing: Sequence[str]
) -> list[Block]:
    """Runs per workflow over the window."""
    head = f"*Workflow runs, last {format_duration(window)}*"
    blocks = [section(head)]
    if not items:
        blocks.append(section("No runs in this window."))
    for item in items[:20]:
        states = " · ".join(
            f"{STATE_EMOJI.get(RunState(s), '')} {n} {s}" for s, n in sorted(item.by_state.items())
        )
        lines = [
            f"*{escape(item.workflow)}* ({escape(item.source)}) · {item.total} runs",
            states,
            f"Errors {item.error_rate:.0%} · p50 {_secs(item.p50)} · p95 {_secs(item.p95)}"
            f" · retries {item.retries}",
        ]
        if item.tokens_per_run is not None:
            lines.append(f"Tokens per run {item.tokens_per_run:,.0f}")
        if item.cost_per_run is not None:
            lines.append(f"Cost per run ${item.cost_per_run:,.4f}")
        if item.top_failures:
            top = "; ".join(f"{escape(reason)} (x{n})" for reason, n in item.top_failures)
            lines.append(f"Top failures: {top}")
        blocks.append(section("\n".join(lines)))
    hint = "`/runs &lt;workflow&gt;` for its runs · `/runs show &lt;run-id&gt;` for one run"
    blocks.append(_context(hint))
    return blocks + _missing(missing)


def _run_line(run: Run) -> str:
    took = f" · {_secs(run.duration)}" if run.duration is not None else ""
    started = f" · {when(run.started_at)}" if run.started_at else ""
    why = f"\n> {escape(run.error[:200])}" if run.error else ""
    retry = f" · retried {run.retries}" if run.retries else ""
    head = f"{STATE_EMOJI[run.state]} `{escape(run.run_id)}` {run.state.value}"
    return f"{head}{took}{started}{retry}{why}"


def runs_page_blocks(
    workflow: str, runs: Sequence[Run], *, page: int, more: bool, missing: Sequence[str]
) -> list[Block]:
    """One workflow's recent runs, newest first."""
    blocks = [section(f"*{escape(workflow)}*: recent runs (page {page})")]
    if not runs:
        blocks.append(section("No runs match."))
    for run in runs[:MAX_RUNS]:
        blocks.append(section(_run_line(run)))
    if more:
        blocks.append(_context(f"More: `/runs {escape(workflow)} --page {page + 1}`"))
    return blocks + _missing(missing)


def unknown_run_blocks(what: str, nearest: Sequence[str], missing: Sequence[str]) -> list[Block]:
    """An unknown workflow or run, with the nearest names."""
    hint = f" Did you mean {', '.join(f'`{escape(n)}`' for n in nearest)}?" if nearest else ""
    return [section(f"I know no {what}.{hint}"), *_missing(missing)]


def run_detail_blocks(detail: RunDetail, missing: Sequence[str]) -> list[Block]:
    """One run: state graph, failure, question, decisions, annotations."""
    run = detail.run
    head = (
        f"{STATE_EMOJI[run.state]} *{escape(run.workflow)}* run `{escape(run.run_id)}`"
        f" ({escape(run.source)}) · {run.state.value}"
    )
    lines = [head]
    if run.started_at:
        lines.append(f"Started {when(run.started_at)} · took {_secs(run.duration)}")
    if run.retries:
        lines.append(f"Retries: {run.retries}")
    blocks = [section("\n".join(lines))]
    if detail.steps:
        marks = {"done": "✓", "failed": "✗", "waiting": "⏸", "running": "…"}
        path = " → ".join(f"{marks.get(s.status, '')}{escape(s.name)}" for s in detail.steps)
        blocks.append(section(f"*Steps*\n{path}"))
    if run.error:
        blocks.append(section(f"*Failure*\n```{escape(run.error[:2500])}```"))
    if detail.question:
        blocks.append(section(f"*Waiting for a human*\n{escape(detail.question)}"))
    for decision in detail.decisions[:10]:
        why = f": {escape(decision.comment)}" if decision.comment else ""
        blocks.append(
            _context(f"{mention(decision.by)} {decision.decision}d {when(decision.at)}{why}")
        )
    if detail.annotations:
        notes = "\n".join(
            f"{escape(k)}: {escape(v)}" for k, v in list(detail.annotations.items())[:10]
        )
        blocks.append(section(f"*Annotations*\n{notes}"))
    if run.url and run.url.startswith(("http://", "https://")):
        blocks.append({"type": "actions", "elements": [_link_button(run.url)]})
    return blocks + _missing(missing)


def _link_button(url: str) -> Block:
    element = button("Open", "runs_open_link", "open")
    element["url"] = url[:3000]
    return element


def kpi_blocks(readings: Sequence[KpiReading], missing: Sequence[str]) -> list[Block]:
    """Each KPI with its value, trend over the last hour and threshold."""
    if not readings:
        return [section("No KPIs configured (`runs.kpis` in the policy file)."), *_missing(missing)]
    lines = ["*KPIs*"]
    for reading in readings:
        value = "n/a" if reading.value is None else f"{reading.value:,.3g}"
        trend = ""
        if reading.value is not None and reading.previous is not None:
            delta = reading.value - reading.previous
            arrow = "↗" if delta > 0 else "↘" if delta < 0 else "→"
            trend = f" {arrow} from {reading.previous:,.3g} an hour ago"
        limit = ""
        if reading.threshold is not None:
            side = "max" if reading.above_is_bad else "min"
            flag = " :rotating_light:" if reading.breached else ""
            limit = f" · {side} {reading.threshold:,.3g}{flag}"
        lines.append(f"*{escape(reading.name)}*: {value}{trend}{limit}")
    return [section("\n".join(lines)), *_missing(missing)]
