"""Plain records held by the sandbox Jira: projects, issues, comments, links, faults, journal."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

FaultKind = Literal["ratelimited", "error", "delay", "timeout_after_commit"]
SchemaType = Literal["string", "option", "number"]


def path_matches(prefix: str, path: str) -> bool:
    """True if ``path`` starts with ``prefix`` on a segment boundary.

    ``"/rest/api/2/issue"`` matches ``/rest/api/2/issue`` and ``/rest/api/2/issue/OPS-1/comment``
    but not ``/rest/api/2/issueLink``; a trailing ``$`` (``"/rest/api/2/issue$"``) matches only
    the exact path; ``""`` matches everything.
    """
    if prefix.endswith("$"):
        return path == prefix[:-1]
    if not prefix or prefix.endswith("/"):
        return path.startswith(prefix)
    return path == prefix or path.startswith(prefix + "/")


@dataclass(frozen=True)
class IssueType:
    """An issue type of a project (``Incident``, ``Task``)."""

    id: str
    name: str
    description: str = ""
    subtask: bool = False


@dataclass(frozen=True)
class Component:
    """A project component."""

    id: str
    name: str


@dataclass
class Project:
    """A Jira project with its issue types and components."""

    id: str
    key: str
    name: str
    issue_types: list[IssueType] = field(default_factory=list)
    components: list[Component] = field(default_factory=list)


@dataclass(frozen=True)
class Priority:
    """A priority (``Highest`` … ``Low``)."""

    id: str
    name: str


@dataclass(frozen=True)
class Status:
    """A workflow status; ``category`` is ``new``, ``indeterminate`` or ``done``."""

    id: str
    name: str
    category: str


@dataclass(frozen=True)
class Transition:
    """A workflow transition from any of ``sources`` to ``to`` (status names)."""

    id: str
    name: str
    sources: tuple[str, ...]
    to: str


@dataclass(frozen=True)
class LinkType:
    """An issue link type such as ``Relates``."""

    id: str
    name: str
    inward: str
    outward: str


@dataclass(frozen=True)
class FieldDef:
    """A custom field on the create screen; ``issue_types`` None means every issue type."""

    id: str
    name: str
    required: bool = True
    schema_type: SchemaType = "string"
    issue_types: tuple[str, ...] | None = None
    allowed_values: tuple[str, ...] = ()

    def applies_to(self, issue_type: str) -> bool:
        """True if the field is on the create screen of ``issue_type`` (a name)."""
        return self.issue_types is None or issue_type in self.issue_types


@dataclass
class Comment:
    """A plain-text comment on an issue."""

    id: str
    issue_key: str
    body: str
    author: str
    created: str
    seq: int


@dataclass
class IssueLink:
    """A link: ``inward_key`` and ``outward_key`` joined by the type ``type_name``."""

    id: str
    type_name: str
    inward_key: str
    outward_key: str
    seq: int


@dataclass
class Issue:
    """An issue as currently stored; ``custom`` holds ``customfield_*`` values."""

    id: str
    key: str
    project_key: str
    issue_type: str
    summary: str
    status: str
    created: str
    updated: str
    seq: int
    description: str | None = None
    priority: str | None = None
    labels: list[str] = field(default_factory=list)
    components: list[str] = field(default_factory=list)
    duedate: str | None = None  # YYYY-MM-DD
    custom: dict[str, Any] = field(default_factory=dict)
    resolution: str | None = None
    resolution_date: str | None = None
    status_history: list[str] = field(default_factory=list)


@dataclass
class JiraFault:
    """An injected failure for requests whose path matches ``path_prefix`` (see ``path_matches``).

    ``method`` is an HTTP method or ``"*"``. Kinds: ``ratelimited`` (429 + ``Retry-After``),
    ``error`` (``status``, Jira error body), ``delay`` (sleep ``delay`` s, then answer normally),
    ``timeout_after_commit`` (apply the request, then sleep ``delay`` s before answering, so a
    client with a shorter timeout gives up although the change happened). ``every=N`` fires on
    the N-th, 2N-th, … matching request; ``times=N`` fires at most N times.
    """

    path_prefix: str = "/rest/api/"
    method: str = "*"
    kind: FaultKind = "error"
    status: int = 503
    retry_after: int = 1
    delay: float = 2.0
    times: int | None = None
    every: int | None = None
    message: str = "The sandbox Jira is unavailable (injected fault)."
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """True if the fault applies to this request."""
        return self.method in ("*", method.upper()) and path_matches(self.path_prefix, path)

    def consider(self) -> bool:
        """Count one matching request; True when the fault fires on it."""
        self.seen += 1
        if self.times is not None and self.fired >= self.times:
            return False
        if self.every is not None and self.seen % self.every != 0:
            return False
        self.fired += 1
        return True


@dataclass
class JournalEntry:
    """One HTTP request the sandbox answered (or committed, for ``timeout_after_commit``)."""

    seq: int
    t: float
    method: str
    path: str
    status: int
    query: dict[str, Any]
    body: Any
    summary: str
    fault: FaultKind | None = None
    error: str | None = None
