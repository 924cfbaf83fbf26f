"""Arguments of ``/incident`` sub-commands (pure): target incident, declare flags, roles."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.severity import Severity
from bot.errors import UsageError

__all__ = ["DeclareArgs", "parse_declare", "parse_severity", "parse_user", "split_target"]

_NUMBER = re.compile(r"^#?(\d{1,9})$")
_USER = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")


@dataclass(frozen=True)
class DeclareArgs:
    """``declare <title> [--sev S1|S2|S3] [--service NAME] [--client NAME]``."""

    title: str
    severity: Severity
    service: str
    client: str | None


def split_target(args: tuple[str, ...]) -> tuple[int | None, tuple[str, ...]]:
    """``("42", "text")`` or ``("#42", ...)`` → ``(42, rest)``; otherwise ``(None, args)``."""
    if args:
        match = _NUMBER.match(args[0])
        if match:
            return int(match.group(1)), args[1:]
    return None, args


def parse_severity(word: str, usage: str) -> Severity:
    """``S1``/``s2``/``3`` → a severity; anything else is a usage error."""
    value = word.upper()
    value = value if value.startswith("S") else f"S{value}"
    try:
        return Severity(value)
    except ValueError:
        raise UsageError(f"`{word}` is not a severity; use S1, S2 or S3.", usage=usage) from None


def parse_user(word: str, usage: str) -> str:
    """A Slack mention ``<@U123>`` (or a bare user id) → the user id."""
    match = _USER.match(word)
    if match:
        return match.group(1)
    if re.fullmatch(r"[UW][A-Z0-9]{2,}", word):
        return word
    raise UsageError(f"`{word}` is not a person; mention them like @alice.", usage=usage)


def parse_declare(args: tuple[str, ...], usage: str) -> DeclareArgs:
    """Title words and ``--sev/--service/--client`` flags in any order."""
    flags: dict[str, str] = {}
    words: list[str] = []
    items = list(args)
    while items:
        word = items.pop(0)
        if word.startswith("--"):
            name = word[2:]
            if name not in {"sev", "service", "client"}:
                raise UsageError(f"Unknown option `{word}`.", usage=usage)
            if not items:
                raise UsageError(f"`{word}` needs a value.", usage=usage)
            flags[name] = items.pop(0)
        else:
            words.append(word)
    title = " ".join(words).strip()
    if not title:
        raise UsageError("A title is needed.", usage=usage)
    if len(title) > 200:
        raise UsageError("The title is longer than 200 characters.", usage=usage)
    severity = parse_severity(flags["sev"], usage) if "sev" in flags else Severity.S2
    return DeclareArgs(title, severity, flags.get("service", "default"), flags.get("client"))
