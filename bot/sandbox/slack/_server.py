"""The sandbox's HTTP face: ``/api/{method}``, ``/response/{id}`` and ``/_sandbox/*``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any, get_args
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ._catalog import REGISTRY
from ._errors import SlackError
from ._interactions import ResponseUrlError, use_response_url
from ._models import Fault, FaultKind
from ._registry import call
from ._state import SlackState


async def _read_args(request: Request) -> dict[str, Any]:
    """Query string merged with a form-encoded or JSON body."""
    args: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return args
    body = await request.body()
    ctype = request.headers.get("content-type", "")
    if "application/json" in ctype:
        if body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                raise SlackError("invalid_json") from None
            if not isinstance(data, dict):
                raise SlackError("json_not_object")
            args.update(data)
    elif body:
        try:
            args.update(parse_qsl(body.decode(), keep_blank_values=True))
        except UnicodeDecodeError:
            raise SlackError("invalid_charset") from None
    return args


def _token(request: Request, args: dict[str, Any]) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    token = args.get("token")
    return str(token) if token else None


class _Api:
    """The ``/api/{method}`` endpoint; ``state`` may be swapped between tests."""

    def __init__(self, state: SlackState) -> None:
        self.state = state

    def answer(
        self,
        method: str,
        args: dict[str, Any],
        body: dict[str, Any],
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> JSONResponse:
        self.state.record_call(
            method, args, ok=bool(body.get("ok")), error=body.get("error"), status=status
        )
        return JSONResponse(body, status_code=status, headers=headers)

    async def handle(self, request: Request) -> Response:
        method = request.path_params["method"]
        try:
            args = await _read_args(request)
        except SlackError as exc:
            return self.answer(method, {}, exc.body())
        spec = REGISTRY.get(method)
        if spec is None:
            return self.answer(method, args, SlackError("unknown_method").body())
        if request.method == "GET" and not spec.allow_get:
            return self.answer(method, args, {"ok": False, "error": "method_not_allowed"}, 405)
        token = _token(request, args)
        if token is None or token != self.state.bot_token:
            error = "not_authed" if token is None else "invalid_auth"
            return self.answer(method, args, SlackError(error).body())
        fault = self.state.take_fault(method)
        if fault is not None:
            early = await self._fault(method, args, fault)
            if early is not None:
                return early
        try:
            body = call(self.state, method, args)
        except SlackError as exc:
            body = exc.body()
        return self.answer(method, args, body)

    async def _fault(self, method: str, args: dict[str, Any], fault: Fault) -> Response | None:
        if fault.kind == "delay":
            await asyncio.sleep(fault.delay)
            return None
        if fault.kind == "ratelimited":
            return self.answer(
                method,
                args,
                {"ok": False, "error": "ratelimited"},
                429,
                {"Retry-After": str(int(fault.retry_after))},
            )
        return self.answer(method, args, {"ok": False, "error": fault.error})


def _entry_json(entry: Any) -> dict[str, Any]:
    return dataclasses.asdict(entry)


def create_sandbox_app(state: SlackState | None = None) -> Starlette:
    """An ASGI app emulating the Slack Web API on ``state`` (a fresh one by default).

    ``app.state.api.state`` is the live :class:`SlackState`; assigning it swaps workspaces.
    """
    st = state or SlackState()
    api = _Api(st)

    async def response_url(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            msg = use_response_url(api.state, request.path_params["rid"], body)
        except ResponseUrlError as exc:
            api.state.record_call("response_url", {}, ok=False, error=exc.error, status=exc.status)
            return JSONResponse({"ok": False, "error": exc.error}, status_code=exc.status)
        except ValueError:
            return JSONResponse({"ok": False, "error": "invalid_json"}, status_code=400)
        api.state.record_call("response_url", body, ok=True, error=None, status=200)
        return JSONResponse({"ok": True, "ts": msg.ts if msg else None})

    async def journal(request: Request) -> Response:
        method = request.query_params.get("method")
        return JSONResponse(
            {
                "ok": True,
                "calls": [_entry_json(e) for e in api.state.calls(method)],
                "count_by_method": api.state.count_by_method(),
            }
        )

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            api.state.clear_faults()
            return JSONResponse({"ok": True})
        if request.method == "GET":
            return JSONResponse({"ok": True, "faults": [_entry_json(f) for f in api.state.faults]})
        return _add_fault(api.state, await request.body())

    async def transcript(request: Request) -> Response:
        from ._transcript import render_transcript

        since = int(request.query_params.get("since_seq", "0"))
        return PlainTextResponse(render_transcript(api.state, since_seq=since))

    app = Starlette(
        routes=[
            Route("/api/{method}", api.handle, methods=["GET", "POST"]),
            Route("/response/{rid}", response_url, methods=["POST"]),
            Route("/_sandbox/journal", journal, methods=["GET"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/_sandbox/transcript", transcript, methods=["GET"]),
        ]
    )
    app.state.api = api
    return app


_FAULT_FIELDS = ("method", "kind", "retry_after", "error", "delay", "times", "every")


def _add_fault(state: SlackState, raw: bytes) -> Response:
    try:
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict) or data.get("kind", "error") not in get_args(FaultKind):
            raise ValueError("bad fault")
        fault = Fault(**{k: data[k] for k in _FAULT_FIELDS if k in data})
    except (ValueError, TypeError) as exc:
        return JSONResponse(
            {"ok": False, "error": "invalid_arguments", "detail": str(exc)}, status_code=400
        )
    state.add_fault(fault)
    return JSONResponse({"ok": True, "fault": _entry_json(fault)})
