"""opsbot's HTTP surface, driven over real HTTP against a real database and the sandbox Slack."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from bot.app import create_app
from bot.policy import Policy
from bot.server import ThreadedServer
from storage import Database
from tests.conftest import Opsbot, make_settings


def test_healthz_and_readyz(opsbot: Opsbot) -> None:
    assert httpx.get(opsbot.url + "/healthz").json() == {"status": "ok"}
    ready = httpx.get(opsbot.url + "/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.headers["x-request-id"]


def test_readyz_503_when_schema_is_gone(opsbot: Opsbot) -> None:
    with opsbot.db.engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
    ready = httpx.get(opsbot.url + "/readyz")
    assert ready.status_code == 503
    assert "migrations pending" in ready.json()["reason"]


def test_readyz_503_when_database_unreachable() -> None:
    db = Database("postgresql+psycopg://postgres@127.0.0.1:1/none")
    app = create_app(make_settings(db.url, None), Policy(), db=db)
    with ThreadedServer(app) as server:
        ready = httpx.get(server.url + "/readyz", timeout=15)
    assert ready.status_code == 503
    assert ready.json()["reason"].startswith("database unreachable")


def test_metrics_parse_as_prometheus_text(opsbot: Opsbot) -> None:
    httpx.get(opsbot.url + "/healthz")
    response = httpx.get(opsbot.url + "/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    assert "opsbot_info" in families
    requests = families["opsbot_http_requests"]
    routes = {s.labels["route"] for s in requests.samples if s.name.endswith("_total")}
    assert "/healthz" in routes
    enabled = {
        s.labels["integration"]: s.value for s in families["opsbot_integration_enabled"].samples
    }
    assert enabled["slack"] == 1.0
    assert enabled["jira"] == 0.0
    assert families["opsbot_outbox_pending"].samples[0].value == 0
    assert families["opsbot_outbox_dead"].samples[0].value == 0
    assert "opsbot_outbox_oldest_pending_age_seconds" in families


def test_openapi_lists_the_routes(opsbot: Opsbot) -> None:
    paths = httpx.get(opsbot.url + "/openapi.json").json()["paths"]
    assert {"/healthz", "/readyz", "/metrics", "/slack/events"} <= set(paths)


def test_request_id_is_echoed(opsbot: Opsbot) -> None:
    response = httpx.get(opsbot.url + "/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


def test_slack_off_answers_503_with_reason(db: Database) -> None:
    app = create_app(make_settings(db.url, None), Policy(), db=db)
    with ThreadedServer(app) as server:
        response = httpx.post(server.url + "/slack/events", content=b"command=/incident")
        assert httpx.get(server.url + "/healthz").status_code == 200
    assert response.status_code == 503
    assert "SLACK_SIGNING_SECRET" in response.json()["detail"]


def test_incident_help_is_ephemeral_usage(opsbot: Opsbot) -> None:
    reply = opsbot.driver.command("help", command="/incident", user_id="U0ALICE")
    assert reply.status_code == 200
    assert reply.json is not None
    assert "/incident help" in reply.json["text"]
    assert reply.json.get("response_type", "ephemeral") == "ephemeral"
    shown = [m for m in opsbot.slack.state.messages("C0INCIDENTS") if m.visible_to == "U0ALICE"]
    assert shown and "/incident help" in shown[-1].text


def test_empty_runs_is_the_overview_and_says_when_nothing_is_configured(opsbot: Opsbot) -> None:
    reply = opsbot.driver.command("", command="/runs")
    assert reply.status_code == 200
    assert "No run sources are configured" in reply.text


def test_unknown_subcommand_suggests_nearest(opsbot: Opsbot) -> None:
    reply = opsbot.driver.command("hlep", command="/incident")
    assert reply.status_code == 200
    assert reply.json is not None
    assert "Unknown command `/incident hlep`" in reply.json["text"]
    assert "Did you mean `/incident help`?" in reply.json["text"]
    rendered = str(reply.json["blocks"])
    assert "`/incident help`" in rendered


def test_bad_signature_missing_signature_and_old_timestamp_are_401(opsbot: Opsbot) -> None:
    bad = opsbot.driver.command("help", signature="v0=" + "0" * 64)
    missing = opsbot.driver.command("help", unsigned=True)
    stale = opsbot.driver.command("help", timestamp=int(time.time()) - 6 * 60)
    assert (bad.status_code, missing.status_code, stale.status_code) == (401, 401, 401)
    assert opsbot.driver.command("help").status_code == 200


def test_app_home_is_published(opsbot: Opsbot) -> None:
    reply = opsbot.driver.event({"type": "app_home_opened", "user": "U0BOB", "tab": "home"})
    assert reply.status_code == 200
    publish = _wait_for_calls(opsbot, "views.publish", 1)
    assert publish[0].args["user_id"] == "U0BOB"
    assert publish[0].ok


def test_event_retries_are_handled_once(opsbot: Opsbot) -> None:
    event = {"type": "app_home_opened", "user": "U0CAROL", "tab": "home"}
    first = opsbot.driver.event(event, event_id="Ev0RETRY1")
    retry = opsbot.driver.event(event, event_id="Ev0RETRY1", retry_num=1)
    again = opsbot.driver.event(event, event_id="Ev0RETRY1", retry_num=2)
    assert (first.status_code, retry.status_code, again.status_code) == (200, 200, 200)
    _wait_for_calls(opsbot, "views.publish", 1)
    time.sleep(0.3)
    assert len(opsbot.slack.state.calls("views.publish")) == 1


def test_url_verification(opsbot: Opsbot) -> None:
    reply = opsbot.driver.url_verification()
    assert reply.status_code == 200
    assert reply.json is not None and "challenge" in reply.json


def _wait_for_calls(opsbot: Opsbot, method: str, count: int, timeout: float = 5.0) -> list:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        calls = opsbot.slack.state.calls(method)
        if len(calls) >= count:
            return calls
        time.sleep(0.02)
    raise AssertionError(
        f"expected {count} {method} call(s), journal: {opsbot.slack.state.count_by_method()}"
    )


def test_every_manifest_command_is_answered(opsbot: Opsbot) -> None:
    manifest = yaml.safe_load((Path(__file__).resolve().parents[2] / "manifest.yml").read_text())
    for entry in manifest["features"]["slash_commands"]:
        reply = opsbot.driver.command("help", command=entry["command"])
        assert reply.status_code == 200, entry["command"]
        assert reply.json is not None
        assert f"{entry['command']} help" in reply.json["text"]
