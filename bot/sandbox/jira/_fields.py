"""Field validation for create, edit and transition screens, with Jira's error wording."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ._errors import JiraApiError
from ._jql import Clause
from ._models import FieldDef, Issue, IssueType, Project

if TYPE_CHECKING:
    from ._state import JiraState

# Standard fields the sandbox's create and edit screens carry (besides custom fields).
EDITABLE = ("summary", "description", "priority", "labels", "components", "duedate")
STANDARD = ("project", "issuetype", *EDITABLE)


def _cannot_set(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


def _ref(value: Any) -> tuple[str, str] | None:
    """``{"id": …}`` or ``{"name"|"key": …}`` as ``("id"|"name", text)``."""
    if not isinstance(value, dict):
        return None
    if value.get("id") not in (None, ""):
        return "id", str(value["id"])
    for k in ("name", "key"):
        if isinstance(value.get(k), str) and value[k]:
            return "name", value[k]
    return None


def _project(state: JiraState, value: Any, errors: dict[str, str]) -> Project | None:
    ref = _ref(value)
    project = state.project(ref[1]) if ref else None
    if project is None:
        errors["project"] = "Specify a valid project ID or key"
    return project


def _issue_type(project: Project | None, value: Any, errors: dict[str, str]) -> IssueType | None:
    ref = _ref(value)
    if ref is None:
        errors["issuetype"] = "Specify an issue type"
        return None
    if project is None:
        return None
    kind, text = ref
    found = next(
        (t for t in project.issue_types if (t.id if kind == "id" else t.name) == text), None
    )
    if found is None:
        errors["issuetype"] = "The issue type selected is invalid."
    return found


def _summary(value: Any, errors: dict[str, str]) -> str:
    if not isinstance(value, str) or not value.strip():
        errors["summary"] = "You must specify a summary of the issue."
        return ""
    if "\n" in value or "\r" in value:
        errors["summary"] = "The summary is invalid because it contains newline characters."
    elif len(value) > 255:
        errors["summary"] = "Summary must be less than 255 characters."
    return value


def _description(value: Any, errors: dict[str, str]) -> str | None:
    if value is None or isinstance(value, str):
        return value
    errors["description"] = "Operation value must be a string"  # v2 takes plain text, not ADF
    return None


def _duedate(value: Any, errors: dict[str, str]) -> str | None:
    """A due date: ``YYYY-MM-DD`` or null."""
    if value is None or value == "":
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    errors["duedate"] = f"Error parsing date string: {value}"
    return None


def _priority(state: JiraState, value: Any, errors: dict[str, str]) -> str | None:
    if value is None:
        return None
    ref = _ref(value)
    if ref is None:
        errors["priority"] = "Specify the Priority (id or name) in the string format"
        return None
    kind, text = ref
    found = next((p for p in state.priorities if (p.id if kind == "id" else p.name) == text), None)
    if found is None:
        errors["priority"] = f"Priority {kind} '{text}' is not valid"
        return None
    return found.name


def _labels(value: Any, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors["labels"] = "data was not an array of strings"
        return []
    for label in value:
        if not label or any(c.isspace() for c in label):
            errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        elif len(label) > 255:
            errors["labels"] = "The label must not exceed 255 characters."
    return list(dict.fromkeys(value))


def _components(project: Project | None, value: Any, errors: dict[str, str]) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors["components"] = "data was not an array"
        return []
    out: list[str] = []
    for item in value:
        ref = _ref(item)
        kind, text = ref or ("name", str(item))
        found = None
        if project is not None and ref is not None:
            found = next(
                (c for c in project.components if (c.id if kind == "id" else c.name) == text), None
            )
        if found is None:
            errors["components"] = f"Component {kind} '{text}' is not valid"
        else:
            out.append(found.name)
    return list(dict.fromkeys(out))


def _custom(fdef: FieldDef, value: Any, errors: dict[str, str]) -> Any:
    if value is None or value == "":
        return None
    if fdef.schema_type == "string" and not isinstance(value, str):
        errors[fdef.id] = "Operation value must be a string"
    elif fdef.schema_type == "number" and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        errors[fdef.id] = "Operation value must be a number"
    elif fdef.schema_type == "option":
        chosen = value.get("value") if isinstance(value, dict) else None
        if chosen not in fdef.allowed_values:
            errors[fdef.id] = f"Option value '{chosen}' is not valid"
        else:
            return {"value": chosen}
    return value


def validate_create(state: JiraState, fields: Any) -> dict[str, Any]:
    """Check a create request's ``fields``; the keyword values of a new ``Issue``."""
    if not isinstance(fields, dict):
        raise JiraApiError(400, ["Issue must have 'fields' set."])
    errors: dict[str, str] = {}
    project = _project(state, fields.get("project"), errors)
    itype = _issue_type(project, fields.get("issuetype"), errors)
    values: dict[str, Any] = {
        "project_key": project.key if project else "",
        "issue_type": itype.name if itype else "",
        "summary": _summary(fields.get("summary"), errors),
        "description": _description(fields.get("description"), errors),
        "priority": _priority(state, fields.get("priority"), errors),
        "labels": _labels(fields.get("labels"), errors),
        "components": _components(project, fields.get("components"), errors),
        "duedate": _duedate(fields.get("duedate"), errors),
        "custom": {},
    }
    type_name = itype.name if itype else ""
    for name, value in fields.items():
        if name in STANDARD:
            continue
        fdef = state.fields.get(name)
        if fdef is None or (itype is not None and not fdef.applies_to(type_name)):
            errors[name] = _cannot_set(name)
        else:
            values["custom"][name] = _custom(fdef, value, errors)
    if itype is not None:
        for fdef in state.fields.values():
            if fdef.required and fdef.applies_to(type_name) and fields.get(fdef.id) in (None, ""):
                errors.setdefault(fdef.id, f"{fdef.name} is required.")
    values["custom"] = {k: v for k, v in values["custom"].items() if v is not None}
    if errors:
        raise JiraApiError(400, errors=errors)
    return values


