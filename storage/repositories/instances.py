"""Running opsbot processes: each keeps a row fresh (its heartbeat) and deletes it on a clean
stop; a row not refreshed for a while is a process that died."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from sqlalchemy import delete, inspect, update
from sqlmodel import Session, col, select

from storage.repositories._time import aware
from storage.tables import InstanceRow

__all__ = ["InstanceInfo", "beat", "clear", "prune", "remove", "seen_since"]


@dataclass(frozen=True)
class InstanceInfo:
    """One opsbot process as it registered itself."""

    id: str
    host: str
    pid: int
    version: str
    started_at: datetime
    seen_at: datetime


def beat(session: Session, instance: InstanceInfo) -> None:
    """Record that ``instance`` is alive at ``instance.seen_at``; (re-)register it when its row
    is missing (the first beat, or a row pruned or restored away meanwhile)."""
    refreshed = session.execute(
        update(InstanceRow)
        .where(col(InstanceRow.id) == instance.id)
        .values(seen_at=instance.seen_at)
    )
    if getattr(refreshed, "rowcount", 0) == 0:
        session.add(InstanceRow(**asdict(instance)))
        session.flush()


def remove(session: Session, instance_id: str) -> None:
    """Forget one instance (its clean stop)."""
    session.execute(delete(InstanceRow).where(col(InstanceRow.id) == instance_id))


def prune(session: Session, *, before: datetime) -> int:
    """Delete the instances last seen before ``before`` (crashed ones); how many went."""
    gone = session.execute(delete(InstanceRow).where(col(InstanceRow.seen_at) < before))
    return int(getattr(gone, "rowcount", 0) or 0)


def clear(session: Session) -> None:
    """Forget every instance (a restored database holds those of the backup's time)."""
    session.execute(delete(InstanceRow))


def seen_since(session: Session, since: datetime) -> list[InstanceInfo]:
    """The instances seen at ``since`` or later, most recently seen first; none when the
    database has no ``instances`` table (empty, or its schema predates revision 0009)."""
    if not inspect(session.connection()).has_table(InstanceRow.__tablename__):
        return []
    query = (
        select(InstanceRow)
        .where(col(InstanceRow.seen_at) >= since)
        .order_by(col(InstanceRow.seen_at).desc(), col(InstanceRow.id))
    )
    return [
        InstanceInfo(r.id, r.host, r.pid, r.version, aware(r.started_at), aware(r.seen_at))
        for r in session.exec(query)
    ]
