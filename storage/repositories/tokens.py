"""REST API tokens: stored as SHA-256 hashes; looked up by hash; revocable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.tables import ApiTokenRow

__all__ = ["TokenInfo", "add", "by_hash", "listing", "revoke", "touch"]


@dataclass(frozen=True)
class TokenInfo:
    """A token as shown (never its value)."""

    id: int
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        row.id or 0, row.name, row.role, row.created_at, row.revoked_at, row.last_used_at
    )


def add(session: Session, *, name: str, role: str, token_hash: str, now: datetime) -> TokenInfo:
    """Store a new token; ``ValueError`` when the name is taken."""
    row = ApiTokenRow(name=name, role=role, token_hash=token_hash, created_at=now)
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError as exc:
        raise ValueError(f"a token named {name!r} exists already") from exc
    return _info(row)


def by_hash(session: Session, token_hash: str) -> TokenInfo | None:
    """The live (not revoked) token with this hash."""
    row = session.exec(
        select(ApiTokenRow)
        .where(ApiTokenRow.token_hash == token_hash)
        .where(col(ApiTokenRow.revoked_at).is_(None))
    ).first()
    return _info(row) if row else None


def touch(session: Session, token_id: int, now: datetime, *, every: timedelta) -> None:
    """Record a use (at most once per ``every``, so reads stay cheap)."""
    row = session.get(ApiTokenRow, token_id)
    if row is not None and (row.last_used_at is None or now - row.last_used_at >= every):
        row.last_used_at = now
        session.add(row)


def revoke(session: Session, name_or_id: str, now: datetime) -> TokenInfo | None:
    """Revoke by name or id; None when there is no such live token."""
    query = select(ApiTokenRow).where(col(ApiTokenRow.revoked_at).is_(None))
    if name_or_id.isdigit():
        query = query.where(ApiTokenRow.id == int(name_or_id))
    else:
        query = query.where(ApiTokenRow.name == name_or_id)
    row = session.exec(query).first()
    if row is None:
        return None
    row.revoked_at = now
    session.add(row)
    return _info(row)


def listing(session: Session) -> list[TokenInfo]:
    """Every token, oldest first."""
    return [_info(r) for r in session.exec(select(ApiTokenRow).order_by(col(ApiTokenRow.id)))]
