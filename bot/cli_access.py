"""``opsbot token`` (REST API tokens) and ``opsbot audit`` (verify and export the chain)."""

from __future__ import annotations

import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import click

from bot.clock import utcnow
from bot.domain.access import ORDER
from bot.policy import load_policy
from bot.services.access import Access
from bot.services.audit import AuditService
from bot.settings import get_settings
from storage import Database, upgrade

__all__ = ["audit", "token"]


@contextmanager
def _services() -> Iterator[tuple[Access, AuditService]]:
    settings = get_settings()
    db = Database(settings.database_url)
    try:
        upgrade(db.engine)
        policy = load_policy(settings.policy_path())
        yield Access(db=db, policy=policy, clock=utcnow), AuditService(db=db, clock=utcnow)
    finally:
        db.dispose()


def _operator() -> str:
    return f"cli:{getpass.getuser()}"


@click.group()
def token() -> None:
    """REST API tokens: create (shown once), list, revoke."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses it, e.g. grafana.")
@click.option("--role", type=click.Choice(ORDER), default="viewer", show_default=True)
def token_create(name: str, role: str) -> None:
    """Create a token and print it once (only its hash is stored)."""
    with _services() as (access, audit_log):
        try:
            value, info = access.create_token(name=name, role=role)
        except ValueError as exc:
            click.echo(f"opsbot: {exc}", err=True)
            sys.exit(2)
        audit_log.record(
            actor=_operator(),
            surface="cli",
            action="token.created",
            target=f"token:{name}",
            detail={"role": role, "id": info.id},
        )
    click.echo(value)
    click.echo(f"token {name!r} ({role}) created; it is not shown again", err=True)


@token.command("revoke")
@click.argument("name_or_id")
def token_revoke(name_or_id: str) -> None:
    """Revoke a token by name or id."""
    with _services() as (access, audit_log):
        info = access.revoke_token(name_or_id)
        if info is None:
            click.echo(f"opsbot: no live token {name_or_id!r}", err=True)
            sys.exit(2)
        audit_log.record(
            actor=_operator(), surface="cli", action="token.revoked", target=f"token:{info.name}"
        )
    click.echo(f"token {info.name!r} revoked")


@token.command("list")
def token_list() -> None:
    """Every token: name, role, created, last used, revoked (never the values)."""
    with _services() as (access, _):
        for info in access.tokens():
            used = info.last_used_at.isoformat() if info.last_used_at else "never"
            state = f"revoked {info.revoked_at.isoformat()}" if info.revoked_at else "live"
            click.echo(f"{info.id}\t{info.name}\t{info.role}\tlast used {used}\t{state}")


@click.group()
def audit() -> None:
    """The tamper-evident audit log."""


@audit.command("verify")
def audit_verify() -> None:
    """Prove the hash chain intact, or name the first broken entry (exit 1)."""
    with _services() as (_, audit_log):
        result = audit_log.verify()
    if result.first_broken is not None:
        click.echo(f"audit chain BROKEN at entry {result.first_broken}", err=True)
        sys.exit(1)
    click.echo(f"audit chain intact: {result.entries} entries")


@audit.command("export")
@click.option("--since", type=click.DateTime(), default=None, help="Only entries from then on.")
def audit_export(since: datetime | None) -> None:
    """Every entry as JSON lines (with its hash), oldest first."""
    start = since.replace(tzinfo=UTC) if since and since.tzinfo is None else since
    with _services() as (_, audit_log):
        for entry in audit_log.export(since=start):
            click.echo(json.dumps(entry, sort_keys=True))
