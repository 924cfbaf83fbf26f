"""The audit chain (pure): any change, removal or reordering breaks it from there on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.audit import GENESIS, Entry, chain_hash, first_broken

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def _chain(n: int) -> list[tuple[int, str, str, Entry]]:
    rows, prev = [], GENESIS
    for i in range(1, n + 1):
        entry = Entry(T0 + timedelta(seconds=i), f"U{i}", "slack", "incident.ack", f"incident:{i}")
        digest = chain_hash(prev, entry)
        rows.append((i, prev, digest, entry))
        prev = digest
    return rows


def test_an_intact_chain_holds() -> None:
    assert first_broken(_chain(5)) is None
    assert first_broken([]) is None


def test_a_changed_entry_is_named() -> None:
    rows = _chain(5)
    entry_id, prev, digest, entry = rows[2]
    rows[2] = (entry_id, prev, digest, Entry(entry.at, "U0MALLORY", "slack", entry.action))
    assert first_broken(rows) == 3


def test_a_removed_or_reordered_entry_is_named() -> None:
    rows = _chain(5)
    assert first_broken(rows[:2] + rows[3:]) == 4
    assert first_broken([rows[1], rows[0], *rows[2:]]) == 2


def test_the_hash_covers_every_field() -> None:
    base = Entry(T0, "U1", "api", "api.get", "/api/v1/incidents", "10.0.0.1", {"a": 1})
    variants = [
        Entry(
            T0 + timedelta(microseconds=1),
            "U1",
            "api",
            "api.get",
            "/api/v1/incidents",
            "10.0.0.1",
            {"a": 1},
        ),
        Entry(T0, "U2", "api", "api.get", "/api/v1/incidents", "10.0.0.1", {"a": 1}),
        Entry(T0, "U1", "cli", "api.get", "/api/v1/incidents", "10.0.0.1", {"a": 1}),
        Entry(T0, "U1", "api", "api.post", "/api/v1/incidents", "10.0.0.1", {"a": 1}),
        Entry(T0, "U1", "api", "api.get", "/api/v1/audit", "10.0.0.1", {"a": 1}),
        Entry(T0, "U1", "api", "api.get", "/api/v1/incidents", "10.0.0.2", {"a": 1}),
        Entry(T0, "U1", "api", "api.get", "/api/v1/incidents", "10.0.0.1", {"a": 2}),
    ]
    hashes = {chain_hash(GENESIS, e) for e in variants}
    assert chain_hash(GENESIS, base) not in hashes and len(hashes) == len(variants)
