"""Slash command vocabulary and parsing (pure): sub-command, arguments, usage, nearest match."""

from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass

from bot.errors import UsageError

__all__ = ["INCIDENT", "RUNS", "CommandSet", "Parsed", "SubCommand"]


@dataclass(frozen=True)
class SubCommand:
    """One sub-command: its name, argument synopsis and one-line summary."""

    name: str
    args: str
    summary: str


@dataclass(frozen=True)
class Parsed:
    """A parsed invocation: the sub-command name and its argument words."""

    name: str
    args: tuple[str, ...]
    raw_args: str


@dataclass(frozen=True)
class CommandSet:
    """The sub-commands of one slash command (``/incident``, ``/runs``)."""

    command: str
    summary: str
    subcommands: tuple[SubCommand, ...]

    def names(self) -> list[str]:
        """Sub-command names in display order."""
        return [sub.name for sub in self.subcommands]

    def usage(self) -> str:
        """The usage text shown for ``help`` and for any wrong input (mrkdwn)."""
        lines = [f"*{self.command}* — {self.summary}", ""]
        for sub in self.subcommands:
            synopsis = f"{self.command} {sub.name} {_escape(sub.args)}".rstrip()
            lines.append(f"`{synopsis}` — {sub.summary}")
        return "\n".join(lines)

    def nearest(self, word: str) -> str | None:
        """The closest sub-command name to ``word``, if any is close."""
        matches = difflib.get_close_matches(word.lower(), self.names(), n=1, cutoff=0.5)
        if matches:
            return matches[0]
        prefixed = [name for name in self.names() if name.startswith(word.lower()[:2])]
        return prefixed[0] if word and prefixed else None

    def parse(self, text: str) -> Parsed:
        """Split ``text``; an empty text is ``help``; an unknown word raises ``UsageError``."""
        stripped = text.strip()
        if not stripped:
            return Parsed(name="help", args=(), raw_args="")
        head, *tail = stripped.split(maxsplit=1)  # any whitespace: "note\ntext", "sev\xa0S1"
        rest = tail[0] if tail else ""
        name = head.lower()
        if name not in self.names():
            suggestion = self.nearest(name)
            hint = f" Did you mean `{self.command} {suggestion}`?" if suggestion else ""
            raise UsageError(
                f"Unknown command `{self.command} {head}`.{hint}",
                usage=self.usage(),
                suggestion=suggestion,
            )
        try:
            words = tuple(shlex.split(rest))
        except ValueError as exc:
            raise UsageError(
                f"Could not read the arguments: {exc}.", usage=self.usage(), suggestion=None
            ) from exc
        return Parsed(name=name, args=words, raw_args=rest.strip())


def _escape(text: str) -> str:
    """Angle brackets would be read as links or mentions by Slack's mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


INCIDENT = CommandSet(
    command="/incident",
    summary="run incidents from Slack (in an incident channel, the number is not needed)",
    subcommands=(
        SubCommand(
            "declare",
            "<title> [--sev S1|S2|S3] [--service NAME] [--client NAME]",
            "open an incident (no title: a form)",
        ),
        SubCommand("ack", "[number]", "acknowledge"),
        SubCommand("update", "[number] <text>", "post a status update (no text: a form)"),
        SubCommand("sev", "[number] <S1|S2|S3> [reason]", "change the severity"),
        SubCommand("assign", "[number] <role> <@user>", "give a role (commander, comms, scribe)"),
        SubCommand("note", "[number] <text>", "add a note to the timeline"),
        SubCommand("resolve", "[number] [summary]", "resolve (no summary: a form)"),
        SubCommand("reopen", "[number]", "reopen a resolved incident"),
        SubCommand(
            "close",
            "[number] [--waive <reason>]",
            "close a resolved incident (its RCA complete, or waived by an admin)",
        ),
        SubCommand("status", "[number]", "the incident's status (elsewhere: open incidents)"),
        SubCommand("list", "[open|all]", "list incidents"),
        SubCommand("timeline", "[number]", "who did what, when"),
        SubCommand("sync", "[number]", "where Slack, Jira and Notion delivery stands"),
        SubCommand("checklist", "[number]", "the comms checklist and the playbook"),
        SubCommand("rca", "[number] [section]", "the RCA: progress, or write one section"),
        SubCommand("report", "[--since 90d]", "the incident review: MTTA/MTTR, deadlines, RCAs"),
        SubCommand("help", "", "show this help"),
    ),
)

RUNS = CommandSet(
    command="/runs",
    summary="workflow runs (LangGraph, n8n) and KPIs",
    subcommands=(
        SubCommand("[--since 6h]", "", "runs per workflow: states, error rate, p50/p95, failures"),
        SubCommand("<workflow>", "[--since 6h] [--status error] [--page N]", "one workflow's runs"),
        SubCommand("show", "<run-id>", "one run: its steps, failure, decisions"),
        SubCommand("kpi", "", "the business KPIs with trend and threshold"),
        SubCommand("help", "", "show this help"),
    ),
)
