"""In-memory, thread-safe state of the sandbox Jira: catalogue, issues, journal and faults."""

from __future__ import annotations

import base64
import binascii
import hmac
import itertools
import time
from datetime import UTC, datetime
from typing import Any

from . import _fields, _jql
from ._catalog import Catalog
from ._errors import JiraApiError, bad_request, not_found
from ._models import (
    Comment,
    Issue,
    IssueLink,
    JiraFault,
    JournalEntry,
    Transition,
    path_matches,
)
from ._summary import summarize

_UNBOUNDED = (
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
)


def jira_now() -> str:
    """The current time the way Jira prints it: ``2024-05-01T12:00:00.000+0000``."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}+0000"


class JiraState(Catalog):
    """One emulated Jira Cloud site; every access goes through one re-entrant lock."""

    def __init__(
        self,
        project_key: str = "OPS",
        user: str = "opsbot@example.com",
        api_token: str = "jira-sandbox-token",  # noqa: S107 - sandbox token, not a secret
        *,
        project_name: str = "Operations",
        display_name: str = "opsbot",
        account_id: str = "557058:0f5ab0c1-opsbot-sandbox",
    ) -> None:
        super().__init__(project_key, project_name)
        self.user, self.api_token = user, api_token
        self.display_name, self.account_id = display_name, account_id
        self.faults: list[JiraFault] = []
        self._issues: dict[str, Issue] = {}
        self._comments: dict[str, list[Comment]] = {}
        self._links: list[IssueLink] = []
        self._journal: list[JournalEntry] = []
        self._seq = 0
        self._issue_ids = itertools.count(10000)
        self._comment_ids = itertools.count(10000)
        self._link_ids = itertools.count(10100)

    # ----- accessors for tests -------------------------------------------------------------
    def issues(self) -> list[Issue]:
        """Every issue, in creation order."""
        with self.lock:
            return sorted(self._issues.values(), key=lambda i: i.seq)

    def issue(self, key_or_id: str) -> Issue | None:
        """An issue by key (``OPS-1``, case-insensitive) or id (``10000``)."""
        with self.lock:
            found = self._issues.get(key_or_id.upper())
            if found is None:
                found = next((i for i in self._issues.values() if i.id == key_or_id), None)
            return found

    def comments(self, key: str) -> list[Comment]:
        """Comments of an issue, oldest first."""
        with self.lock:
            issue = self.issue(key)
            return list(self._comments.get(issue.key, [])) if issue else []

    def links(self) -> list[IssueLink]:
        """Every issue link, in creation order."""
        with self.lock:
            return list(self._links)

    def links_of(self, key: str) -> list[IssueLink]:
        """Links with ``key`` at either end."""
        with self.lock:
            return [lk for lk in self._links if key in (lk.inward_key, lk.outward_key)]

    # ----- journal and faults --------------------------------------------------------------
    def next_seq(self) -> int:
        """The next event number (journal entries, issues, comments and links share it)."""
        with self.lock:
            self._seq += 1
            return self._seq

    def record_call(
        self,
        method: str,
        path: str,
        status: int,
        *,
        query: dict[str, Any] | None = None,
        body: Any = None,
        fault: JiraFault | None = None,
        error: str | None = None,
    ) -> JournalEntry:
        """Append one answered request to the journal."""
        entry = JournalEntry(
            seq=self.next_seq(),
            t=time.monotonic(),
            method=method,
            path=path,
            status=status,
            query=dict(query or {}),
            body=body,
            summary=summarize(body),
            fault=fault.kind if fault else None,
            error=error,
        )
        with self.lock:
            self._journal.append(entry)
        return entry

    def calls(self, method_path_prefix: str | None = None) -> list[JournalEntry]:
        """Journal entries, oldest first; filter by ``"/rest/api/2/issue"`` (a path prefix) or
        ``"POST /rest/api/2/issue$"`` (method plus prefix; see :func:`path_matches`)."""
        with self.lock:
            entries = list(self._journal)
        if not method_path_prefix:
            return entries
        method, _, prefix = method_path_prefix.rpartition(" ")
        return [
            e
            for e in entries
            if (not method or e.method == method.upper()) and path_matches(prefix, e.path)
        ]

    def count(self, method: str = "*", path_prefix: str = "") -> int:
        """How many requests matched ``method`` (or ``"*"``) and ``path_prefix``."""
        prefix = path_prefix if method == "*" else f"{method} {path_prefix}"
        return len(self.calls(prefix or None))

    def add_fault(self, fault: JiraFault) -> JiraFault:
        """Inject a fault; it applies to later requests."""
        with self.lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        """Remove every injected fault."""
        with self.lock:
            self.faults.clear()

    def take_fault(self, method: str, path: str) -> JiraFault | None:
        """The fault firing for this request, if any (every matching fault counts it)."""
        with self.lock:
            fired = [f for f in self.faults if f.matches(method, path) and f.consider()]
        return fired[0] if fired else None

    def authorized(self, header: str | None) -> bool:
        """True if ``header`` is HTTP Basic auth for ``user:api_token``."""
        if not header or not header.lower().startswith("basic "):
            return False
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return False
        return hmac.compare_digest(raw, f"{self.user}:{self.api_token}")

    # ----- mutations (raise JiraApiError) ----------------------------------------------------
    def require_issue(self, key_or_id: str) -> Issue:
        """The issue, or a 404 like Jira's."""
        issue = self.issue(key_or_id)
        if issue is None:
            raise not_found()
        return issue

    def create_issue(self, fields: Any) -> Issue:
        """Validate ``fields`` like Jira's create screen and store a new issue."""
        with self.lock:
            values = _fields.validate_create(self, fields)
            key = values.pop("project_key")
            now = jira_now()
            issue = Issue(
                id=str(next(self._issue_ids)),
                key=f"{key}-{next(self._numbers[key])}",
                project_key=key,
                status=self.initial_status,
                created=now,
                updated=now,
                seq=self.next_seq(),
                status_history=[self.initial_status],
                **values,
            )
            self._issues[issue.key] = issue
            self._comments[issue.key] = []
            return issue

    def edit_issue(
        self, key: str, fields: dict[str, Any], update: dict[str, Any] | None = None
    ) -> Issue:
        """Apply an edit (``fields`` set, ``update`` operations) atomically."""
        with self.lock:
            issue = self.require_issue(key)
            comments = _fields.apply_edit(self, issue, fields, update or {})
            for body in comments:
                self.add_comment(issue.key, body)
            issue.updated = jira_now()
            return issue

    def add_comment(self, key: str, body: Any) -> Comment:
        """Add a plain-text comment (v2 bodies are strings)."""
        if not isinstance(body, str) or not body.strip():
            raise bad_request("comment", "Comment body can not be empty!")
        with self.lock:
            issue = self.require_issue(key)
            comment = Comment(
                str(next(self._comment_ids)),
                issue.key,
                body,
                self.account_id,
                jira_now(),
                self.next_seq(),
            )
            self._comments[issue.key].append(comment)
            issue.updated = comment.created
            return comment

    def available_transitions(self, key: str) -> list[Transition]:
        """Transitions allowed from the issue's current status."""
        with self.lock:
            issue = self.require_issue(key)
            return [t for t in self.workflow if issue.status in t.sources]

    def transition(
        self,
        key: str,
        transition_id: Any,
        fields: dict[str, Any] | None = None,
        update: dict[str, Any] | None = None,
    ) -> Issue:
        """Move the issue along ``transition_id`` (400 when not valid from its status).

        ``fields`` and ``update`` (e.g. ``{"comment": [{"add": {"body": "…"}}]}``) are applied
        with the transition; the resolution is set on entering a done status, cleared on leaving.
        """
        with self.lock:
            issue = self.require_issue(key)
            if transition_id is None or str(transition_id).strip() == "":
                raise JiraApiError(400, ["Missing 'transition' identifier"])
            tid = str(transition_id)
            found = next((t for t in self.available_transitions(key) if t.id == tid), None)
            if found is None:
                raise JiraApiError(400, [f"Transition id '{tid}' is not valid for this issue."])
            comments = _fields.apply_edit(
                self, issue, fields or {}, update or {}, on_transition=True
            )
            for body in comments:
                self.add_comment(issue.key, body)
            issue.status = found.to
            issue.status_history.append(found.to)
            done = self.statuses[found.to].category == "done"
            now = jira_now()
            if done and issue.resolution is None:
                issue.resolution, issue.resolution_date = "Done", now
            elif not done:
                issue.resolution = issue.resolution_date = None
            issue.updated = now
            return issue

    def link(self, type_name: str, inward_key: str, outward_key: str) -> IssueLink:
        """Link two issues (404 for an unknown type or issue)."""
        with self.lock:
            ltype = self.link_type(type_name)
            if ltype is None:
                raise not_found(f"No issue link type with name '{type_name}' found.")
            inward, outward = self.require_issue(inward_key), self.require_issue(outward_key)
            if inward.key == outward.key:
                raise JiraApiError(400, ["You cannot link an issue to itself."])
            made = IssueLink(
                str(next(self._link_ids)), ltype.name, inward.key, outward.key, self.next_seq()
            )
            self._links.append(made)
            return made

    def delete_link(self, link_id: str) -> None:
        """Remove a link by id (404 when unknown)."""
        with self.lock:
            before = len(self._links)
            self._links = [lk for lk in self._links if lk.id != link_id]
            if len(self._links) == before:
                raise not_found(f"No issue link with id '{link_id}' exists.")

    def search(self, jql: str, *, require_bounded: bool = False) -> list[Issue]:
        """Issues selected by ``jql`` (see :mod:`._jql` for the subset); 400 when malformed.

        ``require_bounded`` rejects queries without a restriction, as Cloud's ``/search/jql`` does.
        """
        try:
            query = _jql.parse(jql)
        except _jql.JqlError as exc:
            raise JiraApiError(400, [str(exc)]) from None
        if require_bounded and not query.clauses:
            raise JiraApiError(400, [_UNBOUNDED])
        with self.lock:
            for clause in query.clauses:
                _fields.check_jql_values(self, clause)
            selected = [i for i in self._issues.values() if _jql.matcher(query)(i)]
            rank = {p.name: int(p.id) for p in self.priorities}
            return _jql.sort(selected, query, rank)
