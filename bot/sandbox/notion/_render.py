"""The seeded schema and the response shapes: user, database, data source, page, block, list."""

from __future__ import annotations

import copy
import re

from ._models import BOT_USER_ID, PARENT_PAGE_ID, Json, iso_minute, user_ref
from ._values import option, plain_text, render_properties, schema_property


def incident_schema() -> dict[str, Json]:
    """The seeded "Incidents" data source schema, by property name."""
    colors = {"S1": "red", "S2": "orange", "S3": "yellow"}
    status = {"open": "red", "acknowledged": "yellow", "resolved": "green", "closed": "gray"}
    props = [
        schema_property("Title", "title"),
        schema_property(
            "Severity", "select", {"options": [option(n, c) for n, c in colors.items()]}
        ),
        schema_property("Status", "select", {"options": [option(n, c) for n, c in status.items()]}),
        schema_property("Service", "rich_text"),
        schema_property("Client", "rich_text"),
        schema_property("Opened", "date"),
        schema_property("Acknowledged", "date"),
        schema_property("Resolved", "date"),
        schema_property("MTTA (min)", "number", {"format": "number"}),
        schema_property("MTTR (min)", "number", {"format": "number"}),
        schema_property("Jira", "url"),
        schema_property("Slack", "url"),
        schema_property("opsbot id", "rich_text"),
    ]
    return {p["name"]: p for p in props}


def title_text(text: str) -> list[Json]:
    """A one-item rich text array in the response form."""
    annotations: Json = dict.fromkeys(
        ("bold", "italic", "strikethrough", "underline", "code"), False
    )
    annotations["color"] = "default"
    return [
        {
            "type": "text",
            "text": {"content": text, "link": None},
            "annotations": annotations,
            "plain_text": text,
            "href": None,
        }
    ]


def notion_url(title: str, object_id: str) -> str:
    """``https://www.notion.so/<Title-slug>-<id without dashes>``."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-")
    tail = object_id.replace("-", "")
    return f"https://www.notion.so/{slug}-{tail}" if slug else f"https://www.notion.so/{tail}"


def bot_user() -> Json:
    """``GET /v1/users/me``: the integration's bot user."""
    return {
        "object": "user",
        "id": BOT_USER_ID,
        "name": "opsbot",
        "avatar_url": None,
        "type": "bot",
        "bot": {
            "owner": {"type": "workspace", "workspace": True},
            "workspace_name": "opsbot sandbox",
        },
    }


def _container(kind: str, object_id: str, title: str, created: float) -> Json:
    stamp = iso_minute(created)
    return {
        "object": kind,
        "id": object_id,
        "created_time": stamp,
        "last_edited_time": stamp,
        "created_by": user_ref(),
        "last_edited_by": user_ref(),
        "title": title_text(title),
        "description": [],
        "icon": None,
        "cover": None,
        "archived": False,
        "in_trash": False,
        "is_inline": False,
        "url": notion_url(title, object_id),
        "public_url": None,
    }


def database_json(database_id: str, data_source_id: str, title: str, created: float) -> Json:
    """A database in the 2025-09-03 shape: a container listing its ``data_sources``."""
    return {
        **_container("database", database_id, title, created),
        "parent": {"type": "page_id", "page_id": PARENT_PAGE_ID},
        "is_locked": False,
        "data_sources": [{"id": data_source_id, "name": title}],
    }


def data_source_json(
    database_id: str, data_source_id: str, title: str, created: float, schema: dict[str, Json]
) -> Json:
    """A data source: its schema under ``properties``, its database as ``parent``."""
    return {
        **_container("data_source", data_source_id, title, created),
        "parent": {"type": "database_id", "database_id": database_id},
        "database_parent": {"type": "page_id", "page_id": PARENT_PAGE_ID},
        "properties": copy.deepcopy(schema),
    }


def page_json(
    record: Json,
    schema: dict[str, Json],
    parent: Json,
    only_ids: list[str] | None = None,
) -> Json:
    """A stored page record as a page object (every schema property, written or not)."""
    title_name = next((n for n, p in schema.items() if p["type"] == "title"), "")
    title = plain_text(record["values"].get(title_name, []))
    trashed = record["in_trash"]
    return {
        "object": "page",
        "id": record["id"],
        "created_time": iso_minute(record["created_time"]),
        "last_edited_time": iso_minute(record["last_edited_time"]),
        "created_by": user_ref(),
        "last_edited_by": user_ref(),
        "cover": copy.deepcopy(record["cover"]),
        "icon": copy.deepcopy(record["icon"]),
        "parent": dict(parent),
        "archived": trashed,
        "in_trash": trashed,
        "is_locked": False,
        "properties": copy.deepcopy(render_properties(schema, record["values"], only_ids)),
        "url": notion_url(title, record["id"]),
        "public_url": None,
    }


def block_json(block: Json) -> Json:
    """A stored block record as a block object."""
    stamp = iso_minute(block["time"])
    return {
        "object": "block",
        "id": block["id"],
        "parent": {"type": "page_id", "page_id": block["page_id"]},
        "created_time": stamp,
        "last_edited_time": stamp,
        "created_by": user_ref(),
        "last_edited_by": user_ref(),
        "has_children": False,
        "archived": False,
        "in_trash": False,
        "type": block["type"],
        block["type"]: copy.deepcopy(block["content"]),
    }


def list_json(results: list[Json], cursor: str | None, kind: str) -> Json:
    """A paginated list; ``kind`` is ``block`` or ``page_or_data_source``."""
    body: Json = {"object": "list", "results": results, "next_cursor": cursor}
    body |= {"has_more": cursor is not None, "type": kind, kind: {}}
    return body
