"""Property tests of the slash-command parsers: any text gives a value or a ``UsageError``.

``/incident`` (``INCIDENT.parse`` then ``plan()``), its argument helpers, and ``/runs``
(``parse_runs``) are fed arbitrary text (every Unicode category, quotes, control characters,
very long words) and must answer either with a result or with a ``UsageError`` that carries the
usage; nothing else may escape, since anything else would reach Slack as a failed command.
Where a valid invocation can be generated, it must parse to what was generated.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import timedelta
from random import Random
from typing import TypeVar

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.domain import rca as rca_domain
from bot.domain.commands import INCIDENT, RUNS, Parsed
from bot.domain.durations import parse_duration
from bot.domain.incident_args import (
    DeclareArgs,
    parse_declare,
    parse_severity,
    parse_user,
    split_target,
)
from bot.domain.lifecycle import Action
from bot.domain.runs import RunState
from bot.domain.runs_args import MAX_SINCE, RunsQuery, parse_runs
from bot.domain.severity import Severity
from bot.errors import UsageError
from bot.services.lifecycle import Change
from handlers.slack.incident_commands import Plan, plan

pytestmark = pytest.mark.properties

T = TypeVar("T")
USAGE = INCIDENT.usage()
SETTINGS = settings(max_examples=300, deadline=None)

# Every code point, surrogates and control characters included.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
ODD_WORDS = st.sampled_from(
    [
        '"',
        "'",
        '"unterminated',
        "'half",
        "\\",
        "--",
        "--sev",
        "--waive",
        "--service",
        "--client",
        "--since",
        "--status",
        "--page",
        "--page=",
        "--since=",
        "#",
        "#42",
        "0",
        "42",
        "-1",
        "1e3",
        "9" * 10,
        "9" * 5000,  # past int()'s 4300-digit limit
        "²",  # str.isdigit() but not int()
        "\u0664\u0662",  # Arabic-Indic digits
        "\uff14\uff12",  # full-width digits
        "S1",
        "s2",
        "3",
        "S4",
        "ß",
        "\u017f1",  # long s: upper() is "S"
        "<@U12345>",
        "<@U12345|alice>",
        "<@>",
        "U1",
        "\x00",
        "\ud800",
        "\u200b",
        "\xa0",
        "\n",
        "\t",
        "99999999999999999999d",
        "1w",
        "30d",
        "0s",
        "error",
        "failed",
        "interrupted",
        "x" * 300,
    ]
)
WORDS = st.one_of(st.text(ANY_CHAR, max_size=30), ODD_WORDS)
INCIDENT_NAMES = st.sampled_from([*INCIDENT.names(), "Sev", "ACK", "hlep", "declar", "x"])
RUNS_HEADS = st.sampled_from(["show", "kpi", "help", "KPI", "wf", "my-workflow", "--since"])


def _joined(words: list[str], sep: str) -> str:
    return sep.join(words)


def command_text(heads: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Arbitrary text, and text that starts like a real invocation then goes wrong."""
    separators = st.sampled_from([" ", "  ", "\t", "\n", " \u3000 "])
    tail = st.builds(_joined, st.lists(WORDS, max_size=8), separators)
    return st.one_of(
        st.text(ANY_CHAR, max_size=200),
        st.builds(lambda head, sep, rest: f"{head}{sep}{rest}", heads, separators, tail),
        st.builds(lambda head, n: f"{head} " + "a " * n, heads, st.integers(0, 20_000)),
    )


def usage_or_value(func: Callable[[], T]) -> T | UsageError:
    """``func()``'s value, or the ``UsageError`` it raised (anything else fails the test)."""
    try:
        return func()
    except UsageError as exc:
        assert str(exc).strip(), "a usage error needs a message"
        assert exc.usage.strip(), "a usage error needs the usage text"
        return exc


# --- never anything but a value or a UsageError ----------------------------------------------


@SETTINGS
@given(command_text(INCIDENT_NAMES))
@example("sev\n42 S1")
@example("note\xa0text")
@example('note "unterminated')
@example("ack " + "9" * 5000)
def test_incident_text_parses_or_explains(text: str) -> None:
    parsed = usage_or_value(lambda: INCIDENT.parse(text))
    if isinstance(parsed, UsageError):
        return
    assert parsed.name in INCIDENT.names()
    if parsed.name != "help":
        job = usage_or_value(lambda: plan(parsed))
        assert isinstance(job, (Plan, UsageError))


