"""Traces end to end: a signed Slack command, the incident, and the outbox deliveries to
Slack, Jira and Notion form one trace, exported over OTLP/HTTP to the sandbox receiver; log
lines carry its ids; the exporter's header values never reach the logs."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlmodel import select

from bot import telemetry
from bot.app import create_app
from bot.logs import REDACTED
from bot.policy import Policy
from bot.sandbox.jira import JiraFault, SandboxJira
from bot.sandbox.notion import SandboxNotion
from bot.sandbox.otlp import OtlpFault, ReceivedSpan, SandboxOtlp
from bot.sandbox.slack import SandboxSlack, SlackDriver
from bot.server import ThreadedServer
from storage import Database
from storage.tables import OutboxRow
from tests.alerts import alert, notification
from tests.conftest import Opsbot, OpsbotFactory, make_settings, sync_settings
from tests.traces import (
    LogLines,
    capture_logs,
    header,
    ids_of,
    names_to_root,
    spans_named,
    wait_for_spans,
)
from tests.waiting import wait_until

POLICY: dict[str, Any] = {
    "slack": {"incidents_channel": "C0INCIDENTS"},
    "outbox": {"retry_base": 0.1, "retry_cap": 0.3, "max_attempts": 30},
    "roles": {"admin": ["U0ALICE"]},
}
DELIVERIES = {"slack.status_post", "slack.incident_changed", "jira.comment", "jira.transition"}


@pytest.fixture
def logs() -> Iterator[LogLines]:
    with capture_logs() as lines:
        yield lines


def _drained(opsbot: Opsbot) -> bool:
    with opsbot.db.session() as session:
        return not session.exec(select(OutboxRow).where(OutboxRow.status == "pending")).all()


def _declared(opsbot: Opsbot) -> int:
    reply = opsbot.driver.command('declare "Checkout failing" --sev S1 --service checkout-api')
    assert reply.status_code == 200
    incidents = wait_until(lambda: opsbot.api("/incidents")["incidents"], what="incident")
    wait_until(lambda: _drained(opsbot), timeout=30, what="the declaration's effects")
    return int(incidents[0]["id"])


def test_a_command_is_one_trace_from_slack_to_jira_and_notion(
    opsbot_factory: OpsbotFactory,
    otlp: SandboxOtlp,
    jira: SandboxJira,
    notion: SandboxNotion,
    logs: LogLines,
) -> None:
    opsbot = opsbot_factory(
        Policy.model_validate(POLICY),
        **sync_settings(jira, notion),
        otel_exporter_otlp_endpoint=otlp.url,
        otel_service_name="opsbot-test",
    )
    number = _declared(opsbot)
    comments = f"/rest/api/2/issue/{jira.state.issues()[0].key}/comment"
    jira.state.add_fault(JiraFault(path_prefix=comments, method="POST", status=503, times=1))

    reply = opsbot.driver.command(f"resolve {number} failover done")
    assert reply.status_code == 200
    trace_id, server_id = ids_of(header(reply.headers, "traceparent"))
    wait_until(lambda: _drained(opsbot), timeout=30, what="the resolution's effects")
    spans = wait_for_spans(otlp, trace_id, {"incident.resolve", "notion.sync", *DELIVERIES})

    server = spans[server_id]
    assert (server.name, server.kind, server.parent_span_id) == (
        "POST /slack/events",
        "server",
        None,
    )
    assert server.attributes["http.route"] == "/slack/events"
    assert server.attributes["http.response.status_code"] == 200
    assert server.service_name == "opsbot-test"
    [incident] = spans_named(spans, "incident.resolve")
    assert incident.attributes["opsbot.incident_id"] == number
    assert names_to_root(spans, incident) == [
        "incident.resolve",
        "slack.command /incident resolve",
        "POST /slack/events",
    ]
    for name in {"notion.sync", *DELIVERIES}:
        for delivery in spans_named(spans, name):
            assert delivery.parent_span_id == incident.span_id, name
            assert delivery.kind == "client"
            assert delivery.attributes["opsbot.incident_id"] == number
            assert delivery.attributes["opsbot.outbox.lane"] == name.split(".")[0]
    failed, delivered = spans_named(spans, "jira.comment")
    assert (failed.status, delivered.status) == ("error", "unset")
    assert failed.attributes["opsbot.outbox.attempt"] == 1
    assert delivered.attributes["opsbot.outbox.attempt"] == 2
    assert (
        failed.attributes["opsbot.outbox.effect_id"]
        == delivered.attributes["opsbot.outbox.effect_id"]
    )
    _assert_logged(logs, trace_id, number, incident, failed, header(reply.headers, "x-request-id"))


def _assert_logged(
    logs: LogLines,
    trace_id: str,
    number: int,
    incident: ReceivedSpan,
    failed: ReceivedSpan,
    request_id: str,
) -> None:
    [changed] = logs.where(msg="incident changed", action="resolve")
    assert changed["trace_id"] == trace_id
    assert changed["span_id"] == incident.span_id
    assert changed["incident_id"] == number
    assert changed["request_id"] == request_id
    [retried] = logs.where(msg="outbox effect will be retried", effect="jira.comment")
    assert (retried["trace_id"], retried["span_id"]) == (trace_id, failed.span_id)
    assert retried["incident_id"] == number
    in_trace = logs.where(trace_id=trace_id)
    assert in_trace and all(line["incident_id"] == number for line in in_trace)


def test_an_api_call_continues_the_callers_trace(
    opsbot_factory: OpsbotFactory, otlp: SandboxOtlp
) -> None:
    opsbot = opsbot_factory(otel_exporter_otlp_endpoint=otlp.url)
    caller_trace, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    reply = httpx.get(
        opsbot.url + "/api/v1/incidents",
        headers={
            "Authorization": f"Bearer {opsbot.secret('opsbot_api_token')}",
            "traceparent": f"00-{caller_trace}-{caller_span}-01",
        },
        timeout=10,
    )
    assert reply.status_code == 200
    trace_id, span_id = ids_of(reply.headers["traceparent"])
    assert trace_id == caller_trace
    spans = wait_for_spans(otlp, trace_id, {"GET /api/v1/incidents"})
    server = spans[span_id]
    assert server.parent_span_id == caller_span
    assert server.attributes["http.request.method"] == "GET"
    assert server.attributes["http.route"] == "/api/v1/incidents"

    unknown = httpx.get(opsbot.url + "/nowhere", headers={"traceparent": "00-garbage"})
    assert unknown.status_code == 404
    fresh, _ = ids_of(unknown.headers["traceparent"])
    assert fresh != caller_trace
    [lost] = wait_for_spans(otlp, fresh, {"GET"}).values()
    assert lost.parent_span_id is None and lost.attributes["http.response.status_code"] == 404


TIMERS: dict[str, Any] = {
    "S1": {
        "ack_within": "1s",
        "update_every": "1h",
        "escalate_every": "1h",
        "escalate_max": 1,
        "rca_due": "2d",
    }
}


def test_a_timer_fire_starts_a_trace_of_its_own(
    opsbot_factory: OpsbotFactory, otlp: SandboxOtlp
) -> None:
    policy = Policy.model_validate(POLICY | {"severities": TIMERS})
    opsbot = opsbot_factory(policy, otel_exporter_otlp_endpoint=otlp.url)
    reply = opsbot.driver.command('declare "Payments failing" --sev S1')
    assert reply.status_code == 200
    declared = ids_of(header(reply.headers, "traceparent"))[0]
    number = int(wait_until(lambda: opsbot.api("/incidents")["incidents"])[0]["id"])

    def escalated() -> list[ReceivedSpan]:
        telemetry.flush()
        return otlp.state.spans(name="slack.escalation")

    [delivery] = wait_until(escalated, timeout=30, what="the escalation's delivery span")
    fire = otlp.state.trace(delivery.trace_id)[str(delivery.parent_span_id)]
    assert (fire.name, fire.parent_span_id) == ("timer.fire", None)
    assert fire.trace_id != declared
    assert fire.attributes["opsbot.incident_id"] == number
    assert fire.attributes["opsbot.timer.kind"] == "ack"
    assert fire.attributes["opsbot.timer.acted"] is True
    assert delivery.attributes["opsbot.incident_id"] == number


def test_otlp_header_values_never_reach_the_logs(
    opsbot_factory: OpsbotFactory, otlp: SandboxOtlp
) -> None:
    key, token = secrets.token_urlsafe(18), secrets.token_hex(20)
    headers = f"x-api-key={key},authorization=Bearer%20{token}"
    opsbot = opsbot_factory(
        otel_exporter_otlp_endpoint=otlp.url, otel_exporter_otlp_headers=headers
    )
    # A careless proxy refuses an export and echoes the credentials in its reason phrase.
    otlp.state.add_fault(OtlpFault(status=401, reason=f"key {key} / token {token} refused"))
    with capture_logs(opsbot.settings.secret_values(), level="DEBUG") as logs:
        assert opsbot.driver.command("help").status_code == 200
        wait_until(lambda: telemetry.flush() and otlp.state.exports(), what="a refused export")
        reply = opsbot.driver.command("help")
        trace_id, _ = ids_of(header(reply.headers, "traceparent"))
        wait_for_spans(otlp, trace_id, {"POST /slack/events"})
        opsbot.server.stop()
    refused, accepted = otlp.state.exports()[:2]
    assert (refused.status, accepted.status) == (401, 200)
    assert (accepted.headers["x-api-key"], accepted.headers["authorization"]) == (
        key,
        f"Bearer {token}",
    )
    assert "Failed to export" in logs.text() and REDACTED in logs.text()
    for value in (key, token, headers):
        assert value not in logs.text()


def _webhook_trace(opsbot: Opsbot, otlp: SandboxOtlp, logs: LogLines | None) -> None:
    """A webhook's trace: the request, the delivery applied after the answer, the incident's
    first Slack deliveries."""
    reply = opsbot.post_alerts(notification("Traced", [alert("tr01")]), wait=False)
    assert reply.status_code == 202
    trace_id, server_id = ids_of(header(reply.headers, "traceparent"))
    delivery = reply.json()["delivery"]
    number = wait_until(lambda: opsbot.api(f"/deliveries/{delivery}")["incidents"], what="applied")[
        0
    ]
    spans = wait_for_spans(otlp, trace_id, {"intake.apply", "slack.incident_opened"})
    assert spans[server_id].name == "POST /webhooks/alertmanager"
    [applied] = spans_named(spans, "intake.apply")
    assert applied.parent_span_id == server_id
    assert applied.attributes["opsbot.delivery_id"] == delivery
    assert applied.attributes["opsbot.incident_id"] == number
    [opened] = spans_named(spans, "slack.incident_opened")
    assert names_to_root(spans, opened) == [
        "slack.incident_opened",
        "intake.apply",
        "POST /webhooks/alertmanager",
    ]
    assert opened.attributes["opsbot.incident_id"] == number
    if logs is not None:  # the child process logs to its own stdout
        [line] = logs.where(msg="incident opened from alerts", delivery_id=delivery)
        assert (line["trace_id"], line["span_id"]) == (trace_id, applied.span_id)
        assert line["incident_id"] == number


def test_a_webhook_is_one_trace_from_the_request_to_slack(
    opsbot_factory: OpsbotFactory, otlp: SandboxOtlp, logs: LogLines
) -> None:
    opsbot = opsbot_factory(Policy.model_validate(POLICY), otel_exporter_otlp_endpoint=otlp.url)
    _webhook_trace(opsbot, otlp, logs)


@pytest.mark.postgres
def test_the_intake_child_process_joins_the_webhooks_trace(
    pg_db: Database, slack: SandboxSlack, otlp: SandboxOtlp
) -> None:
    settings = make_settings(
        pg_db.url, slack, intake_process=True, otel_exporter_otlp_endpoint=otlp.url
    )
    app = create_app(settings, Policy.model_validate(POLICY), db=pg_db)
    with (
        ThreadedServer(app) as server,
        SlackDriver(
            server.url + "/slack/events",
            settings.slack_signing_secret.get_secret_value(),  # type: ignore[union-attr]
            slack,
        ) as driver,
    ):
        _webhook_trace(Opsbot(server.url, settings, pg_db, slack, driver, server), otlp, None)
