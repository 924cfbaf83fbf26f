"""Request validation and response rendering: rich text, property values, blocks.

Checks follow Notion's: unknown property, wrong type, more than 100 rich text items, text
content over 2000 characters (UTF-16 code units, as Notion counts them), more than 100
children, bad dates and select names all answer 400 ``validation_error``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from ._models import Json, body_invalid, validation

MAX_TEXT = 2000
MAX_ITEMS = 100
_ANNOTATIONS = ("bold", "italic", "strikethrough", "underline", "code")


def _json_repr(value: Any) -> str:
    """A value as Notion quotes it in messages."""
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).lower() if isinstance(value, bool) else repr(value)


def _rich_text_item(item: Any, path: str) -> Json:
    if not isinstance(item, dict):
        raise body_invalid(path, f"should be an object, instead was `{_json_repr(item)}`")
    kind = item.get("type", "text")
    if kind != "text" or not isinstance(item.get("text"), dict):
        raise body_invalid(f"{path}.text", "should be defined (the sandbox supports text only)")
    text = item["text"]
    content = text.get("content")
    if not isinstance(content, str):
        raise body_invalid(f"{path}.text.content", "should be a string")
    units = len(content.encode("utf-16-le")) // 2  # Notion counts UTF-16 code units
    if units > MAX_TEXT:
        raise body_invalid(
            f"{path}.text.content.length", f"should be ≤ `{MAX_TEXT}`, instead was `{units}`"
        )
    link = text.get("link")
    href: str | None = None
    if link is not None:
        if not isinstance(link, dict) or not isinstance(link.get("url"), str):
            raise body_invalid(f"{path}.text.link.url", "should be a string")
        href = link["url"]
    given = item.get("annotations") or {}
    if not isinstance(given, dict):
        raise body_invalid(f"{path}.annotations", "should be an object")
    annotations: Json = {k: bool(given.get(k, False)) for k in _ANNOTATIONS}
    annotations["color"] = str(given.get("color", "default"))
    return {
        "type": "text",
        "text": {"content": content, "link": {"url": href} if href else None},
        "annotations": annotations,
        "plain_text": content,
        "href": href,
    }


def rich_text(items: Any, path: str) -> list[Json]:
    """Validate a request rich text array; answer the response form (with ``plain_text``)."""
    if not isinstance(items, list):
        raise body_invalid(path, f"should be an array, instead was `{_json_repr(items)}`")
    if len(items) > MAX_ITEMS:
        raise body_invalid(
            f"{path}.length", f"should be ≤ `{MAX_ITEMS}`, instead was `{len(items)}`"
        )
    return [_rich_text_item(item, f"{path}[{i}]") for i, item in enumerate(items)]


def plain_text(items: list[Json]) -> str:
    """The concatenated ``plain_text`` of a rich text array."""
    return "".join(str(i.get("plain_text", "")) for i in items)


# ----- schema --------------------------------------------------------------------------------
def property_id(name: str) -> str:
    """A stable short property id (Notion's are short opaque strings; the title's is ``title``)."""
    return hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()[:4]


def option(name: str, color: str = "default") -> Json:
    """A select option of the schema."""
    oid = hashlib.sha1(f"opt:{name}".encode(), usedforsecurity=False).hexdigest()[:8]
    return {"id": oid, "name": name, "color": color, "description": None}


def schema_property(name: str, kind: str, config: Json | None = None) -> Json:
    """One property of a data source schema."""
    pid = "title" if kind == "title" else property_id(name)
    return {"id": pid, "name": name, "type": kind, "description": "", kind: config or {}}


# ----- property values -----------------------------------------------------------------------
def _date(value: Any, path: str) -> Json | None:
    if value is None:
        return None
    if not isinstance(value, dict) or "start" not in value:
        raise body_invalid(path, "should be an object with a start date, or null")
    out: Json = {"start": None, "end": None, "time_zone": value.get("time_zone")}
    for key in ("start", "end"):
        raw = value.get(key)
        if raw is None and key == "end":
            continue
        if not isinstance(raw, str) or parse_date(raw) is None:
            raise body_invalid(
                f"{path}.{key}",
                f"should be a valid ISO 8601 date string, instead was `{_json_repr(raw)}`",
            )
        out[key] = raw
    return out


def parse_date(raw: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time as an aware datetime (UTC if no offset); None if invalid."""
    try:
        if len(raw) == 10:
            parsed = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        else:
            parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _select(prop: Json, value: Any, path: str) -> Json | None:
    if value is None:
        return None
    options: list[Json] = prop["select"].setdefault("options", [])
    if not isinstance(value, dict):
        raise body_invalid(path, "should be an object or null")
    if "id" in value and "name" not in value:
        for opt in options:
            if opt["id"] == value["id"]:
                return {k: opt[k] for k in ("id", "name", "color")}
        raise validation(f"Invalid select option id `{value['id']}` for {prop['name']}.")
    name = value.get("name")
    if not isinstance(name, str) or not name.strip():
        raise body_invalid(f"{path}.name", "should be a non-empty string")
    if "," in name:
        raise validation(f"Invalid select option, commas not allowed: {name}")
    if len(name) > MAX_ITEMS:
        raise body_invalid(f"{path}.name.length", f"should be ≤ `{MAX_ITEMS}`")
    for opt in options:
        if opt["name"] == name:
            return {k: opt[k] for k in ("id", "name", "color")}
    created = option(name)  # Notion adds a missing select option to the schema on write
    options.append(created)
    return {k: created[k] for k in ("id", "name", "color")}


