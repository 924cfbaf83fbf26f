"""Running opsbot processes register themselves (``instances``), and ``opsbot restore``
refuses to replace a database one of them serves from, unless forced. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from bot import __version__
from bot.backup import OpsbotRunning, backup, restore
from bot.clock import utcnow
from bot.services.instances import Heartbeat, InstanceInfo, running
from storage import Database, upgrade
from storage.repositories import instances as repo
from storage.tables import InstanceRow
from tests.processes import serve_processes
from tests.test_cli import clean_env, run
from tests.waiting import wait_until

WINDOW = timedelta(seconds=30)  # three heartbeats of 10 s: the default


def migrated(url: str) -> Database:
    database = Database(url)
    upgrade(database.engine)
    return database


def seen(db: Database) -> list[InstanceInfo]:
    return running(db, now=utcnow(), within=timedelta(days=1))


def add_row(db: Database, *, pid: int, ago: timedelta, host: str = "web-7") -> None:
    """An instance row as another process would leave it, last seen ``ago``."""
    at = utcnow() - ago
    with db.session() as s:
        repo.beat(s, InstanceInfo(f"{pid:032x}", host, pid, "0.0.9", at, at))


def test_heartbeat_registers_refreshes_prunes_and_unregisters(db: Database) -> None:
    add_row(db, pid=1, ago=timedelta(hours=1))  # a process that crashed long ago

    async def life() -> None:
        heartbeat = Heartbeat(db=db, every=0.05)
        await heartbeat.start()
        (me,) = [i for i in seen(db) if i.pid != 1]
        assert (me.host, me.pid, me.version) == (socket.gethostname(), os.getpid(), __version__)
        assert len(me.id) == 32 and me.started_at <= me.seen_at
        await asyncio.sleep(0.3)
        (later,) = seen(db)  # refreshed; the crashed one pruned (unseen for 3 beats)
        assert later.id == me.id and later.seen_at > me.seen_at
        with db.session() as s:  # gone under it (a forced restore): back at the next beat
            repo.clear(s)
        await asyncio.sleep(0.3)
        assert [i.id for i in seen(db)] == [me.id]
        await heartbeat.stop()

    asyncio.run(life())
    assert seen(db) == []


def test_a_database_without_the_table_has_nobody_running(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    assert running(empty, now=utcnow(), within=WINDOW) == []
    empty.dispose()


def test_restore_refuses_while_an_instance_was_seen(database_url: str, tmp_path: Path) -> None:
    db = migrated(database_url)
    backup(database_url, tmp_path / "b")
    add_row(db, pid=4242, ago=timedelta(seconds=3))

    with pytest.raises(OpsbotRunning) as refused:
        restore(database_url, tmp_path / "b")
    message = str(refused.value)
    assert "(host web-7, pid 4242, version 0.0.9, last seen " in message
    assert "(3 s ago)" in message and "Stop opsbot first, or pass --force" in message
    assert len(seen(db)) == 1  # untouched

    done = restore(database_url, tmp_path / "b", force=True)
    assert done.tables["instances"] == 0  # the rows of the backup's time are forgotten too
    with db.session() as s:  # a crashed process: last seen longer ago than three heartbeats
        s.execute(sa.delete(InstanceRow))
    add_row(db, pid=4243, ago=WINDOW + timedelta(seconds=2))
    restore(database_url, tmp_path / "b")
    db.dispose()


def test_backup_runs_online_and_a_copy_forgets_the_instances(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    db = migrated(url)
    add_row(db, pid=7, ago=timedelta(0))
    made = backup(url, tmp_path / "b")  # online: a running instance does not stop a backup
    db.dispose()
    assert made.tables["instances"] == 1
    # restored elsewhere: the instance of the source is not one of the copy
    done = restore(f"sqlite:///{tmp_path / 'copy.db'}", tmp_path / "b")
    assert done.tables["instances"] == 0
    restore(f"sqlite:///{tmp_path / 'copy.db'}", tmp_path / "b")  # so nothing blocks this


def test_cli_restore_refuses_while_opsbot_serves(database_url: str, tmp_path: Path) -> None:
    env = clean_env(tmp_path, DATABASE_URL=database_url)
    with serve_processes(1, env=env, policy="", tmp_path=tmp_path) as (url,):
        db = Database(database_url)
        (server,) = seen(db)
        assert server.pid != os.getpid() and server.host == socket.gethostname()
        metrics = httpx.get(url + "/metrics", timeout=10).text
        assert "opsbot_instances_running 1.0" in metrics

        made = run("backup", str(tmp_path / "b"), env=env)  # online backup: fine
        assert made.returncode == 0, made.stderr

        refused = run("restore", str(tmp_path / "b"), env=env)
        assert refused.returncode == 1, refused.stderr
        assert "opsbot is running on this database" in refused.stderr
        assert f"(host {server.host}, pid {server.pid}, version {__version__}" in refused.stderr
        assert "Stop opsbot first, or pass --force" in refused.stderr
        assert "Traceback" not in refused.stderr

        forced = run("restore", "--force", str(tmp_path / "b"), env=env)
        assert forced.returncode == 0, forced.stderr
        assert httpx.get(url + "/readyz", timeout=10).status_code == 200  # still serving
    # a clean stop: the row went with the process
    assert seen(db) == []
    after = run("restore", str(tmp_path / "b"), env=env)
    assert after.returncode == 0, after.stderr
    db.dispose()


def test_cli_restore_after_a_crash(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    with serve_processes(1, env=env, policy="", tmp_path=tmp_path):
        db = Database(env["DATABASE_URL"])
        (server,) = seen(db)
        os.kill(server.pid, signal.SIGKILL)  # no clean stop: the row stays
        wait_until(lambda: not _alive(server.pid), what="the server to die")
        assert run("backup", str(tmp_path / "b"), env=env).returncode == 0
        assert run("restore", str(tmp_path / "b"), env=env).returncode == 1  # not stale yet
        with db.session() as s:  # three heartbeats later
            s.execute(sa.update(InstanceRow).values(seen_at=utcnow() - WINDOW))
        done = run("restore", str(tmp_path / "b"), env=env)
        assert done.returncode == 0, done.stderr
        db.dispose()


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"  # a zombie is dead, only not yet reaped
    except FileNotFoundError:
        return False
