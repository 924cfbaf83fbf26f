import pytest

from bot.domain.commands import INCIDENT, RUNS, CommandSet, SubCommand
from bot.errors import UsageError

SAMPLE = CommandSet(
    command="/incident",
    summary="test",
    subcommands=(
        SubCommand("help", "", "help"),
        SubCommand("declare", "<title>", "open"),
        SubCommand("ack", "[number]", "ack"),
        SubCommand("status", "", "status"),
    ),
)


@pytest.mark.parametrize(
    ("text", "name", "args"),
    [
        ("", "help", ()),
        ("   ", "help", ()),
        ("help", "help", ()),
        ("HELP", "help", ()),
        ('declare "DB is down" --sev S1', "declare", ("DB is down", "--sev", "S1")),
        ("ack 42", "ack", ("42",)),
    ],
)
def test_parse(text: str, name: str, args: tuple[str, ...]) -> None:
    parsed = SAMPLE.parse(text)
    assert (parsed.name, parsed.args) == (name, args)


@pytest.mark.parametrize(
    ("word", "nearest"),
    [("hlep", "help"), ("declar", "declare"), ("stauts", "status"), ("zzzzzz", None)],
)
def test_unknown_suggests_nearest(word: str, nearest: str | None) -> None:
    with pytest.raises(UsageError) as caught:
        SAMPLE.parse(word)
    assert caught.value.suggestion == nearest
    assert f"Unknown command `/incident {word}`" in str(caught.value)
    assert "`/incident declare &lt;title&gt;`" in caught.value.usage
    if nearest:
        assert f"Did you mean `/incident {nearest}`?" in str(caught.value)


def test_unbalanced_quotes_is_usage_error() -> None:
    with pytest.raises(UsageError, match="Could not read the arguments"):
        SAMPLE.parse('declare "oops')


@pytest.mark.parametrize("commands", [INCIDENT, RUNS])
def test_shipped_sets_have_help(commands: CommandSet) -> None:
    assert "help" in commands.names()
    assert commands.usage().startswith(f"*{commands.command}*")
