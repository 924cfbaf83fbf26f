"""The database handle: one engine per process, one session per unit of work."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

from bot.errors import StorageError

__all__ = ["Database"]


class Database:
    """Owns the engine. ``session()`` is a unit of work: commit on success, rollback on error."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, pool_size=pool_size)
        # SQLite has one writer. Queue this process's transactions on a lock instead of letting
        # them poll SQLite's busy handler (whose back-off sleeps make a long latency tail).
        self._sqlite_turn = threading.RLock() if self.is_sqlite else None
        # Sessions in use; ``dispose`` waits for them so no connection outlives its pool.
        self._in_use = 0
        self._idle = threading.Condition()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session whose transaction commits when the block ends without an error."""
        with self._idle:
            self._in_use += 1
        try:
            with (
                self._sqlite_turn or contextlib.nullcontext(),
                Session(self.engine, expire_on_commit=False) as session,
            ):
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            with self._idle:
                self._in_use -= 1
                self._idle.notify_all()

    def ping(self) -> None:
        """Run ``SELECT 1``; raise ``StorageError`` with the reason when the database is gone."""
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError as exc:
            raise StorageError(f"database unreachable: {_short(exc)}") from exc

    def dispose(self, wait: float = 10.0) -> None:
        """Close every pooled connection, after the sessions in use (up to ``wait`` s) end."""
        with self._idle:
            self._idle.wait_for(lambda: self._in_use == 0, timeout=wait)
        self.engine.dispose()


def _make_engine(url: str, *, pool_size: int) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite has one writer: take the write lock when a transaction begins, so two
        # transactions never deadlock upgrading a read lock (they queue on busy_timeout).
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 10}
    return create_engine(url, connect_args={"connect_timeout": 5}, **kwargs)


def _sqlite_begin_immediate(conn: Any) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # SQLAlchemy's "begin" event emits BEGIN itself
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _short(exc: SQLAlchemyError) -> str:
    origin = getattr(exc, "orig", None)
    return str(origin or exc).strip().splitlines()[0]
