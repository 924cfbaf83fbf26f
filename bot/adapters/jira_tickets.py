"""Jira Cloud issues for incidents (``TicketPort``) through the ``jira`` library (REST v2).

The library is synchronous: every call runs on a worker thread with a timeout and no library
retries (the outbox retries, honouring ``Retry-After``). Errors map to ``TransientError``
(429, 5xx, timeouts, connection) or ``PermanentError`` (the rest)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from anyio import to_thread
from jira import JIRA, JIRAError

from bot.domain.ports import PermanentError, TransientError

__all__ = ["JiraTickets"]

T = TypeVar("T")
_TRANSIENT_STATUS = {429, 500, 502, 503, 504}


class JiraTickets:
    """One Jira project."""

    def __init__(self, *, url: str, user: str, token: str, timeout: float = 10) -> None:
        self._url = url.rstrip("/")
        self._auth = (user, token)
        self._timeout = timeout
        self._client: JIRA | None = None
        self._lock = threading.Lock()

    def _jira(self) -> JIRA:
        with self._lock:  # construction calls serverInfo; do it once, lazily
            if self._client is None:
                self._client = JIRA(
                    server=self._url,
                    basic_auth=self._auth,
                    max_retries=0,
                    timeout=self._timeout,
                    get_server_info=True,
                )
            return self._client

    async def _run(self, what: str, call: Callable[[JIRA], T]) -> T:
        def work() -> T:
            return call(self._jira())

        try:
            return await to_thread.run_sync(work)
        except JIRAError as exc:
            status = exc.status_code or 0
            if status in _TRANSIENT_STATUS:
                retry_after = _retry_after(exc.response)
                raise TransientError(
                    f"jira {what}: HTTP {status}", retry_after=retry_after
                ) from exc
            raise PermanentError(f"jira {what}: HTTP {status} {exc.text}") from exc
        except requests.RequestException as exc:
            raise TransientError(f"jira {what}: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Close the HTTP session."""
        if self._client is not None:
            self._client.close()  # type: ignore[no-untyped-call]

    async def find_by_label(self, label: str) -> str | None:
        """The newest issue carrying ``label``."""
        jql = f'labels = "{label}" ORDER BY created DESC'
        issues = await self._run("search", lambda j: j.search_issues(jql, maxResults=1))
        return str(issues[0].key) if issues else None

    async def create(self, fields: dict[str, Any]) -> str:
        """Create an issue; its key."""
        issue = await self._run("create", lambda j: j.create_issue(fields=fields))
        return str(issue.key)

    async def comment(self, key: str, text: str, *, marker: str) -> None:
        """Comment once: a retry finds the marker and does not comment again."""

        def work(j: JIRA) -> None:
            if any(marker in (c.body or "") for c in j.comments(key)):
                return
            j.add_comment(key, f"{text}\n\n{marker}")

        await self._run("comment", work)

    async def transition(self, key: str, name: str) -> bool:
        """Apply the transition called ``name`` if the issue offers it now."""

        def work(j: JIRA) -> bool:
            offered = {t["name"].lower(): t["id"] for t in j.transitions(key)}
            transition_id = offered.get(name.lower())
            if transition_id is None:
                return False
            j.transition_issue(key, transition_id)
            return True

        return await self._run("transition", work)

    async def create_linked(
        self, fields: dict[str, Any], *, label: str, link_to: str, link_type: str = "Relates"
    ) -> str:
        """The issue labelled ``label`` (found, else created), linked once to ``link_to``.

        A retry after a timeout finds the issue by its label and the link among the issue's
        ``issuelinks``, so neither is made twice."""
        labels = list(fields.get("labels") or [])
        tagged = {**fields, "labels": labels if label in labels else [*labels, label]}
        jql = f'labels = "{label}" ORDER BY created DESC'

        def work(j: JIRA) -> str:
            found = j.search_issues(jql, maxResults=1)
            key = str(found[0].key) if found else str(j.create_issue(fields=tagged).key)
            issue = j.issue(key, fields="issuelinks")
            if not any(
                _links_to(link, link_to, link_type)
                for link in getattr(issue.fields, "issuelinks", None) or []
            ):
                _link(j, link_type, inward=link_to, outward=key)
            return key

        return await self._run("create linked", work)

    def browse_url(self, key: str) -> str:
        """The issue's web address."""
        return f"{self._url}/browse/{key}"


def _link(j: JIRA, link_type: str, *, inward: str, outward: str) -> None:
    """``POST /issueLink``. Not ``JIRA.create_issue_link``: given a type name it fetches every
    link type and logs a warning on each call."""
    body = {
        "type": {"name": link_type},
        "inwardIssue": {"key": inward},
        "outwardIssue": {"key": outward},
    }
    j._session.post(j._get_url("issueLink"), data=json.dumps(body))


def _links_to(link: Any, key: str, link_type: str) -> bool:
    """Whether an ``issuelinks`` entry joins the issue to ``key`` by ``link_type``."""
    kind = getattr(link, "type", None)
    names = {str(getattr(kind, a, "")).lower() for a in ("name", "inward", "outward")}
    other = getattr(link, "inwardIssue", None) or getattr(link, "outwardIssue", None)
    return link_type.lower() in names and str(getattr(other, "key", "")).upper() == key.upper()


def _retry_after(response: Any) -> float | None:
    value = getattr(response, "headers", {}).get("Retry-After") if response is not None else None
    try:
        return float(value) if value else None
    except (TypeError, ValueError):
        return None