def _set_field(
    state: JiraState, issue: Issue, name: str, value: Any, errors: dict[str, str]
) -> None:
    project = state.project(issue.project_key)
    if name == "summary":
        issue.summary = _summary(value, errors)
    elif name == "description":
        issue.description = _description(value, errors)
    elif name == "priority":
        issue.priority = _priority(state, value, errors)
    elif name == "labels":
        issue.labels = _labels(value, errors)
    elif name == "components":
        issue.components = _components(project, value, errors)
    elif name == "duedate":
        issue.duedate = _duedate(value, errors)
    elif (fdef := state.fields.get(name)) is not None and fdef.applies_to(issue.issue_type):
        new = _custom(fdef, value, errors)
        if new is None and fdef.required:
            errors[name] = f"{fdef.name} is required."
        elif new is None:
            issue.custom.pop(name, None)
        else:
            issue.custom[name] = new
    else:
        errors[name] = _cannot_set(name)


def _update_ops(
    state: JiraState, issue: Issue, name: str, ops: Any, errors: dict[str, str]
) -> list[str]:
    """Apply ``update.<name>`` operations; returns comment bodies to add."""
    comments: list[str] = []
    if not isinstance(ops, list):
        errors[name] = "data was not an array"
        return comments
    for op in ops:
        if not isinstance(op, dict) or len(op) != 1:
            errors[name] = "Each update operation must have exactly one verb."
            continue
        verb, arg = next(iter(op.items()))
        if name == "comment" and verb == "add":
            body = arg.get("body") if isinstance(arg, dict) else None
            comments.append(body if isinstance(body, str) else "")
        elif name == "labels" and verb in ("add", "remove"):
            if _labels([arg], errors):
                current = [lb for lb in issue.labels if lb != arg]
                issue.labels = [*current, arg] if verb == "add" else current
        elif name == "components" and verb in ("add", "remove"):
            new = _components(state.project(issue.project_key), [arg], errors)
            current = [c for c in issue.components if c not in new]
            issue.components = current + new if verb == "add" else current
        elif verb == "set":
            _set_field(state, issue, name, arg, errors)
        else:
            errors[name] = f"Operation '{verb}' is not supported for the field '{name}'."
    if any(not c.strip() for c in comments):
        errors["comment"] = "Comment body can not be empty!"
    return comments


def apply_edit(
    state: JiraState,
    issue: Issue,
    fields: Any,
    update: Any,
    *,
    on_transition: bool = False,
) -> list[str]:
    """Validate and apply an edit to ``issue`` (all or nothing); returns comments to add."""
    if not isinstance(fields, dict) or not isinstance(update, dict):
        raise JiraApiError(400, ["'fields' and 'update' must be objects."])
    snapshot = (issue.summary, issue.description, issue.priority, issue.duedate)
    lists = (list(issue.labels), list(issue.components), dict(issue.custom))
    errors: dict[str, str] = {}
    comments: list[str] = []
    for name, value in fields.items():
        if on_transition and name == "resolution":
            continue  # the sandbox sets the resolution itself
        _set_field(state, issue, name, value, errors)
    for name, ops in update.items():
        comments += _update_ops(state, issue, name, ops, errors)
    if errors:
        issue.summary, issue.description, issue.priority, issue.duedate = snapshot
        issue.labels, issue.components, issue.custom = lists
        raise JiraApiError(400, errors=errors)
    return comments


def check_jql_values(state: JiraState, clause: Clause) -> None:
    """Reject unknown projects, statuses, types and priorities like Jira (400)."""
    known: dict[str, set[str]] = {
        "project": {k.lower() for k in state.projects} | {p.id for p in state.projects.values()},
        "status": {s.lower() for s in state.statuses},
        "issuetype": {t.name.lower() for p in state.projects.values() for t in p.issue_types},
        "priority": {p.name.lower() for p in state.priorities},
    }
    allowed = known.get(clause.field)
    if allowed is None:
        return
    for value in clause.values:
        if value.lower() not in allowed:
            raise JiraApiError(
                400, [f"The value '{value}' does not exist for the field '{clause.field}'."]
            )
