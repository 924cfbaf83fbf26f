"""Concurrent and duplicate deliveries create nothing twice, enforced by the database."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select

from bot.sandbox.slack import SandboxSlack
from storage import Database
from storage.tables import AlertRow, IncidentRow
from tests.alerts import alert, notification
from tests.conftest import Opsbot
from tests.processes import serve_processes

ROOT = Path(__file__).resolve().parents[2]


def _count(db: Database, model: type[IncidentRow] | type[AlertRow]) -> int:
    with db.session() as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _post(url: str, token: str, body: object) -> httpx.Response:
    return httpx.post(
        url + "/webhooks/alertmanager?wait=true",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )


def test_concurrent_identical_deliveries_open_one_incident(opsbot: Opsbot) -> None:
    body = notification("Race", [alert(f"r{i:03d}") for i in range(50)])
    token = opsbot.secret("alertmanager_token")
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda _: _post(opsbot.url, token, body), range(32)))
    assert {r.status_code for r in replies} == {200}
    assert len({tuple(r.json()["incidents"]) for r in replies}) == 1
    assert _count(opsbot.db, IncidentRow) == 1
    assert _count(opsbot.db, AlertRow) == 50


def test_concurrent_groups_each_open_their_own(opsbot: Opsbot) -> None:
    token = opsbot.secret("alertmanager_token")
    bodies = [notification(f"G{i % 8}", [alert(f"g{i % 8}")]) for i in range(48)]
    with ThreadPoolExecutor(max_workers=12) as pool:
        replies = list(pool.map(lambda b: _post(opsbot.url, token, b), bodies))
    assert {r.status_code for r in replies} == {200}
    assert _count(opsbot.db, IncidentRow) == 8


@pytest.fixture
def two_processes(
    pg_db: Database, slack: SandboxSlack, tmp_path: Path
) -> Iterator[tuple[list[str], str]]:
    """Two `opsbot serve` processes on one PostgreSQL database, both with the sandbox Slack."""
    token = secrets.token_urlsafe(16)
    policy = (
        "slack: {incidents_channel: C0INCIDENTS}\n"
        "alerting: {max_new_incidents_per_minute: 1000}\n"
        "severities:\n"
        "  S3: {ack_within: 2s, update_every: 1h, escalate_every: 1h, escalate_max: 1,"
        " rca_due: 10d}\n"
    )
    env = {
        "DATABASE_URL": pg_db.url,
        "ALERTMANAGER_TOKEN": token,
        "SLACK_BOT_TOKEN": slack.state.bot_token,
        "SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "SLACK_API_URL": slack.api_url,
        "LOG_LEVEL": "WARNING",
    }
    with serve_processes(2, env=env, policy=policy, tmp_path=tmp_path) as urls:
        yield urls, token


@pytest.mark.postgres
def test_two_processes_open_one_incident_and_one_channel(
    two_processes: tuple[list[str], str], pg_db: Database, slack: SandboxSlack
) -> None:
    urls, token = two_processes
    db = pg_db
    bodies = [
        notification("Shared", [alert(f"p{j:03d}") for j in range(i % 5 + 1)]) for i in range(40)
    ]
    with ThreadPoolExecutor(max_workers=16) as pool:
        replies = list(pool.map(lambda i: _post(urls[i % 2], token, bodies[i]), range(40)))
    assert {r.status_code for r in replies} == {200}
    assert _count(db, IncidentRow) == 1
    assert _count(db, AlertRow) == 5
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(slack.state.messages("C0INCIDENTS")) < 1:
        time.sleep(0.1)
    time.sleep(1.5)  # give a duplicate, if any, the time to appear
    assert len(slack.state.calls("conversations.create")) == 1
    assert len(slack.state.messages("C0INCIDENTS")) == 1


@pytest.mark.postgres
def test_two_processes_fire_each_timer_once(
    two_processes: tuple[list[str], str], slack: SandboxSlack
) -> None:
    urls, token = two_processes
    for i in range(20):
        body = notification(f"T{i}", [alert(f"t{i:03d}", severity="info")])
        assert _post(urls[i % 2], token, body).status_code == 200

    def escalations() -> int:
        messages = slack.state.messages("C0INCIDENTS")
        return sum(1 for m in messages if "needs you" in (m.text or ""))

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and escalations() < 20:
        time.sleep(0.2)
    time.sleep(2.0)  # a duplicate, if any, would show up by now
    assert escalations() == 20