@SETTINGS
@given(st.sampled_from(INCIDENT.names()), st.lists(WORDS, max_size=8))
def test_plan_of_any_words_is_a_plan_or_usage(name: str, words: list[str]) -> None:
    parsed = Parsed(name=name, args=tuple(words), raw_args=" ".join(words))
    job = usage_or_value(lambda: plan(parsed))
    if isinstance(job, Plan):
        assert job.name == name
        assert job.number is None or 0 <= job.number < 10**9


@SETTINGS
@given(command_text(RUNS_HEADS))
@example("wf --page ²")
@example("wf --page " + "9" * 5000)
@example("wf --page=٣")
@example("--since 99999999999999999999d")
@example("--since " + "9" * 5000 + "s")
def test_runs_text_parses_or_explains(text: str) -> None:
    query = usage_or_value(lambda: parse_runs(text))
    if isinstance(query, UsageError):
        assert query.usage == RUNS.usage()
        return
    assert query.kind in {"overview", "list", "show", "kpi", "help"}
    assert 1 <= query.page <= 100
    assert query.since is None or timedelta(0) < query.since <= MAX_SINCE


@SETTINGS
@given(st.lists(WORDS, max_size=10))
def test_argument_helpers_return_or_explain(words: list[str]) -> None:
    args = tuple(words)
    number, rest = split_target(args)
    assert (number is None and rest == args) or (number is not None and rest == args[1:])
    declared = usage_or_value(lambda: parse_declare(args, USAGE))
    if isinstance(declared, DeclareArgs):
        assert declared.title and len(declared.title) <= 200
    for word in words:
        usage_or_value(lambda word=word: parse_severity(word, USAGE))
        usage_or_value(lambda word=word: parse_user(word, USAGE))


@SETTINGS
@given(st.text(ANY_CHAR, max_size=40) | ODD_WORDS)
@example("9" * 5000 + "s")
@example("99999999999999999999d")
@example("\u0661h")
def test_durations_parse_or_raise_value_error(text: str) -> None:
    try:
        parsed = parse_duration(text)
    except ValueError:
        return
    assert parsed >= timedelta(0)


# --- round trips ------------------------------------------------------------------------------

# Words shlex reads back as written (shlex.join quotes the rest; see the shlex property below).
PLAIN = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12)
NUMBERS = st.integers(0, 999_999_999)
SEVERITIES = st.sampled_from(list(Severity))


def spell_severity(severity: Severity, style: int) -> str:
    return [severity.value, severity.value.lower(), severity.value[1]][style]


def spell_number(number: int, hashed: bool) -> str:
    return f"#{number}" if hashed else str(number)


@SETTINGS
@given(
    st.sampled_from(INCIDENT.names()),
    st.lists(st.text(ANY_CHAR.filter(lambda c: c not in "\x00"), max_size=20), max_size=6),
)
def test_quoted_arguments_come_back_as_written(name: str, words: list[str]) -> None:
    parsed = INCIDENT.parse(f"{name} {shlex.join(words)}")
    assert (parsed.name, parsed.args) == (name, tuple(words))


@SETTINGS
@given(
    st.one_of(st.none(), NUMBERS),
    st.booleans(),
    SEVERITIES,
    st.integers(0, 2),
    st.lists(PLAIN, max_size=6),
)
def test_sev_round_trip(
    number: int | None, hashed: bool, severity: Severity, style: int, reason: list[str]
) -> None:
    target = [] if number is None else [spell_number(number, hashed)]
    if number is None and style == 2:
        style = 0  # a bare "2" without a number would be read as the incident number
    text = " ".join(["sev", *target, spell_severity(severity, style), *reason])
    job = plan(INCIDENT.parse(text))
    change = Change(Action.SEVERITY, severity=severity, text=" ".join(reason) or None)
    assert job == Plan("sev", number, change)


