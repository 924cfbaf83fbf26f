"""``opsbot backup`` and ``opsbot restore``: every table survives a round trip on SQLite and
PostgreSQL; a database with incidents, a newer schema and the wrong kind of file are refused."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Table, TypeDecorator, func, insert, select
from sqlmodel import SQLModel

import storage.migrate
from bot import backup as backup_module
from bot.backup import BackupError, BackupRefused, backup, restore
from storage import Database, upgrade
from storage.migrate import head_revision
from storage.tables import (
    AlertGroupRow,
    AlertRow,
    ChecklistItemRow,
    ClientUpdateRow,
    HitlRequestRow,
    IncidentRoleRow,
    IncidentRow,
    OutboxRow,
    RcaActionItemRow,
    SlackEventReceipt,
    TimelineRow,
    TimerRow,
    WebhookDeliveryRow,
)
from tests.conftest import PgSchema, require_postgres
from tests.test_cli import clean_env, run

T0 = datetime(2026, 11, 2, 9, 30, 15, 123456, tzinfo=UTC)
Rows = dict[str, list[tuple[Any, ...]]]


def fill(db: Database) -> None:
    """Rows in every table: an incident with all it can have, and a generic row in any table
    added since (so a new table is never left out of the round trip)."""
    minute = timedelta(minutes=1)
    with db.session() as s:
        inc = IncidentRow(title="Checkout API 5xx — “quoted” ✓", severity="S2", status="resolved",
                          service="checkout", client="ACME", opened_at=T0,
                          acknowledged_at=T0 + minute, resolved_at=T0 + 9 * minute,
                          last_seen_at=T0 + 8 * minute, summary="it's\nmulti-line\ttext",
                          slack_channel_id="C1", jira_key="OPS-1", declared_by="U1")  # fmt: skip
        other = IncidentRow(title="Quiet", severity="S4", status="open", service="etl",
                            opened_at=T0 + minute)  # fmt: skip
        s.add_all([inc, other])
        s.flush()
        n = inc.id
        assert n is not None
        s.add_all([
            AlertRow(incident_id=n, fingerprint="fp1", starts_at=T0, status="firing",
                     severity="S2", name="HighErrorRate", labels={"service": "checkout"},
                     annotations={"summary": "5xx > 5%"}, generator_url="http://prom/graph",
                     first_seen_at=T0, last_seen_at=T0 + minute),
            AlertRow(incident_id=n, fingerprint="fp2", starts_at=T0, ends_at=T0 + minute,
                     status="resolved", severity="S3", name="Latency", first_seen_at=T0,
                     last_seen_at=T0),
            TimelineRow(incident_id=n, at=T0, kind="opened", actor="alertmanager",
                        surface="webhook", text="opened from HighErrorRate"),
            IncidentRoleRow(incident_id=n, role="commander", user_id="U1", assigned_at=T0),
            TimerRow(incident_id=n, kind="ack", due_at=T0 + 5 * minute, armed_at=T0),
            OutboxRow(incident_id=n, kind="slack.post", payload={"blocks": [{"type": "x"}]},
                      coalesce_key="card:1", next_attempt_at=T0, created_at=T0),
            ChecklistItemRow(incident_id=n, checklist="comms", key="announce",
                             label="Announce internally", content={"note": "done"}),
            RcaActionItemRow(incident_id=n, text="Add pool size to the checklist", owner="U2",
                             due=date(2026, 12, 1), created_by="U1", created_at=T0),
            ClientUpdateRow(incident_id=n, client="ACME", text="We are on it", status="posted",
                            needs_approval=True, drafted_by="U1", drafted_at=T0),
            HitlRequestRow(source="langgraph", thread_id="th-1", run_id="run-1",
                           workflow="deploy", question="Deploy?", created_at=T0),
            WebhookDeliveryRow(source="alertmanager", received_at=T0, body='{"alerts": []}',
                               incident_ids=[n]),
            SlackEventReceipt(event_id="Ev01", event_type="app_mention", received_at=T0),
            AlertGroupRow(key_hash="k" * 64, group_key='{}:{alertname="HighErrorRate"}',
                          group_labels={"alertname": "HighErrorRate"}, incident_id=n,
                          first_seen_at=T0, last_seen_at=T0),
        ])  # fmt: skip
    with db.engine.begin() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if not conn.execute(select(func.count()).select_from(table)).scalar_one():
                conn.execute(insert(table).values(generic_row(conn, table)))


def generic_row(conn: Connection, table: Table) -> dict[str, Any]:
    """A row for any table: a value of each column's type; foreign keys to existing rows."""
    row: dict[str, Any] = {}
    for column in table.columns:
        kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
        if column.foreign_keys:
            target = next(iter(column.foreign_keys)).column
            row[column.name] = conn.execute(select(target).limit(1)).scalar_one()
        elif isinstance(kind, sa.Integer):
            row[column.name] = 2 if column.primary_key else 7
        elif isinstance(kind, sa.DateTime):
            row[column.name] = T0
        elif isinstance(kind, sa.Date):
            row[column.name] = date(2026, 12, 24)
        elif isinstance(kind, sa.Boolean):
            row[column.name] = True
        elif isinstance(kind, sa.JSON):
            row[column.name] = {"key": "value"}
        elif isinstance(kind, sa.String):
            row[column.name] = "x" * min(getattr(kind, "length", None) or 12, 12)
        else:
            raise AssertionError(f"teach generic_row about {table.name}.{column.name}: {kind}")
    return row


