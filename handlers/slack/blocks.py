"""Pure Block Kit builders for what opsbot shows in Slack."""

from __future__ import annotations

from typing import Any

from bot import __version__
from bot.domain.commands import CommandSet

__all__ = ["error_blocks", "help_blocks", "home_view", "usage_error_blocks"]

Block = dict[str, Any]


def _section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:2000]}]}


def help_blocks(commands: CommandSet) -> list[Block]:
    """The usage of one slash command."""
    return [_section(commands.usage()), _context(f"opsbot {__version__}")]


def usage_error_blocks(message: str, commands: CommandSet) -> list[Block]:
    """A wrong-input answer: what was wrong, then the usage."""
    return [_section(f":warning: {message}"), {"type": "divider"}, _section(commands.usage())]


def error_blocks(error_id: str) -> list[Block]:
    """An unexpected failure, with the id to find it in the logs."""
    return [_section(f":x: Something went wrong on opsbot's side. Error id `{error_id}`.")]


def home_view(command_sets: list[CommandSet]) -> dict[str, Any]:
    """The App Home tab: what opsbot does and its commands."""
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": "opsbot"}},
        _section("Alerts become incidents, timers keep the clock, clients stay informed."),
    ]
    for commands in command_sets:
        blocks += [{"type": "divider"}, _section(commands.usage())]
    blocks.append(_context(f"opsbot {__version__}"))
    return {"type": "home", "blocks": blocks}
