"""Issue endpoints: create, get, edit, comments, transitions, links and JQL search."""

from __future__ import annotations

from typing import Any

from ._context import Ctx, Reply
from ._errors import JiraApiError, not_found


def create_issue(ctx: Ctx) -> Reply:
    """``POST /issue``: 201 ``{"id", "key", "self"}``."""
    body = ctx.json_object()
    issue = ctx.state.create_issue(body.get("fields"))
    update = body.get("update")
    if isinstance(update, dict) and update:
        ctx.state.edit_issue(issue.key, {}, update)
    return Reply(
        201, {"id": issue.id, "key": issue.key, "self": f"{ctx.render.api}/issue/{issue.id}"}
    )


def get_issue(ctx: Ctx) -> Reply:
    """``GET /issue/{key}`` (``fields`` filters the fields)."""
    issue = ctx.state.require_issue(ctx.params["key"])
    wanted = ctx.args("fields") or None
    return Reply(200, ctx.render.issue(issue, wanted))


def edit_issue(ctx: Ctx) -> Reply:
    """``PUT /issue/{key}``: 204."""
    body = ctx.json_object()
    ctx.state.edit_issue(ctx.params["key"], body.get("fields") or {}, body.get("update") or {})
    return Reply(204)


def add_comment(ctx: Ctx) -> Reply:
    """``POST /issue/{key}/comment``: 201 with the comment."""
    issue = ctx.state.require_issue(ctx.params["key"])
    comment = ctx.state.add_comment(issue.key, ctx.json_object().get("body"))
    return Reply(201, ctx.render.comment(issue, comment))


def list_comments(ctx: Ctx) -> Reply:
    """``GET /issue/{key}/comment`` (paged with ``startAt``/``maxResults``)."""
    issue = ctx.state.require_issue(ctx.params["key"])
    every = ctx.state.comments(issue.key)
    start, size = ctx.int_arg("startAt", 0), ctx.int_arg("maxResults", 5000)
    page = every[start : start + size]
    return Reply(
        200,
        {
            "comments": [ctx.render.comment(issue, c) for c in page],
            "startAt": start,
            "maxResults": size,
            "total": len(every),
        },
    )


def get_comment(ctx: Ctx) -> Reply:
    """``GET /issue/{key}/comment/{id}``."""
    issue = ctx.state.require_issue(ctx.params["key"])
    found = next((c for c in ctx.state.comments(issue.key) if c.id == ctx.params["cid"]), None)
    if found is None:
        raise not_found(f"Can not find a comment for the id: {ctx.params['cid']}.")
    return Reply(200, ctx.render.comment(issue, found))


def list_transitions(ctx: Ctx) -> Reply:
    """``GET /issue/{key}/transitions`` (only those valid from the current status)."""
    available = ctx.state.available_transitions(ctx.params["key"])
    only = ctx.arg("transitionId")
    chosen = [t for t in available if only is None or t.id == only]
    return Reply(
        200, {"expand": "transitions", "transitions": [ctx.render.transition(t) for t in chosen]}
    )


def do_transition(ctx: Ctx) -> Reply:
    """``POST /issue/{key}/transitions`` with ``{"transition": {"id"}}``: 204."""
    body = ctx.json_object()
    ref = body.get("transition")
    tid = ref.get("id") if isinstance(ref, dict) else None
    if tid is None and isinstance(ref, dict) and ref.get("name"):
        raise JiraApiError(400, ["The sandbox Jira takes transitions by id; look the id up first."])
    ctx.state.transition(ctx.params["key"], tid, body.get("fields"), body.get("update"))
    return Reply(204)


def _issue_ref(body: dict[str, Any], side: str) -> str:
    ref = body.get(side)
    if not isinstance(ref, dict) or not (ref.get("key") or ref.get("id")):
        raise JiraApiError(400, errors={side: f"'{side}' must name an issue by key or id."})
    return str(ref.get("key") or ref.get("id"))


def create_link(ctx: Ctx) -> Reply:
    """``POST /issueLink``: 201, empty body; a duplicate link is not created twice."""
    body = ctx.json_object()
    ltype = body.get("type")
    name = (ltype.get("name") or ltype.get("id")) if isinstance(ltype, dict) else None
    if not name:
        raise JiraApiError(400, errors={"type": "Specify the issue link type by name or id."})
    inward, outward = _issue_ref(body, "inwardIssue"), _issue_ref(body, "outwardIssue")
    st = ctx.state
    with st.lock:
        ltype_def = st.link_type(str(name))
        a, b = st.require_issue(inward), st.require_issue(outward)
        exists = ltype_def is not None and any(
            (lk.type_name, lk.inward_key, lk.outward_key) == (ltype_def.name, a.key, b.key)
            for lk in st.links()
        )
        if not exists:
            st.link(str(name), a.key, b.key)
        comment = body.get("comment")
        if isinstance(comment, dict) and comment.get("body"):
            st.add_comment(b.key, comment["body"])
    return Reply(201)


def get_link(ctx: Ctx) -> Reply:
    """``GET /issueLink/{id}``."""
    found = next((lk for lk in ctx.state.links() if lk.id == ctx.params["id"]), None)
    if found is None:
        raise not_found(f"No issue link with id '{ctx.params['id']}' exists.")
    return Reply(200, ctx.render.issue_link(found))


def delete_link(ctx: Ctx) -> Reply:
    """``DELETE /issueLink/{id}``: 204."""
    ctx.state.delete_link(ctx.params["id"])
    return Reply(204)


def _search_input(ctx: Ctx) -> tuple[str, dict[str, Any], list[str] | None]:
    if ctx.body is not None:
        body = ctx.json_object()
        fields = body.get("fields")
        wanted = [str(f) for f in fields] if isinstance(fields, list) else None
        return str(body.get("jql") or ""), body, wanted
    return ctx.arg("jql", "") or "", {}, ctx.args("fields") or None


def search_legacy(ctx: Ctx) -> Reply:
    """``GET|POST /search`` (deprecated on Cloud): ``startAt``/``maxResults``/``total`` paging."""
    jql, body, wanted = _search_input(ctx)
    found = ctx.state.search(jql)
    start = max(0, ctx.int_arg("startAt", 0, body or None))
    size = min(max(0, ctx.int_arg("maxResults", 50, body or None)), 100)
    page = found[start : start + size]
    return Reply(
        200,
        {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": [ctx.render.issue(i, wanted or ["*navigable"]) for i in page],
        },
    )


def search_jql(ctx: Ctx) -> Reply:
    """``GET|POST /search/jql`` (Cloud's enhanced search): ``nextPageToken`` paging."""
    jql, body, wanted = _search_input(ctx)
    found = ctx.state.search(jql, require_bounded=True)
    token = body.get("nextPageToken") if body else ctx.arg("nextPageToken")
    start = 0
    if token:
        if not str(token).startswith("sandbox-") or not str(token)[8:].isdigit():
            raise JiraApiError(400, ["The nextPageToken is invalid."])
        start = int(str(token)[8:])
    size = min(max(1, ctx.int_arg("maxResults", 50, body or None)), 5000)
    page = found[start : start + size]
    out: dict[str, Any] = {
        "issues": [ctx.render.issue(i, wanted or ["id"]) for i in page],
        "isLast": start + size >= len(found),
    }
    if not out["isLast"]:
        out["nextPageToken"] = f"sandbox-{start + size}"
    return Reply(200, out)
