"""The sandbox's HTTP face: the ``/v1/*`` Notion API and ``/_sandbox/*`` controls.

Order of checks on ``/v1/*``: route (400 ``invalid_request_url``), bearer token (401
``unauthorized``), ``Notion-Version`` (400 ``missing_version`` / ``invalid_request``), JSON body
(400 ``invalid_json``), injected faults, then the operation. Every request is journaled.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, get_args

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._faults import client_gone_within, sandbox_routes
from ._models import FaultKind, Json, NotionError, NotionFault, new_id, validation
from ._state import NotionState

Handler = Callable[[NotionState, str, QueryParams, Json], Json]


def _only(query: QueryParams) -> list[str] | None:
    return query.getlist("filter_properties") or None


def _page_size(query: QueryParams) -> Any:
    raw = query.get("page_size")
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise validation("query failed validation: page_size should be a number.") from None


_ID = r"(?P<id>[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = [
    ("GET", re.compile(r"/v1/users/me"), lambda s, i, q, b: s.me()),
    ("GET", re.compile(rf"/v1/databases/{_ID}"), lambda s, i, q, b: s.get_database(i)),
    ("GET", re.compile(rf"/v1/data_sources/{_ID}"), lambda s, i, q, b: s.get_data_source(i)),
    (
        "POST",
        re.compile(rf"/v1/data_sources/{_ID}/query"),
        lambda s, i, q, b: s.query(i, b, _only(q)),
    ),
    ("POST", re.compile(r"/v1/pages"), lambda s, i, q, b: s.create_page(b)),
    ("GET", re.compile(rf"/v1/pages/{_ID}"), lambda s, i, q, b: s.get_page(i, _only(q))),
    ("PATCH", re.compile(rf"/v1/pages/{_ID}"), lambda s, i, q, b: s.update_page(i, b)),
    (
        "GET",
        re.compile(rf"/v1/blocks/{_ID}/children"),
        lambda s, i, q, b: s.list_children(i, q.get("start_cursor"), _page_size(q)),
    ),
    (
        "PATCH",
        re.compile(rf"/v1/blocks/{_ID}/children"),
        lambda s, i, q, b: s.append_children(i, b),
    ),
]


def _route(method: str, path: str) -> tuple[Handler, str] | None:
    for verb, pattern, handler in _ROUTES:
        found = pattern.fullmatch(path)
        if found is not None and verb == method:
            return handler, found.groupdict().get("id") or ""
    return None


async def _read_json(request: Request) -> Json:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise NotionError(400, "invalid_json", "Error parsing JSON body.") from None
    if not isinstance(data, dict):
        raise validation("body failed validation: body should be an object.")
    return data


class _Api:
    """The ``/v1/*`` endpoint; ``state`` may be swapped between tests."""

    def __init__(self, state: NotionState) -> None:
        self.state = state

    def answer(
        self,
        request: Request,
        status: int,
        body: Json,
        *,
        headers: dict[str, str] | None = None,
        fault: str | None = None,
    ) -> JSONResponse:
        version = request.headers.get("notion-version")
        code = body.get("code") if body.get("object") == "error" else None
        self.state.record(request.method, request.url.path, status, version, code, fault)
        return JSONResponse(body, status_code=status, headers=headers)

    def _check_headers(self, request: Request) -> None:
        auth = request.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        if token != self.state.token:
            raise NotionError(401, "unauthorized", "API token is invalid.")
        version = request.headers.get("notion-version")
        if version is None:
            raise NotionError(
                400,
                "missing_version",
                "Notion-Version header failed validation: Notion-Version header should be "
                "defined, instead was `undefined`.",
            )
        if version not in self.state.versions:
            raise NotionError(
                400,
                "invalid_request",
                f"Notion-Version `{version}` is not supported by the sandbox "
                f"(it emulates {', '.join(self.state.versions)}).",
            )

    async def handle(self, request: Request) -> Response:
        body: Json = {}
        try:
            found = _route(request.method, request.url.path)
            if found is None:
                raise NotionError(400, "invalid_request_url", "Invalid request URL.")
            self._check_headers(request)
            body = await _read_json(request)
        except NotionError as exc:
            return self.answer(request, exc.status, exc.body())
        handler, object_id = found
        fault = self.state.take_fault(request.method, request.url.path)
        if fault is not None:
            early = await self._fault_before(request, fault)
            if early is not None:
                return early
        try:
            result = {**handler(self.state, object_id, request.query_params, body)}
            result["request_id"] = new_id()
            status = 200
        except NotionError as exc:
            result, status = exc.body(), exc.status
        response = self.answer(request, status, result, fault=fault.kind if fault else None)
        if fault is not None and fault.kind == "timeout_after_commit":
            # Applied and journaled; the answer is held back (or dropped if the client hangs up).
            await client_gone_within(request, fault.delay)
        return response

    async def _fault_before(self, request: Request, fault: NotionFault) -> Response | None:
        if fault.kind == "rate_limited":
            err = NotionError(
                429,
                "rate_limited",
                "You have been rate limited. Please try again in a few minutes.",
            )
            headers = {"Retry-After": str(fault.retry_after)}
            return self.answer(request, 429, err.body(), headers=headers, fault=fault.kind)
        if fault.kind == "error":
            err = NotionError(fault.status, fault.error_code, f"Injected {fault.error_code}.")
            return self.answer(request, fault.status, err.body(), fault=fault.kind)
        if fault.kind == "delay" and await client_gone_within(request, fault.delay):
            return self.answer(request, 499, {"object": "dropped"}, fault=fault.kind)
        return None


def create_notion_app(state: NotionState | None = None) -> Starlette:
    """An ASGI app emulating the Notion API on ``state`` (a fresh one by default).

    ``app.state.api.state`` is the live :class:`NotionState`; assigning it swaps workspaces.
    ``/_sandbox/journal``, ``/_sandbox/faults`` (GET/POST/DELETE) and ``/_sandbox/pages`` let
    out-of-process demos inspect and steer it (no token: loopback only).
    """
    api = _Api(state or NotionState())

    async def pages(request: Request) -> Response:
        return JSONResponse({"ok": True, "pages": api.state.pages()})

    methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
    app = Starlette(
        routes=[
            *sandbox_routes(lambda: api.state, NotionFault, get_args(FaultKind)),
            Route("/_sandbox/pages", pages, methods=["GET"]),
            Route("/{path:path}", api.handle, methods=methods),
        ]
    )
    app.state.api = api
    return app
