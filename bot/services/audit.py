"""The audit log's use cases: record (in a transaction of its own), verify the chain, read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import Clock
from bot.domain.audit import Entry, first_broken
from storage.db import Database
from storage.repositories import audit as repo

__all__ = ["AuditService", "Verified"]


@dataclass(frozen=True)
class Verified:
    """The chain's state: how many entries, and the first broken one (None: intact)."""

    entries: int
    first_broken: int | None


@dataclass
class AuditService:
    """Append-only, hash-chained audit log (blocking: call from a worker thread)."""

    db: Database
    clock: Clock

    def record(
        self,
        *,
        actor: str,
        surface: str,
        action: str,
        target: str = "",
        source: str = "",
        detail: dict[str, Any] | None = None,
    ) -> int:
        """Append one entry; its id."""
        entry = Entry(
            at=self.clock(),
            actor=actor,
            surface=surface,
            action=action,
            target=target,
            source=source,
            detail=dict(detail or {}),
        )
        with self.db.session() as session:
            return repo.append(session, entry)

    def verify(self) -> Verified:
        """Walk the whole chain."""
        count = 0

        def counted() -> Iterator[tuple[int, str, str, Entry]]:
            nonlocal count
            for row in repo.rows(session):
                count += 1
                yield row

        with self.db.session() as session:
            broken = first_broken(counted())
        return Verified(count, broken)

    def read(
        self, *, since: datetime | None = None, limit: int = 100, after_id: int = 0
    ) -> list[dict[str, Any]]:
        """Entries in their public shape, oldest first."""
        with self.db.session() as session:
            found = repo.entries(session, since=since, limit=limit, after_id=after_id)
        return [_public(entry_id, entry, digest) for entry_id, entry, digest in found]

    def export(self, *, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        """Every entry (since ``since``), a page at a time."""
        after = 0
        while True:
            page = self.read(since=since, limit=1000, after_id=after)
            if not page:
                return
            yield from page
            after = int(page[-1]["id"])


def _public(entry_id: int, entry: Entry, digest: str) -> dict[str, Any]:
    return {
        "id": entry_id,
        "at": entry.at.isoformat(),
        "actor": entry.actor,
        "surface": entry.surface,
        "source": entry.source,
        "action": entry.action,
        "target": entry.target,
        "detail": entry.detail,
        "hash": digest,
    }
