"""Sandbox Jira: a stateful Jira Cloud REST (v2, some v3) emulator for tests and demos.

Start one with :class:`SandboxJira`, point ``jira.JIRA(server=sandbox.url,
basic_auth=(state.user, state.api_token), max_retries=0, timeout=5)`` at it, inject failures
with :class:`JiraFault`, and read what happened with :meth:`JiraState.calls` and the
accessors (:meth:`JiraState.issues`, :meth:`JiraState.comments`, :meth:`JiraState.links`).
"""

from ._errors import JiraApiError
from ._jql import JqlError
from ._models import (
    Comment,
    Component,
    FaultKind,
    FieldDef,
    Issue,
    IssueLink,
    IssueType,
    JiraFault,
    JournalEntry,
    LinkType,
    Priority,
    Project,
    Status,
    Transition,
)
from ._runner import SandboxJira
from ._server import ROUTES, create_sandbox_app
from ._state import JiraState

__all__ = [
    "ROUTES",
    "Comment",
    "Component",
    "FaultKind",
    "FieldDef",
    "Issue",
    "IssueLink",
    "IssueType",
    "JiraApiError",
    "JiraFault",
    "JiraState",
    "JournalEntry",
    "JqlError",
    "LinkType",
    "Priority",
    "Project",
    "SandboxJira",
    "Status",
    "Transition",
    "create_sandbox_app",
]
