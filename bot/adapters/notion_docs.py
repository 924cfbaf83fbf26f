"""Notion pages for incidents (``DocumentPort``) through ``notion-client`` (API 2025-09-03).

The client's own retries are off: the outbox retries, honouring ``Retry-After``. Errors map to
``TransientError`` (rate limits, 5xx, timeouts, connection) or ``PermanentError`` (the rest).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any, cast

import httpx
from notion_client import AsyncClient
from notion_client.errors import HTTPResponseError, NotionClientErrorBase, RequestTimeoutError

from bot.adapters.notion_blocks import batches, paragraph
from bot.domain.ports import PermanentError, TransientError

__all__ = ["OPSBOT_ID_PROPERTY", "NotionDocs"]

OPSBOT_ID_PROPERTY = "opsbot id"
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}


class NotionDocs:
    """One Notion database (its first data source) holding a page per incident."""

    def __init__(self, *, token: str, base_url: str, database_id: str, timeout: float = 10) -> None:
        self._client = AsyncClient(
            auth=token,
            base_url=base_url.rstrip("/"),
            timeout_ms=int(timeout * 1000),
            logger=logging.getLogger("opsbot.notion"),
            retry=False,
        )
        self._database_id = database_id
        self._data_source_id: str | None = None

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._client.aclose()

    async def _call(self, what: str, request: Awaitable[Any]) -> dict[str, Any]:
        try:
            return cast(dict[str, Any], await request)
        except HTTPResponseError as exc:
            if exc.status in _TRANSIENT_STATUS:
                raise TransientError(
                    f"notion {what}: {exc.code}", retry_after=_retry_after(exc.headers)
                ) from exc
            raise PermanentError(f"notion {what}: {exc.status} {exc.code}") from exc
        except (RequestTimeoutError, httpx.HTTPError) as exc:
            raise TransientError(f"notion {what}: {type(exc).__name__}") from exc
        except NotionClientErrorBase as exc:
            raise PermanentError(f"notion {what}: {exc}") from exc

    async def data_source(self) -> str:
        """The database's data source id (looked up once)."""
        if self._data_source_id is None:
            database = await self._call(
                "databases.retrieve", self._client.databases.retrieve(self._database_id)
            )
            sources = database.get("data_sources") or []
            if not sources:
                raise PermanentError(f"notion database {self._database_id} has no data source")
            self._data_source_id = str(sources[0]["id"])
        return self._data_source_id

    async def find(self, opsbot_id: str) -> tuple[str, str] | None:
        """The page tagged ``opsbot_id``."""
        source = await self.data_source()
        query = {"property": OPSBOT_ID_PROPERTY, "rich_text": {"equals": opsbot_id}}
        found = await self._call(
            "data_sources.query",
            self._client.data_sources.query(source, filter=query, page_size=1),
        )
        results = found.get("results") or []
        return (str(results[0]["id"]), str(results[0].get("url", ""))) if results else None

    async def create(self, opsbot_id: str, properties: dict[str, Any]) -> tuple[str, str]:
        """Create the page tagged ``opsbot_id``."""
        source = await self.data_source()
        tagged = {**properties, OPSBOT_ID_PROPERTY: _rich_text(opsbot_id)}
        page = await self._call(
            "pages.create",
            self._client.pages.create(
                parent={"type": "data_source_id", "data_source_id": source}, properties=tagged
            ),
        )
        return str(page["id"]), str(page.get("url", ""))

    async def update(self, page_id: str, properties: dict[str, Any]) -> None:
        """Set the page's properties."""
        await self._call("pages.update", self._client.pages.update(page_id, properties=properties))

    async def children(self, block_id: str) -> list[dict[str, Any]]:
        """Every child block of a page or block, in order (all result pages)."""
        out: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            more = {"start_cursor": cursor} if cursor else {}
            found = await self._call(
                "blocks.children.list",
                self._client.blocks.children.list(block_id, page_size=100, **more),
            )
            out += found.get("results") or []
            cursor = found.get("next_cursor")
            if not found.get("has_more") or not cursor:
                return out

    async def append_rca(self, page_id: str, blocks: list[dict[str, Any]], *, marker: str) -> None:
        """Append a marker paragraph and ``blocks``, at most 100 per request, once.

        The page's children are read first: from the marker paragraph on, the blocks there
        are ours from an earlier attempt (cut short by a rate limit, an error or a timeout
        after Notion applied it), so only the rest is appended."""
        present = await self.children(page_id)
        wanted = [paragraph(marker, italic=True, color="gray"), *blocks]
        start = next((i for i, b in enumerate(present) if _is_marker(b, marker)), None)
        done = 0 if start is None else len(present) - start
        for batch in batches(wanted[done:]):
            await self._call(
                "blocks.children.append",
                self._client.blocks.children.append(page_id, children=batch),
            )


def _is_marker(block: dict[str, Any], marker: str) -> bool:
    if block.get("type") != "paragraph":
        return False
    items = (block.get("paragraph") or {}).get("rich_text") or []
    text = "".join(str(i.get("plain_text") or i.get("text", {}).get("content", "")) for i in items)
    return text == marker


def _rich_text(text: str) -> dict[str, Any]:
    return {"rich_text": [{"type": "text", "text": {"content": text[:2000]}}]}


def _retry_after(headers: httpx.Headers) -> float | None:
    value = headers.get("retry-after")
    try:
        return float(value) if value else None
    except ValueError:
        return None
