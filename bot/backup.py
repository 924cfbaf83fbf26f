"""``opsbot backup`` and ``opsbot restore``: the whole database in one file, and back.

SQLite: the online backup API copies one consistent snapshot while opsbot keeps running (in
WAL mode readers never block writers) into a self-contained file. PostgreSQL: ``pg_dump
--format=custom`` of the schema opsbot uses (the URL's ``search_path``) inside an exported
snapshot, so the row counts printed are the file's; ``pg_restore --clean --if-exists
--no-owner`` in a single transaction. The schema revision travels in the backup (the
``alembic_version`` table): a backup from a newer opsbot is refused, an older one is restored
and upgraded to the code's head. A password reaches the tools through ``PGPASSWORD`` only.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from alembic.script import ScriptDirectory
from psycopg.conninfo import make_conninfo
from sqlalchemy import inspect, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

import storage.migrate
from bot.clock import utcnow
from bot.errors import OpsbotError, StorageError
from bot.services import instances
from storage import Database, upgrade
from storage.repositories.instances import clear as clear_instances
from storage.tables import metadata

__all__ = [
    "BackupError",
    "BackupInfo",
    "BackupRefused",
    "OpsbotRunning",
    "RestoreInfo",
    "backup",
    "restore",
]

PG_LIB = Path("/usr/lib/postgresql")  # Debian keeps the client tools in <version>/bin here
_MAGIC = {b"SQLite format 3\x00": "sqlite", b"PGDMP": "postgresql"}
_OURS = frozenset(metadata.tables) | {"alembic_version"}
_TOC_TABLE = re.compile(r"\d+; \d+ \d+ TABLE DATA (\S+) (\S+) ")
_TOC_SCHEMA = re.compile(r"\d+; \d+ \d+ (\w+ - )?SCHEMA ")
# No owners or grants: the roles of the server backed up may not exist where it is restored.
_RESTORE = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction"]


class BackupRefused(OpsbotError):
    """Refused on purpose; the message says why and what to do (CLI exit status 2)."""


class BackupError(StorageError):
    """The backup or the restore failed (CLI exit status 1)."""


class OpsbotRunning(BackupError):
    """An opsbot process serves from the database a restore would replace (exit status 1)."""


@dataclass(frozen=True)
class BackupInfo:
    """What ``backup`` wrote: rows per table (``alembic_version`` aside) as of the snapshot."""

    path: Path
    backend: str  # sqlite | postgresql
    revision: str
    tables: dict[str, int]
    size_bytes: int
    seconds: float


@dataclass(frozen=True)
class RestoreInfo(BackupInfo):
    """What ``restore`` did: ``revision`` is the backup's, ``head`` the database's now."""

    head: str = ""


def backup(url: str, path: Path) -> BackupInfo:
    """Write a consistent copy of the database at ``url`` to ``path`` (replacing it)."""
    started, path, backend = time.perf_counter(), Path(path), _backend(url)
    if not path.parent.is_dir() or path.is_dir():
        raise BackupRefused(f"cannot write {path}: not a file in an existing directory")
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        backup_to = _sqlite_backup if backend == "sqlite" else _pg_backup
        revision, tables = backup_to(url, partial)
        partial.chmod(0o600)  # it holds webhook bodies, token hashes, the audit log
        os.replace(partial, path)  # never a half-written file under the real name
    finally:
        partial.unlink(missing_ok=True)
    size, seconds = path.stat().st_size, time.perf_counter() - started
    return BackupInfo(path, backend, revision, tables, size, seconds)


def restore(
    url: str, path: Path, *, force: bool = False, stale_after: timedelta | None = None
) -> RestoreInfo:
    """Replace the database at ``url`` with the backup at ``path``, then upgrade it to head.

    Refused (``BackupRefused``) when the database holds incidents and ``force`` is off, when
    the backup comes from a newer schema, or when it is no opsbot backup of this backend;
    ``OpsbotRunning`` when, ``force`` off, an opsbot process was seen serving from the
    database within ``stale_after`` (three heartbeats). The restored database lists no
    running processes: those of the backup's time are forgotten."""
    started, path, backend = time.perf_counter(), Path(path), _backend(url)
    try:
        with path.open("rb") as file:
            start = file.read(16)
    except OSError as exc:
        raise BackupRefused(f"cannot read {path}: {exc.strerror}") from exc
    kind = next((kind for magic, kind in _MAGIC.items() if start.startswith(magic)), "")
    if not kind:
        raise BackupRefused(f"{path} is no opsbot backup (neither SQLite nor pg_dump custom)")
    if kind != backend:
        raise BackupRefused(
            f"{path} is a {kind} backup but DATABASE_URL is {backend}: restore it into {kind}"
        )
    if not force:
        _refuse_while_running(url, backend, stale_after or instances.stale_after())
    restore_into = _sqlite_restore if backend == "sqlite" else _pg_restore
    revision = restore_into(url, path, force)
    database = Database(url, pool_size=1)
    try:
        head = upgrade(database.engine).current or ""
        with database.session() as session:
            clear_instances(session)
        with database.engine.connect() as conn:
            tables = _counts(conn, _current_schema(conn) if backend == "postgresql" else None)
    except SQLAlchemyError as exc:
        raise _failed("restored, but reading it back failed", exc, url) from exc
    finally:
        database.dispose()
    size, seconds = path.stat().st_size, time.perf_counter() - started
    return RestoreInfo(path, backend, revision, tables, size, seconds, head=head)


