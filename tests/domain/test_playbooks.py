"""Playbook parsing: Markdown list forms, sections, mrkdwn conversion, YAML shapes, limits."""

from __future__ import annotations

import pytest

from bot.domain.playbooks import (
    MAX_STEP_LENGTH,
    MAX_STEPS,
    Playbook,
    PlaybookError,
    PlaybookStep,
    parse_markdown,
    parse_yaml,
    to_mrkdwn,
)
from bot.errors import DomainError


def texts(playbook: Playbook) -> list[str]:
    return [step.text for step in playbook.steps]


# --- Markdown -------------------------------------------------------------------------------


def test_markdown_title_sections_and_keys() -> None:
    text = """# API outage

Read this first: a paragraph, not a step.

- [ ] before any section

## Triage
- [ ] check the error rate
- [x] check recent deploys

## Mitigate
1. roll back
"""
    playbook = parse_markdown(text, name="api")
    assert playbook == Playbook(
        name="api",
        title="API outage",
        steps=(
            PlaybookStep("s1", "before any section", None),
            PlaybookStep("s2", "check the error rate", "Triage"),
            PlaybookStep("s3", "check recent deploys", "Triage"),
            PlaybookStep("s4", "roll back", "Mitigate"),
        ),
    )


def test_every_list_form_is_a_step_and_checkbox_state_is_dropped() -> None:
    text = "- [ ] a\n- [x] b\n- [X] c\n- d\n* e\n+ f\n1. g\n10) h\n  - nested i\n"
    assert texts(parse_markdown(text, name="p")) == [
        "a",
        "b",
        "c",
        "d",
        "e",
        "f",
        "g",
        "h",
        "nested i",
    ]


def test_title_defaults_to_the_name_and_only_the_first_h1_counts() -> None:
    assert parse_markdown("- a\n", name="db").title == "db"
    playbook = parse_markdown("# First #\n- a\n# Second\n- b\n", name="db")
    assert playbook.title == "First"
    assert [step.section for step in playbook.steps] == [None, None]


def test_deeper_headings_end_an_item_but_keep_the_section() -> None:
    playbook = parse_markdown("## Verify\n- a\n### details\n  not joined\n- b\n", name="p")
    assert [(s.text, s.section) for s in playbook.steps] == [("a", "Verify"), ("b", "Verify")]


def test_continuation_lines_are_joined_until_a_blank_line() -> None:
    text = """- [ ] check the server:
  `curl -fsS $LG/ok`
	then the workers
- second

  indented after a blank line: not part of anything
unindented paragraph
"""
    assert texts(parse_markdown(text, name="p")) == [
        "check the server: `curl -fsS $LG/ok` then the workers",
        "second",
    ]


def test_an_unindented_line_after_an_item_is_a_paragraph() -> None:
    assert texts(parse_markdown("- step\nnot a continuation\n", name="p")) == ["step"]


def test_code_blocks_comments_rules_and_tables_are_ignored() -> None:
    text = """- real
```bash
- not a step
```
~~~~
- nor this
~~~~
<!-- - hidden
- still hidden -->
<!-- one-line comment -->
---
* * *
| - | table |
> - quoted
- also real
"""
    assert texts(parse_markdown(text, name="p")) == ["real", "also real"]


def test_markdown_is_converted_to_slack_mrkdwn() -> None:
    text = (
        "- **Roll back** via [the runbook](https://wiki.example/r?a=1&b=2) or <https://x.example>\n"
        "- see [local notes](../notes.md), `**not bold** [x](https://y)` and a <placeholder>\n"
        "- Slack's own <https://grafana.example|dashboard>\n"
    )
    assert texts(parse_markdown(text, name="p")) == [
        "*Roll back* via <https://wiki.example/r?a=1&amp;b=2|the runbook> or <https://x.example>",
        "see local notes (../notes.md), `**not bold** [x](https://y)` and a &lt;placeholder&gt;",
        "Slack's own <https://grafana.example|dashboard>",
    ]


@pytest.mark.parametrize(
    ("source", "mrkdwn"),
    [
        ("plain & simple", "plain &amp; simple"),
        ("**a** and **b c**", "*a* and *b c*"),
        ("** not bold **", "** not bold **"),
        ("[pipe](https://a.example/x|y)", "<https://a.example/x%7Cy|pipe>"),
        ('[t](https://a.example "title")', "<https://a.example|t>"),
        ("[mail](mailto:ops@example.com)", "<mailto:ops@example.com|mail>"),
        ("`a > b` then a > b", "`a &gt; b` then a &gt; b"),
        ("unclosed `tick and **bold**", "unclosed `tick and *bold*"),
    ],
)
def test_to_mrkdwn(source: str, mrkdwn: str) -> None:
    assert to_mrkdwn(source) == mrkdwn


def test_no_steps_is_an_error() -> None:
    with pytest.raises(PlaybookError, match=r"playbook 'empty': no steps found") as caught:
        parse_markdown("# Title\n\nJust prose.\n", name="empty")
    assert isinstance(caught.value, DomainError)


def test_empty_step_names_its_line() -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_markdown("# T\n- a\n- [ ]\n", name="p")
    assert str(caught.value) == "playbook 'p', line 3: step s2 is empty"
    assert caught.value.where == "line 3"


