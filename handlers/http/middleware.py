"""Per-request concerns for every HTTP route: request id, trace span and metrics."""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot import telemetry
from bot.logs import request_id_var
from bot.metrics import Metrics

__all__ = ["RequestContextMiddleware"]

_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Sets the request id (``X-Request-ID`` in, or a new one) and echoes it; serves the
    request inside a server span (a child of an incoming W3C ``traceparent``), whose
    ``traceparent`` is sent back; records metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming_id, parent = _incoming(scope)
        request_id = incoming_id or uuid.uuid4().hex[:16]
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        method = scope["method"]
        attributes = {"http.request.method": method, "url.path": scope["path"]}
        reply = _Reply(send, request_id)
        try:
            with telemetry.span(method, parent=parent, kind="server", attributes=attributes):
                reply.traceparent = telemetry.traceparent()
                try:
                    await self.app(scope, receive, reply.send)
                finally:
                    _finish_span(method, _route_of(scope), reply.status)
        finally:
            route = _route_of(scope)
            self.metrics.http_requests.labels(method, route, str(reply.status)).inc()
            self.metrics.http_latency.labels(route).observe(time.perf_counter() - started)
            request_id_var.reset(token)


class _Reply:
    """Passes the response on with ``X-Request-ID`` and ``traceparent``; keeps its status."""

    def __init__(self, send: Send, request_id: str) -> None:
        self._send = send
        self._request_id = request_id.encode()
        self.traceparent: str | None = None
        self.status = 500

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            headers = [*message.get("headers", []), (b"x-request-id", self._request_id)]
            if self.traceparent:
                headers.append((b"traceparent", self.traceparent.encode()))
            message["headers"] = headers
        await self._send(message)


def _finish_span(method: str, route: str, status: int) -> None:
    matched = route != "unmatched"
    attributes: dict[str, str | int] = {"http.response.status_code": status}
    if matched:
        attributes["http.route"] = route
    telemetry.annotate(attributes, name=f"{method} {route}" if matched else method)
    if status >= 500:
        telemetry.record_error(f"HTTP {status}")


def _incoming(scope: Scope) -> tuple[str | None, str | None]:
    """The request id (when it is safe to echo) and the ``traceparent`` sent with it."""
    request_id = parent = None
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            request_id = text if _SAFE_ID.match(text) else None
        elif name == b"traceparent":
            parent = value.decode("latin-1")
    return request_id, parent


def _route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"
