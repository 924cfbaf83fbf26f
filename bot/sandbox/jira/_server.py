"""The sandbox Jira's HTTP face: ``/rest/api/{2,3}/…`` plus ``/_sandbox/{journal,faults}``."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from typing import Any, get_args

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import _issues as iss
from . import _meta as meta
from ._context import Ctx, Handler, Reply
from ._errors import NOT_AUTHENTICATED, JiraApiError
from ._models import FaultKind, JiraFault
from ._render import Renderer
from ._state import JiraState

# (HTTP method, path under /rest/api/{version}/, handler, anonymous)
ROUTES: list[tuple[str, str, Handler, bool]] = [
    ("GET", r"serverInfo", meta.server_info, True),
    ("GET", r"myself", meta.myself, False),
    ("GET", r"project", meta.list_projects, False),
    ("GET", r"project/(?P<key>[^/]+)", meta.get_project, False),
    ("GET", r"priority", meta.list_priorities, False),
    ("GET", r"issuetype", meta.list_issue_types, False),
    ("GET", r"field", meta.list_fields, False),
    ("GET", r"issueLinkType", meta.list_link_types, False),
    ("GET", r"issueLinkType/(?P<id>[^/]+)", meta.get_link_type, False),
    ("GET", r"issue/createmeta", meta.createmeta_legacy, False),
    ("GET", r"issue/createmeta/(?P<key>[^/]+)/issuetypes", meta.createmeta_types, False),
    (
        "GET",
        r"issue/createmeta/(?P<key>[^/]+)/issuetypes/(?P<type_id>[^/]+)",
        meta.createmeta_fields,
        False,
    ),
    ("POST", r"issue", iss.create_issue, False),
    ("GET", r"issue/(?P<key>[^/]+)", iss.get_issue, False),
    ("PUT", r"issue/(?P<key>[^/]+)", iss.edit_issue, False),
    ("GET", r"issue/(?P<key>[^/]+)/comment", iss.list_comments, False),
    ("POST", r"issue/(?P<key>[^/]+)/comment", iss.add_comment, False),
    ("GET", r"issue/(?P<key>[^/]+)/comment/(?P<cid>[^/]+)", iss.get_comment, False),
    ("GET", r"issue/(?P<key>[^/]+)/transitions", iss.list_transitions, False),
    ("POST", r"issue/(?P<key>[^/]+)/transitions", iss.do_transition, False),
    ("POST", r"issueLink", iss.create_link, False),
    ("GET", r"issueLink/(?P<id>[^/]+)", iss.get_link, False),
    ("DELETE", r"issueLink/(?P<id>[^/]+)", iss.delete_link, False),
    ("GET", r"search", iss.search_legacy, False),
    ("POST", r"search", iss.search_legacy, False),
    ("GET", r"search/jql", iss.search_jql, False),
    ("POST", r"search/jql", iss.search_jql, False),
]
_COMPILED = [(m, re.compile(p + "$"), h, anon) for m, p, h, anon in ROUTES]


def _route(method: str, rest: str) -> tuple[Handler, dict[str, str], bool] | int:
    """The handler for a request, or 404/405."""
    path_known = False
    for m, rx, handler, anon in _COMPILED:
        match = rx.match(rest)
        if match is None:
            continue
        path_known = True
        if m == method:
            return handler, match.groupdict(), anon
    return 405 if path_known else 404


class _Api:
    """The REST endpoint; ``state`` may be swapped between tests."""

    def __init__(self, state: JiraState) -> None:
        self.state = state

    def answer(
        self, request: Request, reply: Reply, body: Any, fault: JiraFault | None = None
    ) -> Response:
        error = None
        if isinstance(reply.body, dict) and reply.status >= 400:
            error = JiraApiError(
                reply.status, reply.body.get("errorMessages"), reply.body.get("errors")
            ).text()
        self.state.record_call(
            request.method,
            request.url.path,
            reply.status,
            query={k: v if len(v) > 1 else v[0] for k, v in _query(request).items()},
            body=body,
            fault=fault,
            error=error,
        )
        if reply.body is None:
            return Response(status_code=reply.status, headers=reply.headers)
        return JSONResponse(reply.body, status_code=reply.status, headers=reply.headers)

    async def handle(self, request: Request) -> Response:
        version, rest = request.path_params["version"], request.path_params["rest"].strip("/")
        st = self.state
        found = _route(request.method, rest) if version in ("2", "3") else 404
        body = await _body(request)
        if isinstance(found, int):
            msg = f"null for uri: {request.url}" if found == 404 else "Method Not Allowed"
            return self.answer(request, Reply(found, {"errorMessages": [msg], "errors": {}}), body)
        handler, params, anonymous = found
        if not anonymous and not st.authorized(request.headers.get("authorization")):
            reply = Reply(
                401,
                JiraApiError(401, [NOT_AUTHENTICATED]).body(),
                {"WWW-Authenticate": 'Basic realm="protected-area"'},
            )
            return self.answer(request, reply, body)
        fault = st.take_fault(request.method, request.url.path)
        if fault is not None and fault.kind in ("ratelimited", "error"):
            return self.answer(request, _fault_reply(fault), body, fault)
        if fault is not None and fault.kind == "delay":
            await asyncio.sleep(fault.delay)
        ctx = Ctx(st, Renderer(st, str(request.base_url), version), params, _query(request), body)
        try:
            if isinstance(body, _BadJson):
                raise JiraApiError(400, [f"Unexpected character in the JSON body: {body.reason}"])
            with st.lock:  # each request is atomic (the state is shared with test threads)
                reply = handler(ctx)
        except JiraApiError as exc:
            reply = Reply(exc.status, exc.body())
        response = self.answer(request, reply, body, fault)
        if fault is not None and fault.kind == "timeout_after_commit":
            await asyncio.sleep(fault.delay)  # committed and journaled; the client gives up first
        return response


def _fault_reply(fault: JiraFault) -> Reply:
    if fault.kind == "ratelimited":
        body = {"errorMessages": ["Rate limit exceeded."], "errors": {}}
        return Reply(429, body, {"Retry-After": str(int(fault.retry_after))})
    return Reply(fault.status, {"errorMessages": [fault.message], "errors": {}})


class _BadJson(str):
    """A body that is not JSON (handlers answer 400)."""

    @property
    def reason(self) -> str:
        return str(self)


def _query(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out


async def _body(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        return _BadJson(str(exc))


def _add_fault(state: JiraState, raw: bytes) -> Response:
    names = {f.name for f in dataclasses.fields(JiraFault)} - {"seen", "fired"}
    try:
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict) or data.get("kind", "error") not in get_args(FaultKind):
            raise ValueError("bad fault: kind must be one of " + ", ".join(get_args(FaultKind)))
        fault = JiraFault(**{k: v for k, v in data.items() if k in names})
    except (ValueError, TypeError) as exc:
        return JSONResponse({"errorMessages": [str(exc)], "errors": {}}, status_code=400)
    state.add_fault(fault)
    return JSONResponse({"fault": dataclasses.asdict(fault)})


def create_sandbox_app(state: JiraState | None = None) -> Starlette:
    """An ASGI app emulating Jira Cloud REST on ``state`` (a fresh one by default).

    ``app.state.api.state`` is the live :class:`JiraState`; assigning it swaps sites.
    """
    api = _Api(state or JiraState())

    async def journal(request: Request) -> Response:
        prefix = request.query_params.get("prefix")
        return JSONResponse({"calls": [dataclasses.asdict(e) for e in api.state.calls(prefix)]})

    async def faults(request: Request) -> Response:
        if request.method == "DELETE":
            api.state.clear_faults()
            return Response(status_code=204)
        if request.method == "GET":
            return JSONResponse({"faults": [dataclasses.asdict(f) for f in api.state.faults]})
        return _add_fault(api.state, await request.body())

    app = Starlette(
        routes=[
            Route(
                "/rest/api/{version}/{rest:path}",
                api.handle,
                methods=["GET", "POST", "PUT", "DELETE"],
            ),
            Route("/_sandbox/journal", journal, methods=["GET"]),
            Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        ]
    )
    app.state.api = api
    return app
