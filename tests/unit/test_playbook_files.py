"""Loading playbooks: the shipped builtins, bare names, relative and absolute files, failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.domain.playbooks import PlaybookError
from bot.playbook_files import BUILTIN_DIR, builtin_names, load_playbook

ROOT = Path(__file__).resolve().parents[2]
BUILTINS = ["api", "db", "default", "langgraph", "n8n"]


def test_builtin_names() -> None:
    assert builtin_names() == BUILTINS
    assert BUILTIN_DIR == ROOT / "bot" / "playbooks"


@pytest.mark.parametrize("name", BUILTINS)
def test_every_builtin_is_a_real_runbook(name: str, tmp_path: Path) -> None:
    playbook = load_playbook(name, base_dir=tmp_path)
    assert playbook.name == name
    assert playbook.title != name  # each has its own "# " title
    assert 6 <= len(playbook.steps) <= 12
    assert [step.key for step in playbook.steps] == [f"s{i}" for i in range(1, 13)][
        : len(playbook.steps)
    ]
    sections = {step.section for step in playbook.steps}
    assert None not in sections
    assert 2 <= len(sections) <= 4
    assert all(20 <= len(step.text) <= 400 for step in playbook.steps)


@pytest.mark.parametrize(
    ("name", "must_mention"),
    [
        ("langgraph", ["/ok", "/threads/", "interrupt", "resume", "backlog"]),
        ("n8n", ["/api/v1/executions?status=error", "Error workflow", "OAuth2", "Webhook"]),
        ("db", ["pg_stat_activity", "pg_blocking_pids", "replay_lag", "df -h", "failover"]),
        ("api", ["histogram_quantile(0.95", "rollout undo", "PoolTimeout", "status=~"]),
        ("default", ["/incident update", "/incident resolve"]),
    ],
)
def test_builtins_carry_concrete_checks(name: str, must_mention: list[str]) -> None:
    text = " ".join(step.text for step in load_playbook(name, base_dir=ROOT).steps)
    for needle in must_mention:
        assert needle in text, needle


@pytest.mark.parametrize("ref", [None, "", "  ", "default"])
def test_no_reference_is_the_default(ref: str | None, tmp_path: Path) -> None:
    playbook = load_playbook(ref, base_dir=tmp_path)
    assert playbook.name == "default"
    assert playbook.title == "Incident checklist"


def test_a_bare_builtin_name_wins_over_a_file_of_that_name(tmp_path: Path) -> None:
    (tmp_path / "api").write_text("- mine\n")
    assert load_playbook("api", base_dir=tmp_path).title == "API incident (FastAPI service)"


def test_relative_markdown_path(tmp_path: Path) -> None:
    (tmp_path / "playbooks").mkdir()
    (tmp_path / "playbooks" / "checkout.markdown").write_text("# Checkout\n## Triage\n- look\n")
    playbook = load_playbook("playbooks/checkout.markdown", base_dir=tmp_path)
    assert (playbook.name, playbook.title) == ("playbooks/checkout.markdown", "Checkout")
    assert [(s.key, s.text, s.section) for s in playbook.steps] == [("s1", "look", "Triage")]


def test_absolute_yaml_path_ignores_base_dir(tmp_path: Path) -> None:
    path = tmp_path / "rag.YAML"
    path.write_text("title: RAG\nsteps:\n  - check the queue\n  - text: re-run\n    section: Fix\n")
    playbook = load_playbook(str(path), base_dir=tmp_path / "elsewhere")
    assert playbook.title == "RAG"
    assert [(s.text, s.section) for s in playbook.steps] == [
        ("check the queue", None),
        ("re-run", "Fix"),
    ]


def test_the_documented_yaml_example_loads() -> None:
    playbook = load_playbook("docs/playbooks/example.yml", base_dir=ROOT)
    assert playbook.title == "RAG ingestion pipeline incident"
    assert [s.section for s in playbook.steps][:1] == ["Triage"]
    assert {s.section for s in playbook.steps} == {"Triage", "Mitigate", "Verify"}


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError) as caught:
        load_playbook("playbooks/nope.md", base_dir=tmp_path)
    path = tmp_path / "playbooks" / "nope.md"
    assert str(caught.value) == (
        f"playbook 'playbooks/nope.md' ({path}): cannot read the file: No such file or directory"
    )
    assert caught.value.file == str(path)


def test_a_directory_is_not_a_playbook(tmp_path: Path) -> None:
    (tmp_path / "dir.md").mkdir()
    with pytest.raises(PlaybookError, match="cannot read the file"):
        load_playbook("dir.md", base_dir=tmp_path)


def test_unknown_suffix_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "api.txt").write_text("- step\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook("api.txt", base_dir=tmp_path)
    assert str(caught.value) == (
        f"playbook 'api.txt' ({tmp_path / 'api.txt'}): unknown file type '.txt' "
        "(use .md, .markdown, .yml, .yaml)"
    )


def test_unknown_bare_name_lists_the_builtins(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError) as caught:
        load_playbook("payments", base_dir=tmp_path)
    assert "no builtin playbook has this name (api, db, default, langgraph, n8n)" in str(
        caught.value
    )


def test_a_url_is_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="a URL cannot be loaded as a checklist"):
        load_playbook("https://wiki.example/playbooks/db", base_dir=tmp_path)


def test_bad_yaml_names_the_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text("title: T\nsteps: [a, b\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook(str(path), base_dir=tmp_path)
    message = str(caught.value)
    assert message.startswith(f"playbook '{path}' ({path}), line 3: not valid YAML: ")


def test_wrong_yaml_shape_names_the_path_and_key(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("steps:\n  - ok\n  - [nested]\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook("p.yaml", base_dir=tmp_path)
    assert str(caught.value) == (
        f"playbook 'p.yaml' ({tmp_path / 'p.yaml'}), steps[1]: "
        "expected a string or {text, section}"
    )


def test_bad_markdown_names_the_path_and_line(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_text("# T\n- ok\n- [ ]\n")
    with pytest.raises(PlaybookError) as caught:
        load_playbook("p.md", base_dir=tmp_path)
    assert str(caught.value) == f"playbook 'p.md' ({tmp_path / 'p.md'}), line 3: step s2 is empty"


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.md").write_bytes(b"- caf\xe9\n")
    with pytest.raises(PlaybookError, match="not UTF-8"):
        load_playbook("p.md", base_dir=tmp_path)


def test_empty_yaml_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text("# nothing\n")
    with pytest.raises(PlaybookError, match=r"\(top level\): expected a mapping"):
        load_playbook("p.yml", base_dir=tmp_path)
