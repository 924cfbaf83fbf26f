"""Create metadata (``createmeta``) and the field list (``GET /field``)."""

from __future__ import annotations

from typing import Any

from ._models import FieldDef, IssueType, Project
from ._render import Renderer

_STANDARD_META: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    "summary": ("Summary", {"type": "string", "system": "summary"}, ["set"]),
    "issuetype": ("Issue Type", {"type": "issuetype", "system": "issuetype"}, []),
    "project": ("Project", {"type": "project", "system": "project"}, ["set"]),
    "description": ("Description", {"type": "string", "system": "description"}, ["set"]),
    "priority": ("Priority", {"type": "priority", "system": "priority"}, ["set"]),
    "labels": (
        "Labels",
        {"type": "array", "items": "string", "system": "labels"},
        ["add", "set", "remove"],
    ),
    "components": (
        "Components",
        {"type": "array", "items": "component", "system": "components"},
        ["add", "set", "remove"],
    ),
    "duedate": ("Due date", {"type": "date", "system": "duedate"}, ["set"]),
}
_CUSTOM_TYPES = {
    "string": "com.atlassian.jira.plugin.system.customfieldtypes:textfield",
    "option": "com.atlassian.jira.plugin.system.customfieldtypes:select",
    "number": "com.atlassian.jira.plugin.system.customfieldtypes:float",
}


def _standard_meta(r: Renderer, key: str, project: Project, itype: IssueType) -> dict[str, Any]:
    name, schema, ops = _STANDARD_META[key]
    meta: dict[str, Any] = {
        "required": key in ("summary", "issuetype", "project"),
        "schema": schema,
        "name": name,
        "key": key,
        "hasDefaultValue": key == "priority",
        "operations": ops,
    }
    allowed: dict[str, list[dict[str, Any]]] = {
        "issuetype": [r.issue_type(itype)],
        "project": [r.project(project, full=False)],
        "priority": [r.priority(p) for p in r.state.priorities],
        "components": [r.component(c) for c in project.components],
    }
    if key in allowed:
        meta["allowedValues"] = allowed[key]
    if key == "priority":
        meta["defaultValue"] = r.priority(r.state.priorities[2])
    if key == "labels":
        meta["autoCompleteUrl"] = f"{r.api}/label/suggest?query="
    return meta


def _custom_meta(r: Renderer, fdef: FieldDef) -> dict[str, Any]:
    num = fdef.id.removeprefix("customfield_")
    meta: dict[str, Any] = {
        "required": fdef.required,
        "schema": {
            "type": "option" if fdef.schema_type == "option" else fdef.schema_type,
            "custom": _CUSTOM_TYPES[fdef.schema_type],
            "customId": int(num) if num.isdigit() else 0,
        },
        "name": fdef.name,
        "key": fdef.id,
        "hasDefaultValue": False,
        "operations": ["set"],
    }
    if fdef.schema_type == "option":
        meta["allowedValues"] = [
            {"self": f"{r.api}/customFieldOption/{i}", "value": v, "id": str(i)}
            for i, v in enumerate(fdef.allowed_values, 10100)
        ]
    return meta


def create_fields(r: Renderer, project: Project, itype: IssueType) -> list[dict[str, Any]]:
    """Create-screen fields of an issue type (each with ``fieldId``)."""
    out = [{**_standard_meta(r, k, project, itype), "fieldId": k} for k in _STANDARD_META]
    for fdef in r.state.fields.values():
        if fdef.applies_to(itype.name):
            out.append({**_custom_meta(r, fdef), "fieldId": fdef.id})
    return out


def field_list(r: Renderer) -> list[dict[str, Any]]:
    """``GET /field``: every field with its JQL clause names."""
    out: list[dict[str, Any]] = []
    for key, (name, schema, _) in _STANDARD_META.items():
        clauses = [key, "type"] if key == "issuetype" else [key]
        out.append(_field_entry(key, name, schema, clauses, custom=False))
    for key, name in (("status", "Status"), ("created", "Created"), ("updated", "Updated")):
        schema = {"type": "datetime" if key != "status" else "status", "system": key}
        out.append(_field_entry(key, name, schema, [key], custom=False))
    for fdef in r.state.fields.values():
        num = fdef.id.removeprefix("customfield_")
        schema = _custom_meta(r, fdef)["schema"]
        out.append(_field_entry(fdef.id, fdef.name, schema, [f"cf[{num}]", fdef.name], custom=True))
    return out


def _field_entry(
    key: str, name: str, schema: dict[str, Any], clauses: list[str], *, custom: bool
) -> dict[str, Any]:
    return {
        "id": key,
        "key": key,
        "name": name,
        "custom": custom,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": clauses,
        "schema": schema,
    }
