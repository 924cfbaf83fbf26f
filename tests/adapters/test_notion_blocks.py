"""Markdown to Notion blocks, within Notion's limits (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from bot.adapters.notion_blocks import batches, markdown_to_blocks, paragraph
from bot.domain.rca import ActionItem, RcaFacts, render_markdown


def _text(block: dict[str, Any]) -> str:
    return "".join(i["text"]["content"] for i in block[block["type"]]["rich_text"])


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_headings_paragraphs_and_lists() -> None:
    md = "# Title\n\n## Section\n\n### Sub\n\nline one\nline two\n\n- a\n* b\n1. first\n2. second\n"
    md += "- [ ] open task\n- [x] done task\n"
    blocks = markdown_to_blocks(md)
    assert [b["type"] for b in blocks] == [
        "heading_1",
        "heading_2",
        "heading_3",
        "paragraph",
        "bulleted_list_item",
        "bulleted_list_item",
        "numbered_list_item",
        "numbered_list_item",
        "to_do",
        "to_do",
    ]
    assert [_text(b) for b in blocks][:4] == ["Title", "Section", "Sub", "line one\nline two"]
    assert _text(blocks[6]) == "first" and _text(blocks[8]) == "open task"
    assert blocks[8]["to_do"]["checked"] is False and blocks[9]["to_do"]["checked"] is True
    assert all(b["object"] == "block" for b in blocks)
    assert markdown_to_blocks("") == [] and markdown_to_blocks("\n\n  \n") == []


def test_bold_becomes_an_annotation() -> None:
    [block] = markdown_to_blocks("- **Severity:** S1 and **more**")
    items = block["bulleted_list_item"]["rich_text"]
    assert [(i["text"]["content"], i.get("annotations")) for i in items] == [
        ("Severity:", {"bold": True}),
        (" S1 and ", None),
        ("more", {"bold": True}),
    ]
    [plain] = markdown_to_blocks("a ** lone marker")
    assert _text(plain) == "a ** lone marker"


def test_long_text_is_split_at_2000_characters() -> None:
    text = "".join(chr(ord("a") + i % 26) for i in range(5000))
    [block] = markdown_to_blocks(text)
    pieces = [i["text"]["content"] for i in block["paragraph"]["rich_text"]]
    assert [len(p) for p in pieces] == [2000, 2000, 1000]
    assert "".join(pieces) == text
    [bold] = markdown_to_blocks(f"**{'b' * 2500}** tail")
    items = bold["paragraph"]["rich_text"]
    assert [len(i["text"]["content"]) for i in items] == [2000, 500, 5]
    assert [bool(i.get("annotations")) for i in items] == [True, True, False]


def test_astral_characters_count_twice_and_are_never_cut() -> None:
    text = "x" * 1999 + "\N{ROCKET}" + "y"
    [block] = markdown_to_blocks(text)
    pieces = [i["text"]["content"] for i in block["paragraph"]["rich_text"]]
    assert pieces == ["x" * 1999, "\N{ROCKET}y"]
    assert all(_units(p) <= 2000 for p in pieces)


def test_more_than_100_rich_text_items_continue_in_another_block() -> None:
    text = "z" * (2000 * 150)
    blocks = markdown_to_blocks(f"## {text}")
    assert [b["type"] for b in blocks] == ["heading_2", "paragraph"]
    assert [len(b[b["type"]]["rich_text"]) for b in blocks] == [100, 50]
    assert "".join(_text(b) for b in blocks) == text


def test_250_blocks_make_3_batches_of_at_most_100() -> None:
    blocks = markdown_to_blocks("\n".join(f"- item {n}" for n in range(250)))
    assert len(blocks) == 250
    groups = batches(blocks)
    assert [len(g) for g in groups] == [100, 100, 50]
    assert [b for g in groups for b in g] == blocks
    assert [len(g) for g in batches(blocks, size=40)] == [40] * 6 + [10]
    assert batches([]) == []


def test_batches_also_keep_requests_small() -> None:
    blocks = [paragraph("p" * 2000) for _ in range(10)]
    groups = batches(blocks, max_bytes=5000)
    assert [len(g) for g in groups] == [2, 2, 2, 2, 2]


def test_the_rendered_rca_converts_whole() -> None:
    facts = RcaFacts(
        number=7,
        title="Checkout failing",
        severity="S1",
        service="checkout-api",
        client=None,
        opened_at=datetime(2025, 1, 2, 3, 4, tzinfo=UTC),
        acknowledged_at=None,
        resolved_at=datetime(2025, 1, 2, 4, 4, tzinfo=UTC),
        summary=None,
    )
    contents = {
        "root_cause": {"text": "r" * 3000},
        "five_whys": {"why1": "one", "why2": "two", "why3": "three"},
        "impact": {"duration": "1h", "clients": "all", "users": "many"},
    }
    actions = [ActionItem("Add a canary", "U0BOB", date(2025, 2, 1), "OPS-2")]
    blocks = markdown_to_blocks(render_markdown(facts, contents, actions))
    kinds = [b["type"] for b in blocks]
    assert kinds[0] == "heading_1" and _text(blocks[0]) == "RCA: incident #7: Checkout failing"
    assert kinds.count("numbered_list_item") == 3 and kinds.count("to_do") == 1
    root = next(b for b in blocks if _text(b) == "r" * 3000)
    assert [len(i["text"]["content"]) for i in root["paragraph"]["rich_text"]] == [2000, 1000]
    impact = [b for b in blocks if _text(b).startswith("Duration:")]
    assert [b["type"] for b in impact] == ["bulleted_list_item", "paragraph"]
    assert impact[1]["paragraph"]["rich_text"][0]["annotations"] == {"bold": True}
