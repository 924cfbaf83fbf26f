"""In-memory, thread-safe workspace of the sandbox Notion: one database, its data source, pages."""

from __future__ import annotations

import copy
import time
from typing import Any

from .._faults import SandboxState
from ._models import (
    API_VERSION,
    DEFAULT_DATA_SOURCE_ID,
    DEFAULT_DATABASE_ID,
    DEFAULT_TOKEN,
    Json,
    NotionCall,
    NotionFault,
    body_invalid,
    new_id,
    normalize_id,
    not_found,
    validation,
)
from ._query import compile_filter, paginate, sort_key
from ._render import (
    block_json,
    bot_user,
    data_source_json,
    database_json,
    incident_schema,
    list_json,
    page_json,
)
from ._values import check_children, property_values


class NotionState(SandboxState[NotionFault, NotionCall]):
    """The emulated workspace; every access goes through one re-entrant lock.

    API operations answer JSON like Notion's and raise :class:`NotionError`; the accessors
    (:meth:`pages`, :meth:`page`, :meth:`blocks`, :meth:`calls`, :meth:`count`) are for tests.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        database_id: str = DEFAULT_DATABASE_ID,
        data_source_id: str = DEFAULT_DATA_SOURCE_ID,
        *,
        database_title: str = "Incidents",
        versions: tuple[str, ...] = (API_VERSION,),
    ) -> None:
        super().__init__()
        self.token, self.versions = token, versions
        self.database_id = normalize_id(database_id, "database_id")
        self.data_source_id = normalize_id(data_source_id, "data_source_id")
        self.database_title = database_title
        self.schema = incident_schema()
        self.created = time.time()
        self._pages: dict[str, Json] = {}
        self._blocks: dict[str, list[Json]] = {}

    # ----- journal and faults ------------------------------------------------------------
    def record(
        self,
        method: str,
        path: str,
        status: int,
        version: str | None,
        code: str | None = None,
        fault: str | None = None,
    ) -> NotionCall:
        """Append one request to the journal."""
        return self._journal.record(NotionCall, method, path, status, version, code, fault)

    def count(self, method: str | None = None, path_prefix: str = "/v1/") -> int:
        """How many requests of ``method`` (any if None) hit paths under ``path_prefix``."""
        return self._journal.count(method, path_prefix)

    # ----- test accessors ----------------------------------------------------------------
    def pages(self, *, include_trashed: bool = True) -> list[Json]:
        """Every page as ``GET /v1/pages/{id}`` answers it, in creation order."""
        with self.lock:
            return [
                self._page_json(r)
                for r in self._pages.values()
                if include_trashed or not r["in_trash"]
            ]

    def page(self, page_id: str) -> Json:
        """One page as the API answers it; ``KeyError`` if unknown."""
        with self.lock:
            return self._page_json(self._pages[normalize_id(page_id)])

    def blocks(self, page_id: str) -> list[Json]:
        """The child blocks of a page as the API answers them, in order."""
        with self.lock:
            return [block_json(b) for b in self._blocks.get(normalize_id(page_id), [])]

    # ----- API: users, database, data source ---------------------------------------------
    def me(self) -> Json:
        """``GET /v1/users/me``: the integration's bot user."""
        return bot_user()

    def get_database(self, raw_id: str) -> Json:
        """``GET /v1/databases/{id}`` in the 2025-09-03 shape (``data_sources``, no schema)."""
        if normalize_id(raw_id, "database_id") != self.database_id:
            raise not_found("database", raw_id)
        return database_json(
            self.database_id, self.data_source_id, self.database_title, self.created
        )

    def _check_source(self, raw_id: str) -> None:
        if normalize_id(raw_id, "data_source_id") != self.data_source_id:
            raise not_found("data_source", raw_id)

    def get_data_source(self, raw_id: str) -> Json:
        """``GET /v1/data_sources/{id}``: the schema under ``properties``."""
        self._check_source(raw_id)
        with self.lock:
            return data_source_json(
                self.database_id,
                self.data_source_id,
                self.database_title,
                self.created,
                self.schema,
            )

    def query(self, raw_id: str, body: Json, only_ids: list[str] | None = None) -> Json:
        """``POST /v1/data_sources/{id}/query``: filter, sort, paginate the pages."""
        self._check_source(raw_id)
        with self.lock:
            trashed = bool(body.get("in_trash") or body.get("archived"))
            records = [r for r in self._pages.values() if r["in_trash"] == trashed]
            if body.get("filter") is not None:
                pred = compile_filter(self.schema, body["filter"])
                records = [r for r in records if pred(r["values"])]
            sorts = body.get("sorts") or []
            if not isinstance(sorts, list):
                raise body_invalid("body.sorts", "should be an array")
            for spec in reversed(sorts):
                key, descending = sort_key(self.schema, spec)
                records.sort(key=key, reverse=descending)
            chunk, cursor = paginate(records, body.get("start_cursor"), body.get("page_size"))
            results = [self._page_json(r, only_ids) for r in chunk]
            return list_json(results, cursor, "page_or_data_source")

    # ----- API: pages --------------------------------------------------------------------
    def _parent_source(self, parent: Any) -> None:
        if not isinstance(parent, dict):
            raise body_invalid("body.parent", "should be an object")
        if "data_source_id" in parent:
            self._check_source(str(parent["data_source_id"]))
        elif "database_id" in parent:  # still accepted while the database has one data source
            if normalize_id(str(parent["database_id"]), "database_id") != self.database_id:
                raise not_found("database", str(parent["database_id"]))
        else:
            raise body_invalid(
                "body.parent", "should have a data_source_id (the sandbox holds no other parents)"
            )

    def create_page(self, body: Json) -> Json:
        """``POST /v1/pages`` under the data source; validates properties and ``children``."""
        self._parent_source(body.get("parent"))
        blocks = check_children(body["children"]) if "children" in body else []
        with self.lock:
            schema = copy.deepcopy(self.schema)
            values = property_values(schema, body.get("properties", {}))
            self.schema = schema
            now = time.time()
            record: Json = {
                "id": new_id(),
                "seq": len(self._pages) + 1,
                "created_time": now,
                "last_edited_time": now,
                "values": values,
                "in_trash": False,
                "icon": body.get("icon"),
                "cover": body.get("cover"),
            }
            self._pages[record["id"]] = record
            self._blocks[record["id"]] = []
            self._append(record["id"], blocks, None)
            return self._page_json(record)

    def _record(self, raw_id: str) -> Json:
        record = self._pages.get(normalize_id(raw_id, "page_id"))
        if record is None:
            raise not_found("page", raw_id)
        return record

    def get_page(self, raw_id: str, only_ids: list[str] | None = None) -> Json:
        """``GET /v1/pages/{id}`` (trashed pages too, with ``in_trash: true``)."""
        with self.lock:
            return self._page_json(self._record(raw_id), only_ids)

    def update_page(self, raw_id: str, body: Json) -> Json:
        """``PATCH /v1/pages/{id}``: merge ``properties``; ``in_trash``/``archived`` (un)trash."""
        with self.lock:
            record = self._record(raw_id)
            trash = body.get("in_trash", body.get("archived"))
            if record["in_trash"] and trash is not False:
                raise validation(
                    "Can't edit block that is archived. "
                    "You must unarchive the block before editing."
                )
            schema = copy.deepcopy(self.schema)
            values = property_values(schema, body.get("properties") or {})
            self.schema = schema
            record["values"].update(values)
            for key in ("icon", "cover"):
                if key in body:
                    record[key] = body[key]
            if trash is not None:
                record["in_trash"] = bool(trash)
            record["last_edited_time"] = time.time()
            return self._page_json(record)

    def _page_json(self, record: Json, only_ids: list[str] | None = None) -> Json:
        parent = {
            "type": "data_source_id",
            "data_source_id": self.data_source_id,
            "database_id": self.database_id,
        }
        return page_json(record, self.schema, parent, only_ids)

    # ----- API: blocks -------------------------------------------------------------------
    def _children_of(self, raw_id: str) -> list[Json]:
        block_id = normalize_id(raw_id, "block_id")
        if block_id in self._blocks:
            return self._blocks[block_id]
        if any(b["id"] == block_id for bs in self._blocks.values() for b in bs):
            raise validation("Block does not support children in the sandbox (pages only).")
        raise not_found("block", raw_id)

    def list_children(self, raw_id: str, cursor: Any, size: Any) -> Json:
        """``GET /v1/blocks/{id}/children`` for a page."""
        with self.lock:
            items = [block_json(b) for b in self._children_of(raw_id)]
            chunk, next_cursor = paginate(items, cursor, size)
            return list_json(chunk, next_cursor, "block")

    def append_children(self, raw_id: str, body: Json) -> Json:
        """``PATCH /v1/blocks/{id}/children``: append (or insert ``after``) up to 100 blocks."""
        blocks = check_children(body.get("children"))
        if body.get("position") is not None:
            raise validation("The sandbox supports `after`, not `position`, when appending.")
        with self.lock:
            self._children_of(raw_id)
            page_id = normalize_id(raw_id, "block_id")
            if self._pages[page_id]["in_trash"]:
                raise validation("Can't edit block that is archived.")
            added = self._append(page_id, blocks, body.get("after"))
            return list_json([block_json(b) for b in added], None, "block")

    def _append(self, page_id: str, blocks: list[tuple[str, Json]], after: Any) -> list[Json]:
        children = self._blocks[page_id]
        at = len(children)
        if after is not None:
            ids = [b["id"] for b in children]
            after_id = normalize_id(str(after), "after")
            if after_id not in ids:
                raise validation(f"Could not find block with ID: {after} among the children.")
            at = ids.index(after_id) + 1
        now = time.time()
        added = [
            {"id": new_id(), "page_id": page_id, "type": kind, "content": content, "time": now}
            for kind, content in blocks
        ]
        children[at:at] = added
        if added and page_id in self._pages:
            self._pages[page_id]["last_edited_time"] = now
        return added
