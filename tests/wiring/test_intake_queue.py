"""The Alertmanager intake queue: 202 once stored, applied soon after, in order, exactly once."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from bot.app import create_app
from bot.domain.alertmanager import AMNotification
from bot.policy import Policy
from bot.server import ThreadedServer
from bot.services import intake_queue
from storage import Database, upgrade
from storage.repositories import deliveries
from storage.tables import AlertRow, WebhookDeliveryRow
from tests.alerts import alert, captured, notification
from tests.conftest import Opsbot, make_settings
from tests.waiting import wait_until


def _delivery(opsbot: Opsbot, number: int) -> dict[str, object]:
    return opsbot.api(f"/deliveries/{number}")  # type: ignore[no-any-return]


def _applied(opsbot: Opsbot, number: int) -> dict[str, object] | None:
    state = _delivery(opsbot, number)
    return state if state["status"] != "pending" else None


def test_answer_is_202_once_stored_and_the_incident_follows(opsbot: Opsbot) -> None:
    reply = opsbot.post_alerts(captured("prometheus_firing"), wait=False)
    assert reply.status_code == 202, reply.text
    answer = reply.json()
    assert answer["status"] == "queued"
    state = wait_until(lambda: _applied(opsbot, answer["delivery"]), what="delivery applied")
    assert state["status"] == "processed"
    assert state["alerts"] == 1
    assert state["error_id"] is None
    [number] = state["incidents"]
    assert opsbot.api(f"/incidents/{number}")["status"] == "open"
    assert state["received_at"] <= state["applied_at"]


def test_wait_answers_with_the_incidents(opsbot: Opsbot) -> None:
    reply = opsbot.post_alerts(captured("prometheus_firing"), wait=True)
    assert reply.status_code == 200
    answer = reply.json()
    assert answer["status"] == "processed"
    assert _delivery(opsbot, answer["delivery"])["incidents"] == answer["incidents"]


def test_wait_must_be_a_boolean(opsbot: Opsbot) -> None:
    token = opsbot.secret("alertmanager_token")
    reply = httpx.post(
        opsbot.url + "/webhooks/alertmanager?wait=soon",
        json=captured("prometheus_firing"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert reply.status_code == 400
    assert reply.json() == {"detail": "wait must be true or false"}
    with opsbot.db.session() as session:
        assert session.exec(select(WebhookDeliveryRow)).all() == []


def test_unknown_delivery_is_404(opsbot: Opsbot) -> None:
    reply = httpx.get(
        opsbot.url + "/api/v1/deliveries/99999",
        headers={"Authorization": f"Bearer {opsbot.secret('opsbot_api_token')}"},
    )
    assert reply.status_code == 404
    assert reply.json() == {"detail": "delivery 99999 not found"}


def test_deliveries_of_one_group_apply_in_the_order_received(opsbot: Opsbot) -> None:
    """Firing and resolved deliveries posted back to back, no waiting: the last one wins."""
    end = "2026-11-28T09:00:00Z"
    firing = notification("Flap", [alert("fl01", severity="info")])
    resolved = notification(
        "Flap", [alert("fl01", severity="info", status="resolved", ends_at=end)]
    )
    numbers = [
        opsbot.post_alerts(firing if i % 2 == 0 else resolved, wait=False).json()["delivery"]
        for i in range(20)
    ]
    assert numbers == sorted(numbers)
    states = [wait_until(lambda n=n: _applied(opsbot, n), what=f"delivery {n}") for n in numbers]
    applied_at = [s["applied_at"] for s in states]
    assert applied_at == sorted(applied_at)
    [incident] = {tuple(s["incidents"]) for s in states}
    view = opsbot.api(f"/incidents/{incident[0]}")
    assert view["alerts"][0]["ends_at"] is not None  # the last delivery resolved it


def test_a_delivery_left_by_a_stopped_process_is_applied(opsbot: Opsbot) -> None:
    """Stored by another process that stopped before applying it: this one applies it."""
    body = notification("Orphan", [alert("or01")])
    note = AMNotification.model_validate(body)
    number = intake_queue.accept(opsbot.db, note=note, body=json.dumps(body), now=datetime.now(UTC))
    state = wait_until(lambda: _applied(opsbot, number), what="orphan applied")
    assert state["status"] == "processed"
    assert len(state["incidents"]) == 1


def test_a_delivery_that_cannot_be_applied_fails_alone(
    opsbot: Opsbot, caplog: pytest.LogCaptureFixture
) -> None:
    """A stored body that no longer parses is marked failed with an error id; the deliveries
    after it are applied."""
    with opsbot.db.session() as session:
        broken = deliveries.queue_delivery(
            session,
            source="alertmanager",
            body='{"version": "4", "alerts": "not a list"}',
            key_hash="0" * 64,
            alert_count=1,
            now=datetime.now(UTC),
        )
    with caplog.at_level(logging.ERROR, logger="opsbot.intake"):
        after = opsbot.post_alerts(notification("After", [alert("af01")]), wait=True)
        failed = wait_until(lambda: _applied(opsbot, broken), what="broken delivery settled")
    assert after.json()["status"] == "processed"
    assert failed["status"] == "failed"
    assert failed["incidents"] == []
    assert isinstance(failed["error_id"], str) and len(failed["error_id"]) == 12
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == failed["error_id"]]
    assert logged and logged[0].exc_info is not None


def test_many_deliveries_in_a_burst_each_applied_once(opsbot: Opsbot) -> None:
    numbers = [
        opsbot.post_alerts(
            notification(f"B{i % 5}", [alert(f"b{i:03d}", severity="warning")]), wait=False
        ).json()["delivery"]
        for i in range(60)
    ]
    wait_until(lambda: _applied(opsbot, numbers[-1]), what="last delivery", timeout=30)
    with opsbot.db.session() as session:
        rows = session.exec(select(WebhookDeliveryRow)).all()
        alerts = session.exec(select(AlertRow)).all()
    assert {r.status for r in rows} == {"processed"}
    assert len(rows) == 60
    assert len(alerts) == 60
    assert len({a.incident_id for a in alerts}) == 5


def test_database_down_is_a_503_with_a_reason() -> None:
    db = Database("postgresql+psycopg://postgres@127.0.0.1:1/none")
    settings = make_settings(db.url, None)
    app = create_app(settings, Policy(), db=db)
    token = settings.alertmanager_token
    assert token is not None
    with ThreadedServer(app) as server:
        reply = httpx.post(
            server.url + "/webhooks/alertmanager",
            json=captured("prometheus_firing"),
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            timeout=30,
        )
    assert reply.status_code == 503
    assert reply.json()["detail"].startswith("not stored, retry later")


def _spawned() -> list[multiprocessing.process.BaseProcess]:
    return [p for p in multiprocessing.active_children() if "Spawn" in type(p).__name__]


Post = Callable[..., httpx.Response]


@contextmanager
def _serving(db: Database) -> Iterator[tuple[str, Post]]:
    """opsbot with its intake child asked for, on ``db``; its URL and a webhook poster."""
    settings = make_settings(db.url, None, intake_process=True)
    token = settings.alertmanager_token
    assert token is not None

    def post(body: object, *, wait: bool) -> httpx.Response:
        return httpx.post(
            server.url + "/webhooks/alertmanager" + ("?wait=true" if wait else ""),
            json=body,
            headers={"Authorization": f"Bearer {token.get_secret_value()}"},
            timeout=30,
        )

    with ThreadedServer(create_app(settings, Policy(), db=db)) as server:
        yield server.url, post


@pytest.mark.postgres
def test_a_child_process_applies_on_postgresql(pg_db: Database) -> None:
    before = set(_spawned())
    with _serving(pg_db) as (url, post):
        numbers = [
            post(body, wait=False).json()["delivery"]
            for body in (notification(f"C{i % 3}", [alert(f"c{i:03d}")]) for i in range(30))
        ]
        last = post(captured("prometheus_firing"), wait=True)
        children = set(_spawned()) - before
        metrics = httpx.get(url + "/metrics").text
        wait_until(
            lambda: "opsbot_intake_pending 0.0" in httpx.get(url + "/metrics").text,
            what="queue empty",
        )
    assert last.status_code == 200 and last.json()["status"] == "processed"
    assert len(children) == 1  # the intake child, started with the app
    assert not [p for p in children if p.is_alive()]  # and stopped with it
    with pg_db.session() as session:
        rows = session.exec(select(WebhookDeliveryRow)).all()
        alerts = session.exec(select(AlertRow)).all()
    assert sorted(r.id for r in rows if r.status == "processed") == [
        *numbers,
        last.json()["delivery"],
    ]
    assert len(alerts) == 31 and len({a.incident_id for a in alerts}) == 4
    assert "opsbot_intake_applied_total" in metrics


@pytest.mark.postgres
def test_when_the_child_dies_the_web_process_applies(pg_db: Database) -> None:
    before = set(_spawned())
    with _serving(pg_db) as (_, post):
        first = post(captured("prometheus_firing"), wait=True)
        [child] = set(_spawned()) - before
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        after = post(notification("D", [alert("d001")]), wait=True)
    assert first.json()["status"] == "processed"
    assert after.status_code == 200 and after.json()["status"] == "processed"


def test_sqlite_keeps_the_work_in_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = Database(f"sqlite:///{tmp_path / 'opsbot.db'}")
    upgrade(db.engine)
    before = set(_spawned())
    with caplog.at_level(logging.WARNING, logger="opsbot"), _serving(db) as (_, post):
        reply = post(captured("prometheus_firing"), wait=True)
        assert set(_spawned()) == before
    db.dispose()
    assert reply.json()["status"] == "processed"
    assert any("INTAKE_PROCESS ignored" in r.getMessage() for r in caplog.records)
