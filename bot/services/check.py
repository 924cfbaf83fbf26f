"""``opsbot check``: validate the configuration and reach every configured integration."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from bot.adapters.probes import PROBES, ProbeResult
from bot.errors import StorageError
from bot.policy import Policy
from bot.settings import Settings
from storage import Database, migration_status

__all__ = ["CheckRow", "run_checks"]


@dataclass(frozen=True)
class CheckRow:
    """One line of the check table."""

    name: str
    state: str  # "OK", "FAILED" or "off"
    detail: str


def _database(settings: Settings) -> CheckRow:
    db = Database(settings.database_url)
    try:
        db.ping()
        status = migration_status(db.engine)
    except StorageError as exc:
        return CheckRow("database", "FAILED", str(exc))
    finally:
        db.dispose()
    if not status.is_current:
        return CheckRow("database", "FAILED", f"schema {status.current}, run `opsbot db upgrade`")
    return CheckRow("database", "OK", f"schema {status.head}")


async def _probe(
    name: str, client: httpx.AsyncClient, settings: Settings, policy: Policy
) -> CheckRow:
    try:
        result = await PROBES[name](client, settings, policy)
    except httpx.HTTPError as exc:
        result = ProbeResult(False, f"unreachable: {type(exc).__name__}")
    return CheckRow(name, "OK" if result.ok else "FAILED", result.detail)


async def run_checks(
    settings: Settings, policy: Policy, *, per_call_timeout: float = 5.0
) -> list[CheckRow]:
    """The database row, then one row per integration (``off`` when not configured)."""
    rows = [await asyncio.to_thread(_database, settings)]
    async with httpx.AsyncClient(timeout=per_call_timeout) as client:
        names = list(PROBES)
        results = await asyncio.gather(
            *(_probe(n, client, settings, policy) for n in names if settings.enabled(n))
        )
    by_name = {row.name: row for row in results}
    for name in names:
        rows.append(by_name.get(name) or CheckRow(name, "off", "not configured"))
    return rows
