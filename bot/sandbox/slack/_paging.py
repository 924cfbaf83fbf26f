"""Cursor pagination shared by list methods."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TypeVar

from ._errors import SlackError
from ._registry import Args

T = TypeVar("T")


def _encode(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode(cursor: str) -> int:
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        kind, _, value = text.partition(":")
        if kind != "offset":
            raise ValueError(text)
        return int(value)
    except ValueError:
        raise SlackError("invalid_cursor") from None


def page(
    items: Sequence[T],
    args: Args,
    *,
    default_limit: int = 100,
    max_limit: int = 1000,
    limit_error: str | None = "invalid_limit",
) -> tuple[list[T], str]:
    """One page of ``items`` and the next cursor ("" on the last page)."""
    limit = args.integer("limit", default_limit, error=limit_error or "invalid_arguments")
    if limit <= 0:
        limit = default_limit
    if limit > max_limit and limit_error:
        raise SlackError(limit_error)
    start = _decode(args.text("cursor") or _encode(0))
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    return chunk, _encode(start + limit) if more else ""
