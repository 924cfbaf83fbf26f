"""What client users may read: their own client's incidents, once communicated.

An incident reaches a client's eyes only when its ``client`` is that client and at least one
client update was posted to them (the agency decides what the client is told). The answer
is a ``ClientIncident``: number, service, severity, a client-facing status word, opened and
resolved times and the latest posted update; nothing internal. An incident of another
client, or one not yet communicated, is answered exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.audience import ClientIncident
from bot.domain.lifecycle import LIVE
from bot.policy import Policy
from storage.db import Database
from storage.repositories import client_portal as portal_repo

__all__ = ["ClientPortalService", "client_incident", "client_incidents", "communicated_incident"]

LIST_LIMIT = 20  # what one list message shows (portal_cards)


def client_incidents(
    *, db: Database, policy: Policy, client: str, which: str = "open", limit: int = LIST_LIMIT
) -> list[ClientIncident]:
    """``client``'s communicated incidents, newest first: live ones, or ``all``."""
    if client not in policy.clients:
        return []
    statuses = None if which == "all" else sorted(LIVE)
    with db.session() as session:
        return portal_repo.communicated(session, client=client, statuses=statuses, limit=limit)


def client_incident(
    *, db: Database, policy: Policy, client: str, incident_id: int
) -> ClientIncident | None:
    """One incident for ``client``'s eyes; None unless it is theirs and communicated."""
    if client not in policy.clients:
        return None
    with db.session() as session:
        found = portal_repo.communicated(session, client=client, incident_id=incident_id, limit=1)
    return found[0] if found else None


def communicated_incident(*, db: Database, incident_id: int) -> ClientIncident | None:
    """One incident as its client sees it (for the home team); None unless communicated."""
    with db.session() as session:
        found = portal_repo.communicated(session, client=None, incident_id=incident_id, limit=1)
    return found[0] if found else None


@dataclass(frozen=True)
class ClientPortalService:
    """Client-safe reads (blocking: call from a worker thread) and the client vocabulary."""

    db: Database
    policy: Policy

    def client_name(self, client: str) -> str:
        """The client's display name (its key when unknown)."""
        known = self.policy.clients.get(client)
        return known.name if known else client

    def client_teams(self) -> dict[str, list[str]]:
        """Client key → the Slack team ids of that client's users."""
        return {key: list(c.team_ids) for key, c in self.policy.clients.items()}

    def incidents(self, client: str, which: str = "open") -> list[ClientIncident]:
        """``client``'s communicated incidents (``open`` or ``all``)."""
        return client_incidents(db=self.db, policy=self.policy, client=client, which=which)

    def incident(self, client: str, incident_id: int) -> ClientIncident | None:
        """One of ``client``'s communicated incidents, else None."""
        return client_incident(
            db=self.db, policy=self.policy, client=client, incident_id=incident_id
        )

    def as_client_sees_it(self, incident_id: int) -> ClientIncident | None:
        """The client's view of any communicated incident (for home-team users)."""
        return communicated_incident(db=self.db, incident_id=incident_id)
