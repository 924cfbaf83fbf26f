"""The audit chain (pure): each entry's hash covers its fields and the previous hash, so
changing, removing or reordering an entry breaks every hash after it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["GENESIS", "Entry", "chain_hash", "first_broken"]

GENESIS = "0" * 64


@dataclass(frozen=True)
class Entry:
    """Who did what, when, through which surface, from where."""

    at: datetime
    actor: str
    surface: str  # slack | webhook | api | cli | timer
    action: str
    target: str = ""
    source: str = ""  # the Slack team, the caller's IP address
    detail: dict[str, Any] = field(default_factory=dict)

    def canonical(self) -> str:
        """The fields as canonical JSON (what the hash covers)."""
        return json.dumps(
            {
                "at": self.at.isoformat(),
                "actor": self.actor,
                "surface": self.surface,
                "source": self.source,
                "action": self.action,
                "target": self.target,
                "detail": self.detail,
            },
            sort_keys=True,
            separators=(",", ":"),
            default=str,
        )


def chain_hash(prev_hash: str, entry: Entry) -> str:
    """The entry's hash, chained to the one before."""
    return hashlib.sha256(f"{prev_hash}\n{entry.canonical()}".encode()).hexdigest()


def first_broken(rows: Iterable[tuple[int, str, str, Entry]]) -> int | None:
    """The id of the first entry whose chain does not hold (rows: id, prev_hash, hash, entry,
    in id order); None when the whole chain holds."""
    expected_prev = GENESIS
    for entry_id, prev_hash, stored, entry in rows:
        if prev_hash != expected_prev or chain_hash(prev_hash, entry) != stored:
            return entry_id
        expected_prev = stored
    return None