def _typed_value(prop: Json, value: Any, path: str) -> Any:
    kind = prop["type"]
    if kind in ("title", "rich_text"):
        return rich_text(value, path)
    if kind == "select":
        return _select(prop, value, path)
    if kind == "date":
        return _date(value, path)
    if kind == "number":
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise body_invalid(path, f"should be a number or null, instead was `{value!r}`")
        return value
    if kind == "url":
        if value is not None and (not isinstance(value, str) or not value):
            raise body_invalid(path, "should be a non-empty string or null")
        if isinstance(value, str) and len(value) > MAX_TEXT:
            raise body_invalid(f"{path}.length", f"should be ≤ `{MAX_TEXT}`")
        return value
    raise validation(f"The sandbox does not support writing {kind} properties ({prop['name']}).")


def find_property(schema: dict[str, Json], key: str) -> Json | None:
    """A schema property by name or by id."""
    if key in schema:
        return schema[key]
    return next((p for p in schema.values() if p["id"] == key), None)


def property_values(schema: dict[str, Json], given: Any) -> dict[str, Any]:
    """Validate a ``properties`` request object; answer ``{name: typed value}``."""
    if not isinstance(given, dict):
        raise body_invalid("body.properties", "should be an object")
    out: dict[str, Any] = {}
    for key, value in given.items():
        prop = find_property(schema, key)
        if prop is None:
            raise validation(f"{key} is not a property that exists.")
        kind = prop["type"]
        if not isinstance(value, dict):
            raise body_invalid(f"body.properties.{key}", "should be an object")
        if kind not in value:
            raise validation(f"{prop['name']} is expected to be {kind}.")
        out[prop["name"]] = _typed_value(prop, value[kind], f"body.properties.{key}.{kind}")
    return out


def empty_value(kind: str) -> Any:
    """The value of a property never written."""
    return [] if kind in ("title", "rich_text") else None


def render_properties(
    schema: dict[str, Json], values: dict[str, Any], only_ids: list[str] | None = None
) -> Json:
    """Every schema property of a page as a property value object ``{id, type, <type>}``."""
    out: Json = {}
    for name, prop in schema.items():
        if only_ids and prop["id"] not in only_ids:
            continue
        kind = prop["type"]
        value = values.get(name, empty_value(kind))
        out[name] = {"id": prop["id"], "type": kind, kind: value}
    return out


# ----- blocks --------------------------------------------------------------------------------
TEXT_BLOCKS = (
    "paragraph",
    "heading_1",
    "heading_2",
    "heading_3",
    "bulleted_list_item",
    "numbered_list_item",
    "quote",
    "to_do",
    "callout",
)
BLOCK_TYPES = (*TEXT_BLOCKS, "divider")


def block_content(block: Any, path: str) -> tuple[str, Json]:
    """Validate one request block; answer its type and the response form of its content."""
    if not isinstance(block, dict):
        raise body_invalid(path, "should be an object")
    kind = block.get("type") or next((k for k in block if k in BLOCK_TYPES), None)
    if kind not in BLOCK_TYPES:
        other = kind or next((k for k in block if k not in ("object", "type")), "?")
        raise body_invalid(
            path, f"has unsupported block type `{other}` (sandbox: {', '.join(BLOCK_TYPES)})"
        )
    given = block.get(kind)
    if not isinstance(given, dict):
        raise body_invalid(f"{path}.{kind}", "should be defined, instead was `undefined`")
    if given.get("children"):
        raise body_invalid(f"{path}.{kind}.children", "is not supported by the sandbox")
    if kind == "divider":
        return kind, {}
    content: Json = {
        "rich_text": rich_text(given.get("rich_text"), f"{path}.{kind}.rich_text"),
        "color": str(given.get("color", "default")),
    }
    if kind.startswith("heading_"):
        content["is_toggleable"] = bool(given.get("is_toggleable", False))
    elif kind == "to_do":
        content["checked"] = bool(given.get("checked", False))
    elif kind == "callout":
        content["icon"] = given.get("icon") or {"type": "emoji", "emoji": "💡"}
    return kind, content


def check_children(children: Any, path: str = "body.children") -> list[tuple[str, Json]]:
    """Validate a ``children`` array (at most 100 blocks)."""
    if not isinstance(children, list):
        raise body_invalid(path, "should be an array")
    if len(children) > MAX_ITEMS:
        raise body_invalid(
            f"{path}.length", f"should be ≤ `{MAX_ITEMS}`, instead was `{len(children)}`"
        )
    return [block_content(b, f"{path}[{i}]") for i, b in enumerate(children)]
