"""``opsbot report`` as a user runs it: a real process against a SQLite file."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.clock import utcnow
from bot.domain.lifecycle import Action
from bot.domain.severity import Severity
from bot.policy import Policy
from bot.services import lifecycle
from bot.services.lifecycle import Actor, Change
from storage import Database, upgrade
from tests.test_cli import clean_env, run

ALICE = Actor("U0ALICE", "cli", role="admin")


def _seed(tmp_path: Path) -> None:
    """Two incidents in the last week, one resolved; one incident 60 days ago."""
    database = Database(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(database.engine)
    now, policy = utcnow(), Policy()
    try:
        for severity, service, ago in [
            (Severity.S1, "api", timedelta(days=3)),
            (Severity.S2, "db", timedelta(days=2)),
            (Severity.S3, "api", timedelta(days=60)),
        ]:
            opened = now - ago
            view = lifecycle.declare(
                db=database,
                policy=policy,
                title=f"{service} trouble",
                severity=severity,
                service=service,
                client=None,
                actor=ALICE,
                now=opened,
                slack=False,
            )
            if service == "api" and severity is Severity.S1:
                for action, after in [(Action.ACK, 4), (Action.RESOLVE, 50)]:
                    lifecycle.apply(
                        db=database,
                        policy=policy,
                        incident_id=view.id,
                        change=Change(action, text="done"),
                        actor=ALICE,
                        now=opened + timedelta(minutes=after),
                        slack=False,
                    )
    finally:
        database.dispose()


def test_report_json(tmp_path: Path) -> None:
    _seed(tmp_path)
    result = run("report", "--since", "30d", "--json", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["incidents"]["total"] == 2
    assert data["incidents"]["by_severity"] == {"S1": 1, "S2": 1, "S3": 0}
    assert data["incidents"]["by_service"]["api"]["total"] == 1
    assert data["response_times"]["S1"]["mtta"]["mean_seconds"] == 240.0
    assert data["response_times"]["S1"]["mttr"]["p90_seconds"] == 3000.0
    assert data["rca"]["needed"] == 1 and data["rca"]["completed"] == 0
    assert data["action_items"]["closed"] is None
    wider = json.loads(run("report", "--json", env=clean_env(tmp_path)).stdout)
    assert wider["incidents"]["total"] == 3  # the default window is 90 days


def test_report_text_and_bad_window(tmp_path: Path) -> None:
    _seed(tmp_path)
    result = run("report", env=clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Incident review:")
    assert "3 incidents opened (S1 1 · S2 1 · S3 1)" in result.stdout
    assert "| S1 | 1 | 4m | 4m | 4m | 5m | 1 | 50m | 50m | 50m |" in result.stdout
    bad = run("report", "--since", "soon", env=clean_env(tmp_path))
    assert bad.returncode == 2
    assert "invalid duration 'soon'" in bad.stderr