def rows(url: str) -> Rows:
    """Every row of every table, ordered by primary key; ``instances`` aside (the processes
    running at the backup's time: a restore forgets them)."""
    database = Database(url)
    try:
        with database.engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))]
                for t in SQLModel.metadata.sorted_tables
                if t.name != "instances"
            }
    finally:
        database.dispose()


def migrated(url: str, revision: str = "head") -> Database:
    database = Database(url)
    upgrade(database.engine, revision)
    return database


def empty_twin(url: str, tmp_path: Path) -> str:
    """An empty database to restore into: another SQLite file; the same schema, re-created."""
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    schema = PgSchema(str(sa.make_url(url).query["options"]).rsplit("=", 1)[1])
    schema.drop()
    schema.create()
    return url


def test_round_trip_keeps_every_row_of_every_table(database_url: str, tmp_path: Path) -> None:
    db = migrated(database_url)
    fill(db)
    db.dispose()
    before = rows(database_url)
    assert not [name for name, found in before.items() if not found], "tables left empty"

    made = backup(database_url, tmp_path / "opsbot.backup")
    assert made.revision == head_revision()
    assert made.tables == {name: len(found) for name, found in before.items()} | {"instances": 1}
    assert made.size_bytes == (tmp_path / "opsbot.backup").stat().st_size > 0
    assert (tmp_path / "opsbot.backup").stat().st_mode & 0o777 == 0o600

    target = empty_twin(database_url, tmp_path)
    done = restore(target, tmp_path / "opsbot.backup")
    assert (done.revision, done.head) == (head_revision(), head_revision())
    assert done.tables == made.tables | {"instances": 0}
    assert rows(target) == before
    restored = migrated(target)
    with restored.session() as s:  # sequences came back too: ids go on
        new = IncidentRow(title="after", severity="S3", status="open", service="x", opened_at=T0)
        s.add(new)
        s.flush()
        assert new.id == max(r[0] for r in before["incidents"]) + 1
    restored.dispose()


def test_restore_over_incidents_needs_force(database_url: str, tmp_path: Path) -> None:
    db = migrated(database_url)
    fill(db)
    backup(database_url, tmp_path / "b")
    before = rows(database_url)
    with db.session() as s:  # what happens after the backup
        s.execute(sa.delete(TimelineRow))
        s.execute(sa.update(IncidentRow).values(title="renamed"))
        s.add(IncidentRow(title="new", severity="S1", status="open", service="x", opened_at=T0))
    db.dispose()
    changed = rows(database_url)

    with pytest.raises(BackupRefused, match=r"holds 3 incident\(s\).*--force"):
        restore(database_url, tmp_path / "b")
    assert rows(database_url) == changed

    restore(database_url, tmp_path / "b", force=True)
    assert rows(database_url) == before


def test_a_backup_from_a_newer_schema_is_refused(database_url: str, tmp_path: Path) -> None:
    db = migrated(database_url)
    fill(db)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    db.dispose()
    assert backup(database_url, tmp_path / "b").revision == "9999_future"
    target = empty_twin(database_url, tmp_path)

    with pytest.raises(BackupRefused, match=r"newer opsbot \(schema revision 9999_future"):
        restore(target, tmp_path / "b")
    database = Database(target)
    assert sa.inspect(database.engine).get_table_names() == []  # untouched
    database.dispose()


def test_an_older_backup_is_restored_then_upgraded(database_url: str, tmp_path: Path) -> None:
    scripts = ScriptDirectory(str(Path(storage.migrate.__file__).parent / "migrations"))
    previous = scripts.get_revision(head_revision()).down_revision
    assert isinstance(previous, str)
    db = migrated(database_url, previous)
    with db.engine.begin() as conn:
        incidents = Table("incidents", sa.MetaData(), autoload_with=conn)
        conn.execute(insert(incidents).values(generic_row(conn, incidents)))
    db.dispose()
    backup(database_url, tmp_path / "old")
    migrated(database_url).dispose()  # the live database moved on to head meanwhile

    done = restore(database_url, tmp_path / "old", force=True)
    assert (done.revision, done.head) == (previous, head_revision())
    assert done.tables["incidents"] == 1
    assert set(done.tables) == set(SQLModel.metadata.tables)


