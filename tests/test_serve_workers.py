"""``opsbot serve --workers N``: several processes behind one port, on PostgreSQL only."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from storage import Database
from storage.tables import AlertRow, InstanceRow, WebhookDeliveryRow
from tests.alerts import alert, notification
from tests.processes import ROOT, serve_processes
from tests.waiting import wait_until


@pytest.mark.postgres
def test_two_workers_share_the_port_and_the_work(pg_db: Database, tmp_path: Path) -> None:
    token = secrets.token_urlsafe(16)
    env = {
        "DATABASE_URL": pg_db.url,
        "ALERTMANAGER_TOKEN": token,
        "OPSBOT_WORKERS": "2",
        "LOG_LEVEL": "WARNING",
    }
    policy = "alerting: {max_new_incidents_per_minute: 1000}\n"
    with serve_processes(1, env=env, policy=policy, tmp_path=tmp_path) as [url]:

        def running() -> list[InstanceRow]:
            with pg_db.session() as session:
                rows = list(session.exec(select(InstanceRow)).all())
            return rows if len(rows) == 2 else []

        workers = wait_until(running, timeout=60, what="two workers registered")
        assert len({row.pid for row in workers}) == 2
        replies = [
            httpx.post(
                url + "/webhooks/alertmanager?wait=true",
                json=notification(f"W{i % 4}", [alert(f"w{i:03d}")]),
                headers={"Authorization": f"Bearer {token}"},
                timeout=30,
            )
            for i in range(24)
        ]
        assert {r.status_code for r in replies} == {200}
        assert "opsbot_instances_running 2.0" in httpx.get(url + "/metrics").text
    with pg_db.session() as session:
        assert session.exec(select(InstanceRow)).all() == []  # both stopped cleanly
        statuses = {row.status for row in session.exec(select(WebhookDeliveryRow))}
        alerts = session.exec(select(AlertRow)).all()
    assert statuses == {"processed"}
    assert len(alerts) == 24 and len({a.incident_id for a in alerts}) == 4


def test_more_than_one_worker_needs_postgresql(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    env |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{tmp_path / 'o.db'}"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "serve", "--workers", "2"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "above 1 needs PostgreSQL" in done.stderr
    assert not (tmp_path / "o.db").exists()  # refused before touching the database
