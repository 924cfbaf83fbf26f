"""The database handle: one engine per process, one session per unit of work."""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session, create_engine

from bot.errors import StorageError

__all__ = ["Database"]

# Transactions of one process at once on PostgreSQL: enough to overlap the waits for the
# server (about half of an intake's time); more only add threads that hold the GIL.
SESSIONS = 4


class Database:
    """Owns the engine. ``session()`` is a unit of work: commit on success, rollback on error."""

    def __init__(self, url: str, *, pool_size: int = 10, sessions: int = SESSIONS) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _make_engine(url, pool_size=pool_size)
        # SQLite has one writer. Queue this process's transactions on a lock instead of letting
        # them poll SQLite's busy handler (whose back-off sleeps make a long latency tail).
        # PostgreSQL: at most ``sessions`` transactions of this process at once. The others
        # wait here, asleep, instead of opening (and closing again) overflow connections (a
        # server process each) and competing for the GIL with the event loop, which must go
        # on answering requests (Slack's acknowledgements first) while they wait.
        self._turn: _Turns | threading.RLock = (
            threading.RLock() if self.is_sqlite else _Turns(min(sessions, pool_size))
        )
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
                self._turn,
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


class _Turns:
    """A semaphore of ``slots`` that a thread already holding a slot enters again for free (a
    session opened inside another one in the same thread never waits for itself). Waiting
    longer than ``timeout`` raises the pool's ``TimeoutError``, as a full pool did."""

    def __init__(self, slots: int, timeout: float = 30.0) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._depth = threading.local()
        self._timeout = timeout

    def __enter__(self) -> None:
        depth = getattr(self._depth, "n", 0)
        if depth == 0 and not self._slots.acquire(timeout=self._timeout):
            raise PoolTimeout(f"no database session free after {self._timeout:.0f} s")
        self._depth.n = depth + 1

    def __exit__(self, *_exc: object) -> None:
        self._depth.n -= 1
        if self._depth.n == 0:
            self._slots.release()


def _make_engine(url: str, *, pool_size: int) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # SQLite has one writer: take the write lock when a transaction begins, so two
        # transactions never deadlock upgrading a read lock (they queue on busy_timeout).
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs: dict[str, Any] = {"pool_size": pool_size, "max_overflow": 10}
    engine = create_engine(url, connect_args={"connect_timeout": 5}, **kwargs)
    _ping_when_idle(engine, IDLE_PING_SECONDS)
    return engine


IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection with ``SELECT 1`` on checkout only when it may be dead: it sat
    idle in the pool for more than ``idle_seconds``, or the server sent it something while it
    was idle (a terminated backend's notice, an EOF: a zero-timeout ``select`` on its socket,
    no round trip). ``pool_pre_ping`` pinged before every checkout, one round trip in every
    transaction of the hot path. A dead connection is replaced at once (the pool retries the
    checkout with a new one)."""

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None:  # a new connection
            return
        idle = time.monotonic() - idle_since
        if idle <= idle_seconds and not _has_input(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


def _has_input(dbapi_connection: Any) -> bool:
    """True when the server has sent something to an idle connection (or it has no socket)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except Exception:  # closed: no socket, or the driver's own "connection closed" error
        return True
    return bool(readable)


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
