"""Markdown (the subset ``bot.domain.rca.render_markdown`` writes) as Notion blocks: pure.

Headings (``#``, ``##``, ``###``), paragraphs (consecutive lines join with a line break),
bulleted (``- ``, ``* ``), numbered (``1. ``) and to-do (``- [ ] ``, ``- [x] ``) list items;
``**bold**`` becomes a bold annotation. Notion's limits are respected: a rich text item holds
at most 2,000 characters (counted as Notion counts them, in UTF-16 code units), a block at most
100 rich text items (a longer text continues in further blocks), and a request at most 100
blocks (:func:`batches`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["MAX_BLOCKS", "MAX_ITEMS", "MAX_TEXT", "batches", "markdown_to_blocks", "paragraph"]

Block = dict[str, Any]

MAX_TEXT = 2000  # characters of one rich text item's text.content
MAX_ITEMS = 100  # rich text items in one block
MAX_BLOCKS = 100  # blocks in one append request
MAX_BYTES = 400_000  # stay well under Notion's 500 KB request payload limit

_HEADING = re.compile(r"(#{1,3}) +(.*)")
_TODO = re.compile(r"[-*] \[( |x|X)\] +(.*)")
_BULLET = re.compile(r"[-*] +(.*)")
_NUMBERED = re.compile(r"\d+[.)] +(.*)")
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.DOTALL)


def _units(char: str) -> int:
    """UTF-16 code units of one character (Notion measures text lengths in them)."""
    return 2 if ord(char) > 0xFFFF else 1


def _chunks(text: str, limit: int = MAX_TEXT) -> Iterator[str]:
    """``text`` in pieces of at most ``limit`` UTF-16 units, never splitting a character."""
    start, weight = 0, 0
    for i, char in enumerate(text):
        size = _units(char)
        if weight + size > limit:
            yield text[start:i]
            start, weight = i, 0
        weight += size
    if start < len(text):
        yield text[start:]


def _spans(text: str) -> Iterator[tuple[str, bool]]:
    """``(text, bold)`` spans of a line with ``**bold**`` markup."""
    at = 0
    for found in _BOLD.finditer(text):
        if found.start() > at:
            yield text[at : found.start()], False
        yield found.group(1), True
        at = found.end()
    if at < len(text):
        yield text[at:], False


def rich_text(text: str) -> list[dict[str, Any]]:
    """Rich text items for ``text`` (each at most 2,000 characters)."""
    items: list[dict[str, Any]] = []
    for span, bold in _spans(text):
        for piece in _chunks(span):
            item: dict[str, Any] = {"type": "text", "text": {"content": piece}}
            if bold:
                item["annotations"] = {"bold": True}
            items.append(item)
    return items


def _blocks(kind: str, text: str, **extra: Any) -> list[Block]:
    """One block of ``kind``; a text needing over 100 rich text items continues in paragraphs."""
    items = rich_text(text)
    out: list[Block] = []
    for start in range(0, max(len(items), 1), MAX_ITEMS):
        this = kind if start == 0 else "paragraph"
        body: dict[str, Any] = {"rich_text": items[start : start + MAX_ITEMS]}
        if start == 0:
            body.update(extra)
        out.append({"object": "block", "type": this, this: body})
    return out


def paragraph(text: str, **annotations: Any) -> Block:
    """A single-item paragraph (``text`` cut to 2,000 characters), e.g. a marker."""
    item: dict[str, Any] = {"type": "text", "text": {"content": next(_chunks(text), "")}}
    if annotations:
        item["annotations"] = annotations
    return {"object": "block", "type": "paragraph", "paragraph": {"rich_text": [item]}}


def _line_blocks(line: str) -> list[Block] | None:
    """The blocks of a structural line (heading, list item); None for paragraph text."""
    if found := _HEADING.fullmatch(line):
        return _blocks(f"heading_{len(found.group(1))}", found.group(2))
    if found := _TODO.fullmatch(line):
        return _blocks("to_do", found.group(2), checked=found.group(1) != " ")
    if found := _BULLET.fullmatch(line):
        return _blocks("bulleted_list_item", found.group(1))
    if found := _NUMBERED.fullmatch(line):
        return _blocks("numbered_list_item", found.group(1))
    return None


def markdown_to_blocks(md: str) -> list[Block]:
    """Notion blocks for ``md``, in order."""
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            blocks.extend(_blocks("paragraph", "\n".join(para)))
            para.clear()

    for raw in md.splitlines():
        line = raw.rstrip()
        if not line.strip():
            flush()
            continue
        structural = _line_blocks(line.lstrip())
        if structural is None:
            para.append(line)
            continue
        flush()
        blocks.extend(structural)
    flush()
    return blocks


def batches(
    blocks: Sequence[Block], size: int = MAX_BLOCKS, *, max_bytes: int = MAX_BYTES
) -> list[list[Block]]:
    """``blocks`` in consecutive groups of at most ``size`` (and about ``max_bytes`` of JSON)."""
    out: list[list[Block]] = []
    current: list[Block] = []
    weight = 0
    for block in blocks:
        cost = len(json.dumps(block, ensure_ascii=False).encode())
        if current and (len(current) >= size or weight + cost > max_bytes):
            out.append(current)
            current, weight = [], 0
        current.append(block)
        weight += cost
    if current:
        out.append(current)
    return out
