"""Data source queries: filters (text, select, number, date; ``and``/``or``), sorts, cursors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from ._models import Json, validation
from ._values import find_property, parse_date, plain_text

_TEXT_TYPES = ("title", "rich_text", "url")
_FILTER_TYPES = {"title": "text", "rich_text": "text", "url": "text", "select": "select"}
_FILTER_TYPES |= {"number": "number", "date": "date"}
_MAX_DEPTH = 2

Values = dict[str, Any]
"""One page's property values by name (what the state stores)."""

Predicate = Callable[[Values], bool]


def _text(value: Any) -> str | None:
    if isinstance(value, list):
        return plain_text(value) or None
    return value if isinstance(value, str) and value else None


def _text_test(op: str, arg: Any) -> Callable[[str | None], bool]:
    tests: dict[str, Callable[[str | None], bool]] = {
        "equals": lambda v: v == arg,
        "does_not_equal": lambda v: v != arg,
        "contains": lambda v: v is not None and str(arg).lower() in v.lower(),
        "does_not_contain": lambda v: v is None or str(arg).lower() not in v.lower(),
        "starts_with": lambda v: v is not None and v.lower().startswith(str(arg).lower()),
        "ends_with": lambda v: v is not None and v.lower().endswith(str(arg).lower()),
        "is_empty": lambda v: v is None,
        "is_not_empty": lambda v: v is not None,
    }
    if op not in tests:
        raise validation(f"Unsupported text filter condition `{op}`.")
    return tests[op]


def _ordered_test(op: str, arg: Any) -> Callable[[Any], bool]:
    tests: dict[str, Callable[[Any], bool]] = {
        "equals": lambda v: v is not None and v == arg,
        "does_not_equal": lambda v: v != arg,
        "greater_than": lambda v: v is not None and v > arg,
        "after": lambda v: v is not None and v > arg,
        "less_than": lambda v: v is not None and v < arg,
        "before": lambda v: v is not None and v < arg,
        "greater_than_or_equal_to": lambda v: v is not None and v >= arg,
        "on_or_after": lambda v: v is not None and v >= arg,
        "less_than_or_equal_to": lambda v: v is not None and v <= arg,
        "on_or_before": lambda v: v is not None and v <= arg,
        "is_empty": lambda v: v is None,
        "is_not_empty": lambda v: v is not None,
    }
    if op not in tests:
        raise validation(f"Unsupported filter condition `{op}`.")
    return tests[op]


def _date_of(value: Any) -> dt.datetime | None:
    if isinstance(value, dict) and isinstance(value.get("start"), str):
        return parse_date(value["start"])
    return None


def _leaf(schema: dict[str, Json], spec: Json) -> Predicate:
    key = spec.get("property")
    if not isinstance(key, str):
        raise validation("body failed validation: body.filter.property should be a string.")
    prop = find_property(schema, key)
    if prop is None:
        raise validation(f"Could not find property with name or id: {key}")
    name, kind = prop["name"], prop["type"]
    given = [k for k in spec if k != "property"]
    if len(given) != 1 or given[0] not in _FILTER_TYPES:
        raise validation(f"body failed validation: filter on {key} has no supported condition.")
    ftype = given[0]
    family = _FILTER_TYPES[ftype]
    if family != _FILTER_TYPES[kind] and not (family == "text" and kind in _TEXT_TYPES):
        raise validation(f"Filter type `{ftype}` does not match property {name} of type `{kind}`.")
    cond = spec[ftype]
    if not isinstance(cond, dict) or len(cond) != 1:
        raise validation(f"body failed validation: body.filter.{ftype} needs one condition.")
    ((op, arg),) = cond.items()
    if family == "text":
        text_test = _text_test(op, arg)
        return lambda values: text_test(_text(values.get(name)))
    if family == "select":
        test = _text_test(op, arg)
        return lambda values: test((values.get(name) or {}).get("name"))
    if family == "number":
        test = _ordered_test(op, arg)
        return lambda values: test(values.get(name))
    moment = parse_date(arg) if isinstance(arg, str) else None
    if moment is None and op not in ("is_empty", "is_not_empty"):
        raise validation(f"body failed validation: date filter on {name} needs an ISO 8601 date.")
    test = _ordered_test(op, moment)
    return lambda values: test(_date_of(values.get(name)))


def _combined(preds: list[Predicate], every: bool) -> Predicate:
    if every:
        return lambda values: all(p(values) for p in preds)
    return lambda values: any(p(values) for p in preds)


def compile_filter(schema: dict[str, Json], spec: Any, depth: int = 0) -> Predicate:
    """Turn a ``filter`` object into a predicate over page values (raises ``validation_error``)."""
    if not isinstance(spec, dict):
        raise validation("body failed validation: body.filter should be an object.")
    for combinator in ("and", "or"):
        if combinator in spec:
            if depth >= _MAX_DEPTH:
                raise validation("body failed validation: filter nesting exceeds 2 levels.")
            parts = spec[combinator]
            if not isinstance(parts, list):
                raise validation(f"body failed validation: body.filter.{combinator} is an array.")
            preds = [compile_filter(schema, p, depth + 1) for p in parts]
            return _combined(preds, combinator == "and")
    return _leaf(schema, spec)


def sort_key(schema: dict[str, Json], spec: Any) -> tuple[Callable[[Json], Any], bool]:
    """A key function over stored page records and whether it sorts descending."""
    if not isinstance(spec, dict) or spec.get("direction") not in ("ascending", "descending"):
        raise validation("body failed validation: each sort needs a direction.")
    descending = spec["direction"] == "descending"
    if "timestamp" in spec:
        stamp = spec["timestamp"]
        if stamp not in ("created_time", "last_edited_time"):
            raise validation(f"Invalid sort timestamp `{stamp}`.")
        return (lambda rec: (rec[stamp], rec["seq"])), descending
    prop = find_property(schema, str(spec.get("property")))
    if prop is None:
        raise validation(f"Could not find sort property with name or id: {spec.get('property')}")
    name, kind = prop["name"], prop["type"]

    def key(rec: Json) -> Any:
        value = rec["values"].get(name)
        if kind in _TEXT_TYPES:
            value = _text(value)
        elif kind == "select":
            value = (value or {}).get("name")
        elif kind == "date":
            value = _date_of(value)
        return (value is None, value if value is not None else 0)

    return key, descending


def paginate(items: Sequence[Json], cursor: Any, size: Any) -> tuple[list[Json], str | None]:
    """Slice ``items`` (each with an ``id``) from ``cursor``; answer the slice and next cursor."""
    if size is None:
        size = 100
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 100:
        raise validation("body failed validation: page_size should be an integer from 1 to 100.")
    start = 0
    if cursor is not None:
        ids = [i["id"] for i in items]
        if cursor not in ids:
            raise validation("The start_cursor provided is invalid.")
        start = ids.index(cursor)
    chunk = list(items[start : start + size])
    rest = items[start + size :]
    return chunk, (rest[0]["id"] if rest else None)
