"""Which Jira and Notion effects an incident change queues (in the caller's transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage.repositories import outbox

__all__ = [
    "JIRA_ACTIONS",
    "JIRA_COMMENT",
    "JIRA_OPEN",
    "JIRA_TRANSITION",
    "NOTION_RCA",
    "NOTION_SYNC",
    "NO_SYNC",
    "SyncTargets",
    "queue",
]

JIRA_OPEN = "jira.open"  # find (by label) or create the incident's issue
JIRA_COMMENT = "jira.comment"
JIRA_TRANSITION = "jira.transition"
NOTION_SYNC = "notion.sync"  # find or create the page, then set its properties to the truth
JIRA_ACTIONS = "jira.actions"  # an issue per RCA action item, linked to the incident's issue
NOTION_RCA = "notion.rca"  # append the finished RCA to the incident's page

_TRANSITIONS = {"resolve", "close", "reopen"}
_COMMENTED = {
    "update",
    "sev",
    "resolve",
    "reopen",
    "close",
    "escalate",
    "severity_raised",
    "rca_complete",
}
_ACTIONS = {"rca_complete", "rca_action"}


@dataclass(frozen=True)
class SyncTargets:
    """The sync integrations that are configured."""

    jira: bool = False
    notion: bool = False


NO_SYNC = SyncTargets()


def queue(
    session: Session,
    targets: SyncTargets,
    *,
    incident_id: int,
    event: str,
    text: str,
    actor: str,
    now: datetime,
) -> None:
    """Queue what ``event`` means for Jira and Notion (``opened``, ``ack``, ``update``, ...)."""
    if targets.jira:
        if event == "opened":
            _add(session, JIRA_OPEN, incident_id, {}, now)
        if event in _COMMENTED:
            body = f"{event} by {actor}: {text}" if text else f"{event} by {actor}"
            _add(session, JIRA_COMMENT, incident_id, {"text": body}, now)
        if event in _TRANSITIONS:
            _add(session, JIRA_TRANSITION, incident_id, {"action": event}, now)
        if event in _ACTIONS:
            _add(session, JIRA_ACTIONS, incident_id, {}, now)
    if targets.notion and event == "rca_complete":
        _add(session, NOTION_RCA, incident_id, {}, now)
    if targets.notion and event != "rca_action":
        outbox.enqueue(
            session,
            kind=NOTION_SYNC,
            incident_id=incident_id,
            payload={},
            now=now,
            coalesce_key=f"notion:{incident_id}",
        )


def _add(
    session: Session, kind: str, incident_id: int, payload: dict[str, object], now: datetime
) -> None:
    outbox.enqueue(session, kind=kind, incident_id=incident_id, payload=payload, now=now)
