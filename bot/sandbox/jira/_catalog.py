"""The site's catalogue: projects, issue types, priorities, workflow, link types, fields."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable

from ._models import (
    Component,
    FieldDef,
    IssueType,
    LinkType,
    Priority,
    Project,
    SchemaType,
    Status,
    Transition,
)


class Catalog:
    """Configuration a Jira admin would own; the seeded defaults match the brief of opsbot."""

    def __init__(self, project_key: str, project_name: str) -> None:
        self.lock = threading.RLock()
        self._numbers: dict[str, itertools.count[int]] = {}
        self.projects: dict[str, Project] = {}
        self.priorities = [
            Priority("1", "Highest"),
            Priority("2", "High"),
            Priority("3", "Medium"),
            Priority("4", "Low"),
        ]
        self.statuses = {
            s.name: s
            for s in (
                Status("1", "Open", "new"),
                Status("3", "In Progress", "indeterminate"),
                Status("5", "Resolved", "done"),
                Status("6", "Closed", "done"),
            )
        }
        self.initial_status = "Open"
        self.workflow = [
            Transition("11", "Start Progress", ("Open",), "In Progress"),
            Transition("21", "Resolve", ("Open", "In Progress"), "Resolved"),
            Transition("31", "Close", ("Resolved",), "Closed"),
            Transition("41", "Reopen", ("Resolved", "Closed"), "Open"),
        ]
        self.link_types = [
            LinkType("10000", "Blocks", "is blocked by", "blocks"),
            LinkType("10001", "Cloners", "is cloned by", "clones"),
            LinkType("10002", "Duplicate", "is duplicated by", "duplicates"),
            LinkType("10003", "Relates", "relates to", "relates to"),
        ]
        self.fields: dict[str, FieldDef] = {}
        self.add_project(
            project_key,
            project_name,
            issue_types=[
                IssueType("10010", "Incident", "A service disruption tracked by opsbot."),
                IssueType("10011", "Task", "A piece of work, such as an RCA action item."),
            ],
            components=["API", "Database"],
        )

    # ----- configuration -------------------------------------------------------------------
    def add_project(
        self,
        key: str,
        name: str,
        *,
        issue_types: Iterable[IssueType],
        components: Iterable[str] = (),
    ) -> Project:
        """Add (or replace) a project; ids are allocated from 10000."""
        with self.lock:
            pid = str(10000 + len(self.projects))
            comps = [
                Component(str(10000 + 10 * len(self.projects) + i), n)
                for i, n in enumerate(components)
            ]
            project = Project(pid, key, name, list(issue_types), comps)
            self.projects[key] = project
            self._numbers.setdefault(key, itertools.count(1))
            return project

    def add_field(
        self,
        field_id: str,
        *,
        name: str,
        required: bool = False,
        schema_type: SchemaType = "string",
        issue_types: Iterable[str] | None = None,
        allowed_values: Iterable[str] = (),
    ) -> FieldDef:
        """Put a custom field on the create screen (of ``issue_types`` names, or of all)."""
        if not field_id.startswith("customfield_"):
            raise ValueError("custom field ids look like 'customfield_10050'")
        fdef = FieldDef(
            field_id,
            name,
            required,
            schema_type,
            tuple(issue_types) if issue_types is not None else None,
            tuple(allowed_values),
        )
        with self.lock:
            self.fields[field_id] = fdef
        return fdef

    def require_field(
        self,
        field_id: str,
        *,
        name: str,
        schema_type: SchemaType = "string",
        issue_types: Iterable[str] | None = None,
        allowed_values: Iterable[str] = (),
    ) -> FieldDef:
        """Add a *required* custom field: createmeta shows it, create rejects its absence."""
        return self.add_field(
            field_id,
            name=name,
            required=True,
            schema_type=schema_type,
            issue_types=issue_types,
            allowed_values=allowed_values,
        )

    # ----- catalogue look-ups --------------------------------------------------------------
    def project(self, id_or_key: str) -> Project | None:
        """A project by key (case-insensitive) or id."""
        with self.lock:
            for p in self.projects.values():
                if id_or_key.upper() == p.key.upper() or id_or_key == p.id:
                    return p
        return None

    def priority(self, name: str) -> Priority | None:
        """A priority by name."""
        return next((p for p in self.priorities if p.name == name), None)

    def link_type(self, name: str) -> LinkType | None:
        """A link type by name (or id)."""
        return next((t for t in self.link_types if name in (t.name, t.id)), None)
