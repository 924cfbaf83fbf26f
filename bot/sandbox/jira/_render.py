"""JSON shapes of Jira Cloud REST resources (v2 plain text; v3 wraps text in ADF)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._models import (
    Comment,
    Component,
    Issue,
    IssueLink,
    IssueType,
    LinkType,
    Priority,
    Project,
    Status,
    Transition,
)
from ._state import JiraState

_CATEGORIES = {
    "new": (2, "To Do", "blue-gray"),
    "indeterminate": (4, "In Progress", "yellow"),
    "done": (3, "Done", "green"),
}

_EXPAND = "renderedFields,names,schema,operations,editmeta,changelog,versionedRepresentations"


def adf(text: str | None) -> dict[str, Any] | None:
    """Plain text as an Atlassian Document Format document (one paragraph per line)."""
    if text is None:
        return None
    paragraphs = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}] if line else []}
        for line in text.split("\n")
    ]
    return {"type": "doc", "version": 1, "content": paragraphs}


class Renderer:
    """Builds resource JSON with ``self`` links under ``base`` for API version 2 or 3."""

    def __init__(self, state: JiraState, base: str, version: str = "2") -> None:
        self.state, self.base, self.version = state, base.rstrip("/"), version
        self.api = f"{self.base}/rest/api/{version}"

    def text(self, value: str | None) -> Any:
        """A text field as the API version carries it."""
        return adf(value) if self.version == "3" else value

    def user(self) -> dict[str, Any]:
        """The authenticated (and only) user."""
        st = self.state
        return {
            "self": f"{self.api}/user?accountId={st.account_id}",
            "accountId": st.account_id,
            "accountType": "atlassian",
            "emailAddress": st.user,
            "displayName": st.display_name,
            "active": True,
            "timeZone": "UTC",
            "locale": "en_US",
            "avatarUrls": {"48x48": f"{self.base}/avatar/{st.account_id}.png"},
        }

    def issue_type(self, it: IssueType) -> dict[str, Any]:
        """An issue type."""
        return {
            "self": f"{self.api}/issuetype/{it.id}",
            "id": it.id,
            "name": it.name,
            "description": it.description,
            "subtask": it.subtask,
            "hierarchyLevel": -1 if it.subtask else 0,
            "iconUrl": f"{self.base}/images/icons/issuetypes/{it.name.lower()}.png",
        }

    def component(self, comp: Component) -> dict[str, Any]:
        """A project component."""
        return {"self": f"{self.api}/component/{comp.id}", "id": comp.id, "name": comp.name}

    def project(self, p: Project, *, full: bool = True) -> dict[str, Any]:
        """A project; ``full`` adds issue types, components and the lead."""
        out: dict[str, Any] = {
            "self": f"{self.api}/project/{p.id}",
            "id": p.id,
            "key": p.key,
            "name": p.name,
            "projectTypeKey": "software",
            "simplified": False,
            "style": "classic",
            "avatarUrls": {"48x48": f"{self.base}/secure/projectavatar?pid={p.id}"},
        }
        if full:
            out["issueTypes"] = [self.issue_type(t) for t in p.issue_types]
            out["components"] = [self.component(c) for c in p.components]
            out["lead"] = self.user()
            out["description"] = ""
        return out

    def priority(self, pr: Priority) -> dict[str, Any]:
        """A priority."""
        return {
            "self": f"{self.api}/priority/{pr.id}",
            "id": pr.id,
            "name": pr.name,
            "iconUrl": f"{self.base}/images/icons/priorities/{pr.name.lower()}.svg",
            "statusColor": "#cfcfcf",
            "description": pr.name,
        }

    def status(self, st: Status) -> dict[str, Any]:
        """A workflow status with its category."""
        cid, cname, colour = _CATEGORIES[st.category]
        return {
            "self": f"{self.api}/status/{st.id}",
            "id": st.id,
            "name": st.name,
            "description": "",
            "statusCategory": {
                "self": f"{self.api}/statuscategory/{cid}",
                "id": cid,
                "key": st.category,
                "name": cname,
                "colorName": colour,
            },
        }

    def transition(self, tr: Transition) -> dict[str, Any]:
        """An available transition."""
        return {
            "id": tr.id,
            "name": tr.name,
            "to": self.status(self.state.statuses[tr.to]),
            "hasScreen": False,
            "isGlobal": False,
            "isInitial": False,
            "isAvailable": True,
            "isConditional": False,
            "isLooped": False,
        }

    def link_type(self, lt: LinkType) -> dict[str, Any]:
        """An issue link type."""
        return {
            "self": f"{self.api}/issueLinkType/{lt.id}",
            "id": lt.id,
            "name": lt.name,
            "inward": lt.inward,
            "outward": lt.outward,
        }

    def comment(self, issue: Issue, c: Comment) -> dict[str, Any]:
        """A comment."""
        author = self.user()
        return {
            "self": f"{self.api}/issue/{issue.id}/comment/{c.id}",
            "id": c.id,
            "author": author,
            "updateAuthor": author,
            "body": self.text(c.body),
            "created": c.created,
            "updated": c.created,
            "jsdPublic": True,
        }

    def resolution(self, name: str | None) -> dict[str, Any] | None:
        """A resolution (``Done``), or None while unresolved."""
        if name is None:
            return None
        return {"self": f"{self.api}/resolution/10000", "id": "10000", "name": name}

    def _linked(self, issue: Issue) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "summary": issue.summary,
            "status": self.status(self.state.statuses[issue.status]),
            "issuetype": self._type_of(issue),
        }
        if (pr := self.state.priority(issue.priority or "")) is not None:
            fields["priority"] = self.priority(pr)
        return {
            "id": issue.id,
            "key": issue.key,
            "self": f"{self.api}/issue/{issue.id}",
            "fields": fields,
        }

    def issue_link(self, link: IssueLink, seen_from: Issue | None = None) -> dict[str, Any]:
        """A link; seen from an issue it names only the other end (like ``fields.issuelinks``)."""
        st = self.state
        ltype = st.link_type(link.type_name)
        assert ltype is not None
        out: dict[str, Any] = {
            "id": link.id,
            "self": f"{self.api}/issueLink/{link.id}",
            "type": self.link_type(ltype),
        }
        inward, outward = st.require_issue(link.inward_key), st.require_issue(link.outward_key)
        if seen_from is None or seen_from.key != inward.key:
            out["inwardIssue"] = self._linked(inward)
        if seen_from is None or seen_from.key != outward.key:
            out["outwardIssue"] = self._linked(outward)
        return out

    def _type_of(self, issue: Issue) -> dict[str, Any]:
        project = self.state.project(issue.project_key)
        assert project is not None
        itype = next(t for t in project.issue_types if t.name == issue.issue_type)
        return self.issue_type(itype)

    def issue_fields(self, issue: Issue) -> dict[str, Any]:
        """Every field of an issue."""
        st = self.state
        project = st.project(issue.project_key)
        assert project is not None
        comments = [self.comment(issue, c) for c in st.comments(issue.key)]
        pr = st.priority(issue.priority or "")
        fields: dict[str, Any] = {
            "summary": issue.summary,
            "description": self.text(issue.description),
            "issuetype": self._type_of(issue),
            "project": self.project(project, full=False),
            "priority": self.priority(pr) if pr else None,
            "labels": list(issue.labels),
            "components": [
                self.component(c) for c in project.components if c.name in issue.components
            ],
            "duedate": issue.duedate,
            "status": self.status(st.statuses[issue.status]),
            "statusCategory": self.status(st.statuses[issue.status])["statusCategory"],
            "resolution": self.resolution(issue.resolution),
            "resolutiondate": issue.resolution_date,
            "created": issue.created,
            "updated": issue.updated,
            "reporter": self.user(),
            "creator": self.user(),
            "assignee": None,
            "issuelinks": [self.issue_link(lk, issue) for lk in st.links_of(issue.key)],
            "subtasks": [],
            "fixVersions": [],
            "versions": [],
            "comment": {
                "self": f"{self.api}/issue/{issue.id}/comment",
                "comments": comments,
                "maxResults": len(comments),
                "total": len(comments),
                "startAt": 0,
            },
        }
        for fdef in st.fields.values():
            if fdef.applies_to(issue.issue_type):
                fields[fdef.id] = issue.custom.get(fdef.id)
        return fields

    def issue(self, issue: Issue, wanted: Iterable[str] | None = None) -> dict[str, Any]:
        """An issue; ``wanted`` is Jira's ``fields`` parameter (``*all``, ``-x``, names)."""
        every = self.issue_fields(issue)
        names = [n for w in (wanted or ["*all"]) for n in str(w).split(",") if n]
        include = set(every) if not names or {"*all", "*navigable"} & set(names) else set()
        include |= {n for n in names if n in every}
        include -= {n[1:] for n in names if n.startswith("-")}
        return {
            "expand": _EXPAND,
            "id": issue.id,
            "self": f"{self.api}/issue/{issue.id}",
            "key": issue.key,
            "fields": {k: v for k, v in every.items() if k in include},
        }