def _refuse_while_running(url: str, backend: str, stale_after: timedelta) -> None:
    """Refuse to replace a database an opsbot process serves from: it would lose what that
    process writes, and the process would go on with a view of rows that no longer exist."""
    if backend == "sqlite" and not _sqlite_path(url).is_file():
        return  # a fresh database: nobody serves from it (and it is not created here)
    database, now = Database(url, pool_size=1), utcnow()
    try:
        found = instances.running(database, now=now, within=stale_after)
    except SQLAlchemyError as exc:
        raise _failed("database unreachable", exc, url) from exc
    finally:
        database.dispose()
    if found:
        raise OpsbotRunning(
            f"opsbot is running on this database ({instances.describe(found, now)}): a restore "
            "would lose what it writes. Stop opsbot first, or pass --force"
        )


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupRefused("an in-memory SQLite database cannot be backed up or restored")
    return Path(database)


def _sqlite_backup(url: str, partial: Path) -> tuple[str, dict[str, int]]:
    source = _sqlite_path(url)
    if not source.is_file():
        raise BackupRefused(f"no SQLite database at {source}")
    try:
        with (
            contextlib.closing(sqlite3.connect(source, timeout=30)) as src,
            contextlib.closing(sqlite3.connect(partial)) as dst,
        ):
            src.backup(dst)  # in one step: one consistent snapshot
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal
            return _sqlite_contents(dst, source)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite backup of {source} failed: {exc}") from exc


def _sqlite_restore(url: str, path: Path, force: bool) -> str:
    target = _sqlite_path(url)
    try:
        read_only = path.resolve().as_uri() + "?mode=ro"
        with contextlib.closing(sqlite3.connect(read_only, uri=True)) as src:
            check = src.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise BackupRefused(f"{path} is damaged ({check}); nothing was restored")
            revision = _sqlite_contents(src, path)[0]
            _check_revision(revision, path)
            with contextlib.closing(sqlite3.connect(target, timeout=30)) as dst:
                if not force and _sqlite_tables(dst) & {"incidents"}:
                    _refuse_over(dst.execute("SELECT count(*) FROM incidents").fetchone()[0])
                src.backup(dst)  # every page of the target, in one transaction
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite restore into {target} failed: {exc}") from exc
    return revision


def _sqlite_tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {str(name) for (name,) in rows if not str(name).startswith("sqlite_")}


def _sqlite_contents(conn: sqlite3.Connection, where: Path) -> tuple[str, dict[str, int]]:
    names = _sqlite_tables(conn)
    if "alembic_version" not in names:
        raise BackupRefused(f"{where} holds no opsbot schema (no alembic_version table)")
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    count = 'SELECT count(*) FROM "{}"'  # names come from sqlite_master
    tables = {n: int(conn.execute(count.format(n)).fetchone()[0]) for n in sorted(names)}
    tables.pop("alembic_version")
    return (str(row[0]) if row else ""), tables


def _pg_backup(url: str, partial: Path) -> tuple[str, dict[str, int]]:
    pg_dump = pg_tool("pg_dump")
    database = Database(url, pool_size=1)
    try:
        with database.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                schema = _current_schema(conn)
                if "alembic_version" not in inspect(conn).get_table_names(schema=schema):
                    raise BackupRefused(f"schema {schema} holds no opsbot schema")
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
                ident = conn.dialect.identifier_preparer.quote(schema)
                version = text(f"SELECT version_num FROM {ident}.alembic_version")  # noqa: S608
                revision, tables = str(conn.execute(version).scalar() or ""), _counts(conn, schema)
                # pg_dump reads this transaction's snapshot, which stays open until it is done.
                pattern = '"' + schema.replace('"', '""') + '"'  # exactly this schema
                dump = [pg_dump, "--format=custom", f"--schema={pattern}", f"--file={partial}"]
                _run([*dump, f"--snapshot={snapshot}"], url, connect=True)
                return revision, tables
    except SQLAlchemyError as exc:
        raise _failed("database unreachable", exc, url) from exc
    finally:
        database.dispose()


