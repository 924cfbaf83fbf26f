"""Query validation and cursors as n8n's public API does them.

express-openapi-validator checks the query against the OpenAPI spec (400, ajv wording:
``request/query/limit must be <= 250``); the ``validCursor`` middleware decodes ``cursor``
(400 ``An invalid cursor was provided``). A cursor is base64 of compact JSON: executions page
by ``{"lastId", "limit"}`` (ids below ``lastId``), workflows by ``{"limit", "offset"}``. The
cursor's ``limit`` wins over the query's; filters are not in it (send them again).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any

from starlette.datastructures import QueryParams

from ._models import FILTER_STATUSES, INVALID_CURSOR, N8nError, invalid

DEFAULT_LIMIT = 100
MAX_LIMIT = 250


def boolean(query: QueryParams, name: str) -> bool | None:
    """A boolean query parameter (``true``/``false``), None when absent."""
    raw = query.get(name)
    if raw is None:
        return None
    if raw in ("true", "false"):
        return raw == "true"
    raise invalid(f"request/query/{name} must be boolean")


def limit(query: QueryParams) -> int:
    """``limit``: a number, at most 250 (default 100). Like TypeORM's ``take``, zero or less
    means no limit; a fraction is cut down."""
    raw = query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    try:
        value = float(raw)
    except ValueError:
        raise invalid("request/query/limit must be number") from None
    if not math.isfinite(value):
        raise invalid("request/query/limit must be number")
    if value > MAX_LIMIT:
        raise invalid(f"request/query/limit must be <= {MAX_LIMIT}")
    return max(0, math.floor(value))


def status(query: QueryParams) -> str | None:
    """``status``: one of the spec's enum (``error`` also matches ``crashed``)."""
    raw = query.get("status")
    if raw is None or raw in FILTER_STATUSES:
        return raw
    allowed = ", ".join(FILTER_STATUSES)
    raise invalid(f"request/query/status must be equal to one of the allowed values: {allowed}")


def execution_id(raw: str) -> str:
    """The ``{id}`` of ``/executions/{id}``: the spec types it as a number."""
    try:
        value = float(raw)
    except ValueError:
        raise invalid("request/params/id must be number") from None
    if not math.isfinite(value):
        raise invalid("request/params/id must be number")
    return str(int(value)) if value.is_integer() else raw


def encode(payload: dict[str, Any]) -> str:
    """``Buffer.from(JSON.stringify(payload)).toString('base64')``."""
    text = json.dumps(payload, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode()


def decode(cursor: str) -> dict[str, Any]:
    """A cursor's JSON object; 400 if it is not one."""
    try:
        data = json.loads(base64.b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error):
        raise N8nError(400, INVALID_CURSOR) from None
    if not isinstance(data, dict):
        raise N8nError(400, INVALID_CURSOR)
    return data


def page_after(query: QueryParams) -> tuple[int | None, int]:
    """``(lastId, limit)`` for executions: from the cursor if one is sent."""
    size = limit(query)
    cursor = query.get("cursor")
    if not cursor:
        return None, size
    data = decode(cursor)
    try:
        last_id = int(str(data["lastId"]))
        size = int(data["limit"])
    except (KeyError, TypeError, ValueError):
        raise N8nError(400, INVALID_CURSOR) from None
    return last_id, size


def page_offset(query: QueryParams) -> tuple[int, int]:
    """``(offset, limit)`` for workflows: from the cursor if one is sent."""
    size = limit(query)
    cursor = query.get("cursor")
    if not cursor:
        return 0, size
    data = decode(cursor)
    try:  # a lastId cursor (no offset) only sets the limit, as upstream's validCursor does
        offset, size = int(data.get("offset", 0)), int(data["limit"])
    except (KeyError, TypeError, ValueError):
        raise N8nError(400, INVALID_CURSOR) from None
    if offset < 0 or size < 1:
        raise N8nError(400, INVALID_CURSOR)
    return offset, min(size, MAX_LIMIT)
