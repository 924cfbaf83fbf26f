"""``/runs`` arguments (pure): the overview, one workflow's runs, one run, the KPIs.

/runs [--since 6h]                         overview per workflow
/runs <workflow> [--since 6h] [--status error] [--page 2]
/runs show <run-id>
/runs kpi
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import timedelta

from bot.domain.commands import RUNS
from bot.domain.durations import parse_duration
from bot.domain.runs import RunState
from bot.errors import UsageError

__all__ = ["MAX_SINCE", "RunsQuery", "parse_runs"]

MAX_SINCE = timedelta(days=30)
_STATES = {s.value for s in RunState} | {"interrupted", "failed"}
_ALIASES = {"interrupted": RunState.WAITING.value, "failed": RunState.ERROR.value}
# ASCII digits, and few of them: int() refuses "²" (which isdigit()) and 5,000 digits.
_PAGE = re.compile(r"0*[0-9]{1,3}")


@dataclass(frozen=True)
class RunsQuery:
    """What ``/runs`` asks for."""

    kind: str  # "overview" | "list" | "show" | "kpi" | "help"
    workflow: str | None = None
    run_id: str | None = None
    since: timedelta | None = None  # None: the configured window
    status: RunState | None = None
    page: int = 1


def _usage(message: str) -> UsageError:
    return UsageError(message, usage=RUNS.usage())


def parse_runs(text: str) -> RunsQuery:
    """Parse ``/runs`` text; wrong input raises ``UsageError`` with the usage."""
    try:
        words = shlex.split(text.strip())
    except ValueError as exc:
        raise _usage(f"Could not read the arguments: {exc}.") from exc
    if not words:
        return RunsQuery("overview")
    head = words[0].lower()
    if head == "help":
        return RunsQuery("help")
    if head == "kpi":
        if len(words) > 1:
            raise _usage("`/runs kpi` takes no arguments.")
        return RunsQuery("kpi")
    if head == "show":
        if len(words) != 2:
            raise _usage("Which run? `/runs show <run-id>`.")
        return RunsQuery("show", run_id=words[1])
    workflow = None if head.startswith("--") else words[0]
    flags = _flags(words[1:] if workflow else words)
    if workflow is None and (flags.get("status") or flags.get("page")):
        raise _usage("`--status` and `--page` need a workflow: `/runs <workflow> --status error`.")
    return RunsQuery(
        "list" if workflow else "overview",
        workflow=workflow,
        since=_since(flags.get("since")),
        status=_status(flags.get("status")),
        page=_page(flags.get("page")),
    )


def _flags(words: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    index = 0
    while index < len(words):
        word = words[index]
        name, eq, value = word.partition("=")
        if name not in ("--since", "--status", "--page"):
            raise _usage(f"Unknown option `{word}`: use `--since`, `--status` or `--page`.")
        if not eq:
            if index + 1 >= len(words):
                raise _usage(f"`{name}` needs a value, e.g. `{name} {_EXAMPLES[name]}`.")
            value = words[index + 1]
            index += 1
        found[name[2:]] = value
        index += 1
    return found


_EXAMPLES = {"--since": "6h", "--status": "error", "--page": "2"}


def _since(value: str | None) -> timedelta | None:
    if value is None:
        return None
    try:
        since = parse_duration(value)
    except ValueError as exc:
        raise _usage(f"`--since {value}`: give a duration such as 30m, 6h or 2d.") from exc
    if since <= timedelta(0) or since > MAX_SINCE:
        raise _usage("`--since` must be more than 0 and at most 30d.")
    return since


def _status(value: str | None) -> RunState | None:
    if value is None:
        return None
    word = value.lower()
    if word not in _STATES:
        known = ", ".join(sorted(s.value for s in RunState))
        raise _usage(f"`--status {value}`: one of {known}.")
    return RunState(_ALIASES.get(word, word))


def _page(value: str | None) -> int:
    if value is None:
        return 1
    if not _PAGE.fullmatch(value) or not 1 <= int(value) <= 100:
        raise _usage("`--page` is a number from 1 to 100.")
    return int(value)