@SETTINGS
@given(
    st.lists(PLAIN, min_size=1, max_size=40),
    st.one_of(st.none(), SEVERITIES),
    st.one_of(st.none(), PLAIN),
    st.one_of(st.none(), PLAIN),
    st.randoms(use_true_random=False),
)
def test_declare_round_trip(
    title: list[str],
    severity: Severity | None,
    service: str | None,
    client: str | None,
    rnd: Random,
) -> None:
    given_flags = {"--sev": severity.value if severity else None, "--service": service}
    given_flags["--client"] = client
    parts = [[word] for word in title]
    for flag, value in given_flags.items():
        if value is not None:  # flags go anywhere; the title words keep their order
            parts.insert(rnd.randint(0, len(parts)), [flag, value])
    text = "declare " + " ".join(word for part in parts for word in part)
    job = usage_or_value(lambda: plan(INCIDENT.parse(text)))
    if len(" ".join(title)) > 200:
        assert isinstance(job, UsageError)
        assert "200" in str(job)
        return
    expected = DeclareArgs(" ".join(title), severity or Severity.S2, service or "default", client)
    assert job == Plan("declare", extra={"args": expected})


@SETTINGS
@given(
    st.one_of(st.none(), NUMBERS),
    st.sampled_from(["commander", "Comms", "SCRIBE"]),
    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), min_size=2, max_size=12),
    st.sampled_from(["U", "W"]),
    st.booleans(),
)
def test_assign_round_trip(
    number: int | None, role: str, user: str, prefix: str, mention: bool
) -> None:
    user_id = prefix + user
    who = f"<@{user_id}|someone>" if mention else user_id
    target = "" if number is None else f" {number}"
    job = plan(INCIDENT.parse(f"assign{target} {role} {who}"))
    assert job == Plan("assign", number, Change(Action.ASSIGN, role=role.lower(), user_id=user_id))


@SETTINGS
@given(
    st.sampled_from(["note", "update", "resolve"]),
    st.one_of(st.none(), NUMBERS),
    st.lists(PLAIN, min_size=1, max_size=8).filter(lambda words: not words[0].isdigit()),
)
def test_text_commands_round_trip(name: str, number: int | None, words: list[str]) -> None:
    target = "" if number is None else f" #{number}"
    job = plan(INCIDENT.parse(f"{name}{target} {' '.join(words)}"))
    action = {"note": Action.NOTE, "update": Action.UPDATE, "resolve": Action.RESOLVE}[name]
    assert job == Plan(name, number, Change(action, text=" ".join(words)))


@SETTINGS
@given(st.one_of(st.none(), NUMBERS), st.lists(PLAIN, min_size=1, max_size=8))
def test_close_waive_round_trip(number: int | None, reason: list[str]) -> None:
    target = "" if number is None else f" {number}"
    job = plan(INCIDENT.parse(f"close{target} --waive {' '.join(reason)}"))
    assert job == Plan("close", number, Change(Action.CLOSE, text=" ".join(reason), waive=True))


@SETTINGS
@given(
    st.one_of(st.none(), NUMBERS),
    st.one_of(st.none(), st.sampled_from([s.key for s in rca_domain.SECTIONS])),
    st.booleans(),
)
def test_rca_round_trip(number: int | None, section: str | None, upper: bool) -> None:
    target = "" if number is None else f" {number}"
    spelled = "" if section is None else " " + (section.upper() if upper else section)
    job = plan(INCIDENT.parse(f"rca{target}{spelled}"))
    assert job == Plan("rca", number, extra={"section": section})


@SETTINGS
@given(
    PLAIN.filter(lambda word: word.lower() not in ("show", "kpi", "help")),
    st.one_of(st.none(), st.integers(1, 30 * 24)),
    st.one_of(st.none(), st.sampled_from(sorted({s.value for s in RunState}))),
    st.one_of(st.none(), st.integers(1, 100)),
    st.booleans(),
)
def test_runs_round_trip(
    workflow: str, hours: int | None, status: str | None, page: int | None, with_equals: bool
) -> None:
    flags = {"--since": f"{hours}h" if hours else None, "--status": status, "--page": page}
    words = [workflow]
    for flag, value in flags.items():
        if value is not None:
            words += [f"{flag}={value}"] if with_equals else [flag, str(value)]
    assert parse_runs(" ".join(words)) == RunsQuery(
        "list",
        workflow=workflow,
        since=timedelta(hours=hours) if hours else None,
        status=RunState(status) if status else None,
        page=page or 1,
    )


@SETTINGS
@given(st.sampled_from(INCIDENT.names()), st.sampled_from(["\t", "\n", "\xa0", "\u3000", "  "]))
def test_any_whitespace_ends_the_sub_command(name: str, space: str) -> None:
    assert INCIDENT.parse(f"{name}{space}42 x") == INCIDENT.parse(f"{name} 42 x")
