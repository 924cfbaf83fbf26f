"""Site and catalogue endpoints: serverInfo, myself, projects, priorities, create metadata."""

from __future__ import annotations

from typing import Any

from ._context import Ctx, Reply
from ._createmeta import create_fields, field_list
from ._errors import not_found
from ._models import IssueType, Project
from ._state import jira_now

VERSION = (1001, 0, 0)


def server_info(ctx: Ctx) -> Reply:
    """``GET /serverInfo`` (anonymous): ``versionNumbers`` and ``deploymentType: Cloud``."""
    return Reply(
        200,
        {
            "baseUrl": ctx.render.base,
            "displayUrl": ctx.render.base,
            "version": ".".join(map(str, VERSION)) + "-SNAPSHOT",
            "versionNumbers": list(VERSION),
            "deploymentType": "Cloud",
            "buildNumber": 100270,
            "buildDate": "2025-12-01T00:00:00.000+0000",
            "serverTime": jira_now(),
            "scmInfo": "opsbot-sandbox",
            "serverTitle": "opsbot sandbox Jira",
            "serverTimeZone": "Etc/UTC",
        },
    )


def myself(ctx: Ctx) -> Reply:
    """``GET /myself``."""
    return Reply(200, ctx.render.user())


def _project(ctx: Ctx, id_or_key: str) -> Project:
    project = ctx.state.project(id_or_key)
    if project is None:
        raise not_found(f"No project could be found with key '{id_or_key}'.")
    return project


def list_projects(ctx: Ctx) -> Reply:
    """``GET /project``: a JSON array."""
    return Reply(200, [ctx.render.project(p) for p in ctx.state.projects.values()])


def get_project(ctx: Ctx) -> Reply:
    """``GET /project/{idOrKey}`` (issue types and components included)."""
    return Reply(200, ctx.render.project(_project(ctx, ctx.params["key"])))


def list_priorities(ctx: Ctx) -> Reply:
    """``GET /priority``: a JSON array."""
    return Reply(200, [ctx.render.priority(p) for p in ctx.state.priorities])


def list_issue_types(ctx: Ctx) -> Reply:
    """``GET /issuetype``: every issue type of every project."""
    seen: dict[str, IssueType] = {}
    for p in ctx.state.projects.values():
        for t in p.issue_types:
            seen.setdefault(t.id, t)
    return Reply(200, [ctx.render.issue_type(t) for t in seen.values()])


def list_fields(ctx: Ctx) -> Reply:
    """``GET /field``: what ``jira.JIRA`` reads to map JQL clause names to field ids."""
    return Reply(200, field_list(ctx.render))


def list_link_types(ctx: Ctx) -> Reply:
    """``GET /issueLinkType``."""
    return Reply(200, {"issueLinkTypes": [ctx.render.link_type(t) for t in ctx.state.link_types]})


def get_link_type(ctx: Ctx) -> Reply:
    """``GET /issueLinkType/{id}``."""
    found = ctx.state.link_type(ctx.params["id"])
    if found is None:
        raise not_found(f"No issue link type with id '{ctx.params['id']}' found.")
    return Reply(200, ctx.render.link_type(found))


def _page(ctx: Ctx, key: str, items: list[dict[str, Any]]) -> Reply:
    start, size = max(0, ctx.int_arg("startAt", 0)), max(1, ctx.int_arg("maxResults", 50))
    return Reply(
        200,
        {
            key: items[start : start + size],
            "startAt": start,
            "maxResults": size,
            "total": len(items),
        },
    )


def createmeta_types(ctx: Ctx) -> Reply:
    """``GET /issue/createmeta/{projectIdOrKey}/issuetypes``."""
    project = _project(ctx, ctx.params["key"])
    return _page(ctx, "issueTypes", [ctx.render.issue_type(t) for t in project.issue_types])


def createmeta_fields(ctx: Ctx) -> Reply:
    """``GET /issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}``: required flags."""
    project = _project(ctx, ctx.params["key"])
    itype = next((t for t in project.issue_types if t.id == ctx.params["type_id"]), None)
    if itype is None:
        raise not_found(
            f"Issue type with id '{ctx.params['type_id']}' does not exist in project {project.key}."
        )
    return _page(ctx, "fields", create_fields(ctx.render, project, itype))


def createmeta_legacy(ctx: Ctx) -> Reply:
    """``GET /issue/createmeta`` (deprecated; what ``jira.JIRA.createmeta`` calls on Cloud)."""
    keys = {k.upper() for k in ctx.args("projectKeys")}
    ids = set(ctx.args("projectIds"))
    type_ids, type_names = set(ctx.args("issuetypeIds")), set(ctx.args("issuetypeNames"))
    with_fields = "projects.issuetypes.fields" in (ctx.arg("expand") or "")
    projects = []
    for p in ctx.state.projects.values():
        if (keys or ids) and p.key.upper() not in keys and p.id not in ids:
            continue
        types = []
        for t in p.issue_types:
            if (type_ids or type_names) and t.id not in type_ids and t.name not in type_names:
                continue
            entry = ctx.render.issue_type(t)
            if with_fields:
                entry["expand"] = "fields"
                entry["fields"] = {
                    f["fieldId"]: {k: v for k, v in f.items() if k != "fieldId"}
                    for f in create_fields(ctx.render, p, t)
                }
            types.append(entry)
        projects.append({**ctx.render.project(p, full=False), "issuetypes": types})
    return Reply(200, {"expand": "projects", "projects": projects})