def test_garbage_and_missing_files_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    (tmp_path / "notes.txt").write_text("not a backup")
    with pytest.raises(BackupRefused, match="no opsbot backup"):
        restore(url, tmp_path / "notes.txt")
    with pytest.raises(BackupRefused, match="cannot read"):
        restore(url, tmp_path / "missing")
    with pytest.raises(BackupRefused, match="no SQLite database"):
        backup(url, tmp_path / "b")
    with contextlib.closing(sqlite3.connect(tmp_path / "plain.db")) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(BackupRefused, match="no opsbot schema"):
        restore(url, tmp_path / "plain.db")


def test_sqlite_backup_while_opsbot_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    db = migrated(url)
    fill(db)
    stop = threading.Event()

    def write() -> None:
        while not stop.is_set():
            with db.session() as s:
                s.add(TimelineRow(incident_id=1, at=T0, kind="note", actor="U1",
                                  surface="slack", text="busy"))  # fmt: skip

    writer = threading.Thread(target=write)
    writer.start()
    try:
        counts = [backup(url, tmp_path / f"b{i}").tables["timeline_entries"] for i in range(5)]
    finally:
        stop.set()
        writer.join()
    db.dispose()
    assert counts == sorted(counts) and counts[-1] > counts[0]
    done = restore(f"sqlite:///{tmp_path / 'again.db'}", tmp_path / "b4")
    assert done.tables["timeline_entries"] == counts[-1]
    assert not (tmp_path / "b4-wal").exists()


@pytest.mark.postgres
def test_postgres_refusals_and_the_password(tmp_path: Path) -> None:
    require_postgres()
    first, second = (
        PgSchema("t_bk_a_" + tmp_path.name[-8:]),
        PgSchema("t_bk_b_" + tmp_path.name[-8:]),
    )
    for schema in (first, second):
        schema.drop()
        schema.create()
    try:
        migrated(first.url).dispose()
        backup(first.url, tmp_path / "a.dump")
        with pytest.raises(BackupRefused, match="holds schema 't_bk_a_"):
            restore(second.url, tmp_path / "a.dump")
        migrated(f"sqlite:///{tmp_path / 'x.db'}").dispose()
        backup(f"sqlite:///{tmp_path / 'x.db'}", tmp_path / "x.backup")
        with pytest.raises(BackupRefused, match="is a sqlite backup but DATABASE_URL is postgres"):
            restore(second.url, tmp_path / "x.backup")

        # A failing pg_dump: the password reached it through PGPASSWORD, never argv or output.
        fake = tmp_path / "bin" / "pg_dump"
        fake.parent.mkdir()
        fake.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/argv\necho "$PGPASSWORD" > '
                        f'{tmp_path}/env\necho "pg_dump: error: $@" >&2\nexit 1\n')  # fmt: skip
        fake.chmod(0o755)
        url = first.url.replace("postgres@", "postgres:s3cret-pw@")
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
            with pytest.raises(BackupError, match="pg_dump failed") as failed:
                backup(url, tmp_path / "never.dump")
        assert "s3cret-pw" not in str(failed.value)
        assert "s3cret-pw" not in (tmp_path / "argv").read_text()
        assert (tmp_path / "env").read_text().strip() == "s3cret-pw"
        assert not (tmp_path / "never.dump").exists()
    finally:
        first.drop()
        second.drop()


def test_missing_postgres_tools_are_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(backup_module, "PG_LIB", tmp_path)
    with pytest.raises(BackupError, match=r"pg_restore not found.*postgresql-client"):
        backup_module.pg_tool("pg_restore")
    (tmp_path / "16" / "bin").mkdir(parents=True)
    (tmp_path / "16" / "bin" / "pg_restore").touch()
    assert backup_module.pg_tool("pg_restore") == str(tmp_path / "16" / "bin" / "pg_restore")


def test_cli_backup_then_restore(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    assert run("db", "upgrade", env=env).returncode == 0
    db = Database(env["DATABASE_URL"])
    fill(db)
    db.dispose()
    before = rows(env["DATABASE_URL"])

    made = run("backup", str(tmp_path / "opsbot.backup"), env=env)
    assert made.returncode == 0, made.stderr
    assert f"schema {head_revision()}" in made.stdout
    assert any(line.split() == ["incidents", "2"] for line in made.stdout.splitlines())

    refused = run("restore", str(tmp_path / "opsbot.backup"), env=env)
    assert refused.returncode == 2
    assert "holds 2 incident(s)" in refused.stderr and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = run("restore", "--force", str(tmp_path / "opsbot.backup"), env=env)
    assert forced.returncode == 0, forced.stderr
    assert "restored" in forced.stdout

    fresh = env | {"DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    restored = run("restore", str(tmp_path / "opsbot.backup"), env=fresh)
    assert restored.returncode == 0, restored.stderr
    assert rows(fresh["DATABASE_URL"]) == before == rows(env["DATABASE_URL"])
    assert run("restore", str(tmp_path / "nothing"), env=env).returncode == 2