def _pg_restore(url: str, path: Path, force: bool) -> str:
    pg_restore = pg_tool("pg_restore")
    toc = _run([pg_restore, "--list", str(path)], url).splitlines()
    found = {m.groups() for line in toc if (m := _TOC_TABLE.match(line))}
    if len(schemas := {schema for schema, _ in found}) != 1:
        raise BackupRefused(f"{path} holds {len(schemas)} schemas; an opsbot backup holds one")
    (dump_schema,) = schemas
    script = _run(
        [pg_restore, "--data-only", "--table=alembic_version", "--file=-", str(path)], url
    )
    copy = re.search(r"^COPY .*\n(.*)$", script, re.MULTILINE)  # the one row of alembic_version
    revision = copy.group(1) if copy and copy.group(1) != "\\." else ""
    _check_revision(revision, path)
    database = Database(url, pool_size=1)
    try:
        with database.engine.begin() as conn:
            schema, quote = _current_schema(conn), conn.dialect.identifier_preparer.quote
            if schema != dump_schema:
                raise BackupRefused(
                    f"{path} holds schema {dump_schema!r}, DATABASE_URL uses {schema!r}"
                )
            present = set(inspect(conn).get_table_names(schema=schema))
            if not force and "incidents" in present:
                count = text(f"SELECT count(*) FROM {quote(schema)}.incidents")  # noqa: S608
                _refuse_over(conn.execute(count).scalar_one())
            conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}"))
            # Tables of a schema newer than the backup's would block --clean (their foreign
            # keys) and the upgrade after it: drop them (opsbot's own only).
            for name in sorted((present & _OURS) - {table for _, table in found}):
                conn.execute(text(f"DROP TABLE {quote(schema)}.{quote(name)} CASCADE"))
    except SQLAlchemyError as exc:
        raise _failed("database unreachable", exc, url) from exc
    finally:
        database.dispose()
    with tempfile.NamedTemporaryFile("w", suffix=".list") as listing:
        # Without the schema's own entries: --clean would drop and re-create it (public too).
        listing.write("".join(line + "\n" for line in toc if not _TOC_SCHEMA.match(line)))
        listing.flush()
        _run([pg_restore, *_RESTORE, f"--use-list={listing.name}", str(path)], url, connect=True)
    return revision


def pg_tool(name: str) -> str:
    """Where ``pg_dump`` or ``pg_restore`` is: on PATH, else the newest under ``PG_LIB``."""
    if found := shutil.which(name):
        return found
    candidates = [p for p in PG_LIB.glob(f"*/bin/{name}") if p.is_file()]
    candidates.sort(key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    if candidates:
        return str(candidates[-1])
    raise BackupError(
        f"{name} not found on PATH nor in {PG_LIB}/<version>/bin: install the "
        "PostgreSQL client tools (Debian: postgresql-client)"
    )


def _run(args: list[str], url: str, *, connect: bool = False) -> str:
    """Run a PostgreSQL tool; the password goes through the environment, never argv."""
    conninfo, password = _conninfo(url)
    env = dict(os.environ) | ({"PGPASSWORD": password} if password else {})
    command = [*args, f"--dbname={conninfo}"] if connect else args
    try:
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)  # noqa: S603
    except OSError as exc:
        raise BackupError(f"cannot run {args[0]}: {exc.strerror}") from exc
    if done.returncode != 0:
        detail = "\n".join(done.stderr.strip().splitlines()[:5]) or f"exit {done.returncode}"
        raise BackupError(_scrub(f"{Path(args[0]).name} failed: {detail}", url))
    return done.stdout


def _conninfo(url: str) -> tuple[str, str | None]:
    """A libpq connection string for ``url`` without its password, and the password."""
    parsed = make_url(url)
    params = {k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()}
    password = params.pop("password", None) or parsed.password
    where = {"host": parsed.host, "port": parsed.port, "user": parsed.username}
    return make_conninfo("", dbname=parsed.database, **where, **params), password


def _current_schema(conn: Connection) -> str:
    if schema := conn.execute(text("SELECT current_schema()")).scalar():
        return str(schema)
    # No schema of the search_path exists yet (a fresh database): the first one named.
    for entry in str(conn.execute(text("SHOW search_path")).scalar() or "").split(","):
        if entry.strip() and entry.strip() != '"$user"':
            return entry.strip().strip('"')
    raise BackupRefused("DATABASE_URL's search_path names no schema")


def _backend(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def _check_revision(revision: str, path: Path) -> None:
    script = ScriptDirectory(str(Path(storage.migrate.__file__).parent / "migrations"))
    if not revision:
        raise BackupRefused(f"{path} records no schema revision: no opsbot backup")
    if revision not in {rev.revision for rev in script.walk_revisions()}:
        raise BackupRefused(
            f"{path} comes from a newer opsbot (schema revision {revision}, "
            f"this one knows up to {script.get_current_head()}): restore it "
            "with that version of opsbot or a later one"
        )


def _refuse_over(incidents: int) -> None:
    if incidents:
        raise BackupRefused(
            f"the database holds {incidents} incident(s) and a restore replaces all of it: "
            "stop opsbot, then run again with --force"
        )


def _counts(conn: Connection, schema: str | None) -> dict[str, int]:
    quote = conn.dialect.identifier_preparer.quote
    prefix = f"{quote(schema)}." if schema else ""
    names = sorted(set(inspect(conn).get_table_names(schema=schema)) - {"alembic_version"})
    count = "SELECT count(*) FROM {}"  # names come from the catalogue, quoted
    return {n: int(conn.execute(text(count.format(prefix + quote(n)))).scalar_one()) for n in names}


def _failed(what: str, exc: BaseException, url: str) -> BackupError:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return BackupError(_scrub(f"{what}: {first}", url))


def _scrub(message: str, url: str) -> str:
    password = _conninfo(url)[1]
    return message.replace(password, "***") if password else message
