"""The sandbox's HTTP face: n8n's public API (``/api/v1``), ``/healthz``, ``/_sandbox/*``.

Order of checks on ``/api/v1/*``, as express-openapi-validator runs them upstream: route (404
``not found``), method (405 ``<METHOD> method not allowed``), ``X-N8N-API-KEY`` (401
``'X-N8N-API-KEY' header required`` / ``unauthorized``), query validation (400), injected
faults, then the operation. Every error body is ``{"message": ...}``. Every request is
journaled. Only the read operations opsbot uses are served; other methods answer 405.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import get_args

from starlette.applications import Starlette
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .._faults import client_gone_within, sandbox_routes
from ._models import (
    KEY_REQUIRED,
    ROUTE_NOT_FOUND,
    UNAUTHORIZED,
    FaultKind,
    Json,
    N8nError,
    N8nFault,
)
from ._seed import seed
from ._state import N8nState

Handler = Callable[[N8nState, str, QueryParams], Json]

_ROUTES: list[tuple[re.Pattern[str], Handler]] = [
    (re.compile(r"/api/v1/workflows"), lambda s, i, q: s.list_workflows(q)),
    (re.compile(r"/api/v1/workflows/(?P<id>[^/]+)"), lambda s, i, q: s.get_workflow(i, q)),
    (re.compile(r"/api/v1/executions"), lambda s, i, q: s.list_executions(q)),
    (re.compile(r"/api/v1/executions/(?P<id>[^/]+)"), lambda s, i, q: s.get_execution(i, q)),
]
_PROXY_PAGES = {
    502: "502 Bad Gateway",
    503: "503 Service Temporarily Unavailable",
    504: "504 Gateway Time-out",
}


def _route(path: str) -> tuple[Handler, str] | None:
    for pattern, handler in _ROUTES:
        found = pattern.fullmatch(path.rstrip("/") or "/")
        if found is not None:
            return handler, found.groupdict().get("id") or ""
    return None


class _Api:
    """The ``/api/v1/*`` endpoint; ``state`` may be swapped between tests."""

    def __init__(self, state: N8nState) -> None:
        self.state = state

    def answer(
        self,
        request: Request,
        status: int,
        body: Json,
        *,
        headers: dict[str, str] | None = None,
        fault: str | None = None,
    ) -> Response:
        message = str(body["message"]) if status >= 400 and "message" in body else None
        query = dict(request.query_params)
        self.state.record(request.method, request.url.path, query, status, message, fault)
        return JSONResponse(body, status_code=status, headers=headers)

    def _check(self, request: Request) -> tuple[Handler, str]:
        found = _route(request.url.path)
        if found is None:
            raise N8nError(404, ROUTE_NOT_FOUND)
        if request.method != "GET":
            raise N8nError(405, f"{request.method} method not allowed")
        key = request.headers.get("x-n8n-api-key")
        if not key:
            raise N8nError(401, KEY_REQUIRED)
        if key != self.state.api_key:
            raise N8nError(401, UNAUTHORIZED)
        return found

    async def handle(self, request: Request) -> Response:
        try:
            handler, object_id = self._check(request)
        except N8nError as exc:
            return self.answer(request, exc.status, exc.body())
        fault = self.state.take_fault(request.method, request.url.path)
        if fault is not None:
            early = await self._fault_before(request, fault)
            if early is not None:
                return early
        try:
            result, status = handler(self.state, object_id, request.query_params), 200
        except N8nError as exc:
            result, status = exc.body(), exc.status
        return self.answer(request, status, result, fault=fault.kind if fault else None)

    async def _fault_before(self, request: Request, fault: N8nFault) -> Response | None:
        if fault.kind == "rate_limited":
            headers = {"Retry-After": str(fault.retry_after)}
            body = {"message": "Too Many Requests"}
            return self.answer(request, 429, body, headers=headers, fault=fault.kind)
        if fault.kind == "error":
            page = _PROXY_PAGES.get(fault.status)
            if page is None:
                body = {"message": f"Injected error {fault.status}"}
                return self.answer(request, fault.status, body, fault=fault.kind)
            query = dict(request.query_params)
            self.state.record(
                request.method, request.url.path, query, fault.status, page, fault.kind
            )
            html = f"<html><head><title>{page}</title></head><body><h1>{page}</h1></body></html>"
            return Response(html, status_code=fault.status, media_type="text/html")
        if fault.kind == "delay" and await client_gone_within(request, fault.delay):
            return self.answer(request, 499, {"message": "client gone"}, fault=fault.kind)
        return None


def create_n8n_app(state: N8nState | None = None) -> Starlette:
    """An ASGI app emulating n8n's public API on ``state`` (a fresh one by default).

    ``app.state.api.state`` is the live :class:`N8nState`; assigning it swaps instances.
    ``/_sandbox/journal``, ``/_sandbox/faults`` (GET/POST/DELETE) and ``/_sandbox/seed``
    (POST, see :func:`bot.sandbox.n8n.seed`) let out-of-process demos steer it (no key:
    loopback only).
    """
    api = _Api(state or N8nState())

    async def seeding(request: Request) -> Response:
        try:
            made = seed(api.state, json.loads(await request.body() or b"{}"))
        except (ValueError, TypeError, KeyError) as exc:
            return JSONResponse({"ok": False, "error": str(exc)}, status_code=400)
        return JSONResponse({"ok": True, **made})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    methods = ["GET", "POST", "PATCH", "DELETE", "PUT"]
    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            *sandbox_routes(lambda: api.state, N8nFault, get_args(FaultKind)),
            Route("/_sandbox/seed", seeding, methods=["POST"]),
            Route("/{path:path}", api.handle, methods=methods),
        ]
    )
    app.state.api = api
    return app
