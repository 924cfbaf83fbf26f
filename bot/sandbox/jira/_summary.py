"""One-line summaries of request bodies for the journal."""

from __future__ import annotations

import json
from typing import Any

_FIELD_ORDER = ("project", "issuetype", "summary", "priority", "labels", "components")
LIMIT = 200


def _value(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("key", "name", "id", "value"):
            if key in value:
                return str(value[key])
    if isinstance(value, list):
        return ",".join(v if isinstance(v, str) else _value(v) for v in value)
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, default=str)


def summarize(body: Any) -> str:
    """``project=OPS issuetype=Incident summary='…' labels=a,b``, ``transition=21``,
    ``body='…'``, ``Relates OPS-1 -> OPS-2``, ``jql='…'``, else compact JSON; ≤ 200 chars."""
    if body is None:
        return ""
    parts: list[str] = []
    if isinstance(body, dict):
        fields = body.get("fields")
        if isinstance(fields, dict):
            ordered = [k for k in _FIELD_ORDER if k in fields]
            ordered += sorted(k for k in fields if k not in _FIELD_ORDER)
            parts += [f"{k}={_value(fields[k])}" for k in ordered]
        if isinstance(body.get("transition"), dict):
            parts.insert(0, f"transition={_value(body['transition'])}")
        if isinstance(body.get("update"), dict) and body["update"]:
            parts.append("update=" + json.dumps(body["update"], sort_keys=True, default=str))
        if "inwardIssue" in body or "outwardIssue" in body:
            parts.append(
                f"{_value(body.get('type'))} {_value(body.get('inwardIssue'))}"
                f" -> {_value(body.get('outwardIssue'))}"
            )
        for key in ("jql", "body"):
            if key in body:
                parts.append(f"{key}={_value(body[key])}")
    text = " ".join(parts) if parts else json.dumps(body, sort_keys=True, default=str)
    return text if len(text) <= LIMIT else text[: LIMIT - 1] + "…"
