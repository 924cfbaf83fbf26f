"""Helpers shared by ``bench.ack``, ``bench.timers`` and ``bench.storm``: the sandbox Slack, Jira
and Notion on loopback threads, an ``opsbot serve`` process wired to them, a database per
backend, latency summaries and the opsbot process's memory. Everything started here is
stopped in ``finally`` blocks."""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench._harness import (
    DEFAULT_PG_ADMIN_URL,
    LOOPBACK,
    PostgresUnavailable,
    Server,
    _clean_env,
    _die_with_parent,
    _stop,
    _wait_ready,
    free_port,
    percentile,
    postgres_database,
)
from bot.sandbox.jira import SandboxJira
from bot.sandbox.notion import SandboxNotion
from bot.sandbox.slack import SandboxSlack, SlackState

__all__ = [
    "BACKENDS",
    "Card",
    "PostgresUnavailable",
    "Sandboxes",
    "cpu_seconds",
    "database_url",
    "descendants",
    "incident_cards",
    "load_average",
    "memory_mb",
    "opsbot_process",
    "sandboxes",
    "summary_ms",
    "tree_cpu_seconds",
    "tree_memory_mb",
]

BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Sandboxes:
    """The running sandboxes (Jira and Notion only when asked for) and opsbot's signing secret."""

    slack: SandboxSlack
    jira: SandboxJira | None
    notion: SandboxNotion | None
    signing_secret: str

    def env(self) -> dict[str, str]:
        """The opsbot environment variables that point at these sandboxes."""
        env = {
            "SLACK_BOT_TOKEN": self.slack.state.bot_token,
            "SLACK_SIGNING_SECRET": self.signing_secret,
            "SLACK_API_URL": self.slack.api_url,
        }
        if self.jira is not None:
            env |= {
                "JIRA_URL": self.jira.url,
                "JIRA_USER": self.jira.state.user,
                "JIRA_API_TOKEN": self.jira.state.api_token,
                "JIRA_PROJECT": "OPS",
            }
        if self.notion is not None:
            env |= {
                "NOTION_TOKEN": self.notion.state.token,
                "NOTION_API_URL": self.notion.url,
                "NOTION_DATABASE_ID": self.notion.state.database_id,
            }
        return env


@dataclass(frozen=True)
class Card:
    """An incident card opsbot posted: where its Acknowledge button is."""

    channel: str
    ts: str
    incident: str


def incident_cards(state: SlackState) -> list[Card]:
    """Every message in the sandbox Slack that carries an ``incident_ack`` button."""
    found = []
    for msg in state.all_messages():
        for block in msg.blocks or []:
            for element in block.get("elements") or [] if isinstance(block, dict) else []:
                if isinstance(element, dict) and element.get("action_id") == "incident_ack":
                    found.append(Card(msg.channel, msg.ts, str(element.get("value", ""))))
    return found


@contextlib.contextmanager
def sandboxes(*, sync: bool) -> Iterator[Sandboxes]:
    """Start the sandbox Slack (and, with ``sync``, Jira and Notion) on loopback threads."""
    with contextlib.ExitStack() as stack:
        slack = stack.enter_context(SandboxSlack())
        jira = stack.enter_context(SandboxJira()) if sync else None
        notion = stack.enter_context(SandboxNotion()) if sync else None
        yield Sandboxes(slack, jira, notion, secrets.token_hex(16))


@contextlib.contextmanager
def database_url(backend: str, workdir: Path) -> Iterator[str]:
    """A SQLite file in ``workdir`` or a fresh PostgreSQL database (dropped at the end).

    Raises ``PostgresUnavailable`` when PostgreSQL does not answer."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir / 'opsbot.db'}"
        return
    admin_url = os.environ.get("OPSBOT_BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    with postgres_database(admin_url) as url:
        yield url


@contextlib.contextmanager
def opsbot_process(
    db_url: str,
    *,
    workdir: Path,
    policy_yaml: str,
    env: dict[str, str],
    ready_timeout: float = 90.0,
) -> Iterator[Server]:
    """``python -m bot.cli serve`` on a free loopback port, like ``bench._harness.opsbot_server``
    but with the integration variables in ``env`` (Slack, Jira, Notion) set as well."""
    policy_path = workdir / "opsbot-bench.yml"
    policy_path.write_text(policy_yaml)
    log_path = workdir / "opsbot.log"
    port = free_port()
    am_token, api_token = secrets.token_hex(16), secrets.token_hex(16)
    full_env = _clean_env(
        {
            **env,
            "DATABASE_URL": db_url,
            "ALERTMANAGER_TOKEN": am_token,
            "OPSBOT_API_TOKEN": api_token,
            "OPSBOT_CONFIG": str(policy_path),
            "LOG_LEVEL": "WARNING",
        }
    )
    command = [sys.executable, "-m", "bot.cli", "serve", "--host", LOOPBACK, "--port", str(port)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=full_env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = Server(f"http://{LOOPBACK}:{port}", am_token, api_token, process, log_path)
    try:
        _wait_ready(server, ready_timeout)
        yield server
    finally:
        _stop(process)


def memory_mb(pid: int) -> dict[str, float]:
    """``VmRSS`` (now) and ``VmHWM`` (peak resident set) of a process, in MB (Linux only)."""
    found: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = round(int(value.split()[0]) / 1024, 1)  # kB
    return found


def descendants(pid: int) -> list[int]:
    """The pids of a process's children, grandchildren ... (Linux ``/proc``)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                found += [int(child), *descendants(int(child))]
    return found


def tree_memory_mb(pid: int) -> dict[str, float]:
    """``memory_mb`` summed over a process and its descendants (opsbot's intake child): the
    sum of peaks bounds the peak of the sum from above."""
    total: dict[str, float] = {}
    for each in [pid, *descendants(pid)]:
        for key, value in memory_mb(each).items():
            total[key] = round(total.get(key, 0.0) + value, 1)
    return total


def tree_cpu_seconds(pid: int) -> float:
    """``cpu_seconds`` of a process and its live descendants (workers, the intake child)."""
    return sum(cpu_seconds(each) for each in [pid, *descendants(pid)])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux ``/proc``; 0.0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def summary_ms(latencies_s: Sequence[float]) -> dict[str, Any]:
    """Count, p50, p99 and max in milliseconds of latencies given in seconds."""
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "count": len(ms),
        "p50_ms": round(percentile(ms, 50), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "max_ms": round(ms[-1], 2) if ms else float("nan"),
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]