def test_too_long_step_names_the_step_and_line() -> None:
    ok = "x" * MAX_STEP_LENGTH
    assert texts(parse_markdown(f"- {ok}\n", name="p")) == [ok]
    with pytest.raises(PlaybookError) as caught:
        parse_markdown(f"- short\n\n- {'y' * 300}\n  {'z' * 300}\n", name="p")
    assert str(caught.value) == (
        "playbook 'p', line 3: step s2 is 601 characters long (at most 500)"
    )


def test_length_is_measured_after_escaping() -> None:
    with pytest.raises(PlaybookError, match="step s1 is 501 characters"):
        parse_markdown("- &" + "x" * 496 + "\n", name="p")


def test_too_many_steps_names_the_first_extra_line() -> None:
    assert len(parse_markdown("- s\n" * MAX_STEPS, name="p").steps) == MAX_STEPS
    with pytest.raises(PlaybookError) as caught:
        parse_markdown("# T\n" + "- s\n" * (MAX_STEPS + 1), name="p")
    assert str(caught.value) == "playbook 'p', line 52: more than 50 steps"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n```\n- b\n", "playbook 'p', line 2: code fence is never closed"),
        ("- a\n\n<!-- note\n- b\n", "playbook 'p', line 3: HTML comment is never closed"),
    ],
)
def test_unclosed_blocks_name_their_line(text: str, message: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_markdown(text, name="p")
    assert str(caught.value) == message


def test_in_file_adds_the_file_to_the_message() -> None:
    error = PlaybookError("api", "step s2 is empty", where="line 3").in_file("/srv/api.md")
    assert str(error) == "playbook 'api' (/srv/api.md), line 3: step s2 is empty"
    assert (error.name, error.where, error.file) == ("api", "line 3", "/srv/api.md")


# --- YAML -----------------------------------------------------------------------------------


def test_yaml_flat_steps_with_strings_and_mappings() -> None:
    data = {
        "title": "Checkout",
        "steps": [
            "check **errors**",
            {"text": "roll back", "section": "Mitigate"},
            {"text": "multi\n  line\n"},
        ],
    }
    assert parse_yaml(data, name="checkout") == Playbook(
        name="checkout",
        title="Checkout",
        steps=(
            PlaybookStep("s1", "check *errors*", None),
            PlaybookStep("s2", "roll back", "Mitigate"),
            PlaybookStep("s3", "multi line", None),
        ),
    )


def test_yaml_sections_shape() -> None:
    data = {
        "title": "RAG",
        "sections": [
            {"name": "Triage", "steps": ["queue depth", "[logs](https://l.example)"]},
            {"name": "Verify", "steps": ["search works"]},
        ],
    }
    playbook = parse_yaml(data, name="rag")
    assert [(s.key, s.text, s.section) for s in playbook.steps] == [
        ("s1", "queue depth", "Triage"),
        ("s2", "<https://l.example|logs>", "Triage"),
        ("s3", "search works", "Verify"),
    ]


def test_yaml_title_is_optional() -> None:
    assert parse_yaml({"steps": ["a"]}, name="svc").title == "svc"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "(top level): expected a mapping with a title and steps or sections"),
        (["a"], "(top level): expected a mapping"),
        ({"title": "T"}, "(top level): expected a mapping with a title and steps or sections"),
        ({"steps": ["a"], "sections": []}, "exactly one of the two"),
        ({"title": 3, "steps": ["a"]}, "title: expected a string"),
        ({"stpes": ["a"]}, "stpes: unknown key (expected sections, steps, title)"),
        ({"steps": []}, "steps: expected a non-empty list"),
        ({"steps": "a"}, "steps: expected a non-empty list"),
        ({"steps": ["a", "b", 7]}, "steps[2]: expected a string or {text, section}"),
        ({"steps": [{"section": "X"}]}, "steps[0].text: missing key"),
        ({"steps": [{"text": ["a"]}]}, "steps[0].text: expected a string"),
        ({"steps": [{"text": "a", "sectoin": "X"}]}, "steps[0].sectoin: unknown key"),
        ({"steps": [{"text": "a", "section": 1}]}, "steps[0].section: expected a string"),
        ({"sections": ["Triage"]}, "sections[0]: expected a mapping with name and steps"),
        ({"sections": [{"name": "T"}]}, "sections[0].steps: missing key"),
        ({"sections": [{"steps": ["a"]}]}, "sections[0].name: missing key"),
        ({"sections": [{"name": "T", "steps": []}]}, "sections[0].steps: expected a non-empty"),
        (
            {"sections": [{"name": "A", "steps": ["a"]}, {"name": "B", "steps": ["b", None]}]},
            "sections[1].steps[1]: expected a string",
        ),
        ({"steps": ["ok", "  "]}, "steps[1]: step s2 is empty"),
    ],
)
def test_yaml_errors_name_the_path(data: object, message: str) -> None:
    with pytest.raises(PlaybookError) as caught:
        parse_yaml(data, name="svc")
    assert str(caught.value).startswith("playbook 'svc', ")
    assert message in str(caught.value)


def test_yaml_limits_name_the_path() -> None:
    many = {"sections": [{"name": "A", "steps": ["s"] * 30}, {"name": "B", "steps": ["s"] * 21}]}
    with pytest.raises(PlaybookError) as caught:
        parse_yaml(many, name="svc")
    assert str(caught.value) == "playbook 'svc', sections[1].steps[20]: more than 50 steps"
    with pytest.raises(PlaybookError) as caught:
        parse_yaml({"steps": ["a", "b" * 501]}, name="svc")
    assert str(caught.value) == (
        "playbook 'svc', steps[1]: step s2 is 501 characters long (at most 500)"
    )
