"""Alertmanager webhooks through the real HTTP surface: intake, grouping, dedup, routing."""

from __future__ import annotations

import base64
import json
from typing import Any

from sqlmodel import select

from bot.policy import Policy
from bot.services import effect_kinds as fx
from storage.tables import OutboxRow, WebhookDeliveryRow
from tests.alerts import alert, captured, notification
from tests.conftest import Opsbot, OpsbotFactory


def _outbox(opsbot: Opsbot) -> list[str]:
    with opsbot.db.session() as session:
        return [row.kind for row in session.exec(select(OutboxRow).order_by(OutboxRow.id))]


def test_real_firing_payload_opens_one_incident(opsbot: Opsbot) -> None:
    reply = opsbot.post_alerts(captured("prometheus_firing"))
    assert reply.status_code == 200, reply.text
    [incident_id] = reply.json()["incidents"]
    incident = opsbot.api(f"/incidents/{incident_id}")
    payload = captured("prometheus_firing")
    first = payload["alerts"][0]
    assert incident["status"] == "open"
    assert incident["title"] == first["annotations"].get("summary", first["labels"]["alertname"])
    assert incident["severity"] in {"S1", "S2", "S3"}
    assert incident["number"] == incident["id"]
    assert incident["opened_at"].endswith("Z")
    assert [a["fingerprint"] for a in incident["alerts"]] == [first["fingerprint"]]
    assert incident["alerts"][0]["labels"] == first["labels"]
    assert incident["alerts"][0]["ends_at"] is None
    assert [e["kind"] for e in incident["timeline"]] == ["opened"]
    assert incident["timeline"][0]["actor"] == "alertmanager"
    assert _outbox(opsbot) == [fx.INCIDENT_OPENED]


def test_severity_service_and_client_from_labels_and_policy(opsbot_factory: OpsbotFactory) -> None:
    policy = Policy.model_validate(
        {"services": {"checkout-api": {"client": "acme", "default_severity": "S2"}}}
    )
    opsbot = opsbot_factory(policy)
    critical = opsbot.post_alerts(notification("A", [alert("fa01", severity="critical")]))
    unlabelled = opsbot.post_alerts(notification("B", [alert("fb01", severity=None)]))
    unknown = opsbot.post_alerts(
        notification("C", [alert("fc01", severity=None, service="mystery")])
    )
    mapped = opsbot.post_alerts(notification("D", [alert("fd01", severity="warning")]))
    got = {}
    for name, reply in {"A": critical, "B": unlabelled, "C": unknown, "D": mapped}.items():
        incident = opsbot.api(f"/incidents/{reply.json()['incidents'][0]}")
        got[name] = (incident["severity"], incident["service"], incident["client"])
    assert got == {
        "A": ("S1", "checkout-api", "acme"),
        "B": ("S2", "checkout-api", "acme"),
        "C": ("S3", "mystery", None),
        "D": ("S2", "checkout-api", "acme"),
    }


def test_repeats_change_only_last_seen(opsbot: Opsbot) -> None:
    body = captured("api_v2_group_firing_2alerts")
    first = opsbot.post_alerts(body).json()["incidents"]
    before = opsbot.api(f"/incidents/{first[0]}")
    for _ in range(3):
        assert opsbot.post_alerts(body).json()["incidents"] == first
    after = opsbot.api(f"/incidents/{first[0]}")
    for view in (before, after):  # the Slack channel may appear meanwhile (outbox worker)
        view.pop("slack_channel_id")
    assert after == before
    assert len(opsbot.api("/incidents", status="all")["incidents"]) == 1
    assert _outbox(opsbot) == [fx.INCIDENT_OPENED]
    with opsbot.db.session() as session:
        assert len(session.exec(select(WebhookDeliveryRow)).all()) == 4


def test_new_alerts_join_the_groups_incident(opsbot: Opsbot) -> None:
    first = opsbot.post_alerts(notification("G", [alert("f001")])).json()["incidents"]
    second = opsbot.post_alerts(notification("G", [alert("f001"), alert("f002")]))
    assert second.json()["incidents"] == first
    incident = opsbot.api(f"/incidents/{first[0]}")
    assert {a["fingerprint"] for a in incident["alerts"]} == {"f001", "f002"}
    assert _outbox(opsbot) == [fx.INCIDENT_OPENED, fx.ALERTS_CHANGED]


def test_mixed_group_records_each_alerts_status(opsbot: Opsbot) -> None:
    reply = opsbot.post_alerts(captured("api_v2_group_mixed_firing_resolved"))
    incident = opsbot.api(f"/incidents/{reply.json()['incidents'][0]}")
    statuses = {a["fingerprint"]: (a["status"], a["ends_at"]) for a in incident["alerts"]}
    assert statuses == {
        "5879789aeedd0f06": ("firing", None),
        "31aab43ee054445b": ("resolved", "2026-11-28T08:38:52Z"),
    }


def test_resolution_clears_and_auto_resolves_s3_only(opsbot: Opsbot) -> None:
    s1 = opsbot.post_alerts(notification("S1", [alert("f101")])).json()["incidents"][0]
    s3 = opsbot.post_alerts(notification("S3", [alert("f301", severity="info")])).json()[
        "incidents"
    ][0]
    end = "2026-11-28T09:00:00Z"
    opsbot.post_alerts(notification("S1", [alert("f101", status="resolved", ends_at=end)]))
    opsbot.post_alerts(
        notification("S3", [alert("f301", severity="info", status="resolved", ends_at=end)])
    )
    critical, info = opsbot.api(f"/incidents/{s1}"), opsbot.api(f"/incidents/{s3}")
    assert critical["status"] == "open"
    assert critical["alerts"][0] | {"status": "resolved", "ends_at": end} == critical["alerts"][0]
    assert [e["kind"] for e in critical["timeline"]] == ["opened", "cleared"]
    assert info["status"] == "resolved"
    assert info["resolved_at"] is not None
    assert [e["kind"] for e in info["timeline"]] == ["opened", "cleared", "resolved"]
    assert _outbox(opsbot).count(fx.ALL_CLEARED) == 2


def test_refire_within_window_reopens(opsbot: Opsbot) -> None:
    first = opsbot.post_alerts(notification("R", [alert("f401", severity="info")])).json()
    end = "2026-11-28T09:00:00Z"
    opsbot.post_alerts(
        notification("R", [alert("f401", severity="info", status="resolved", ends_at=end)])
    )
    refire = opsbot.post_alerts(
        notification("R", [alert("f401", severity="info", starts_at="2026-11-28T09:05:00Z")])
    )
    assert refire.json()["incidents"] == first["incidents"]
    incident = opsbot.api(f"/incidents/{first['incidents'][0]}")
    assert incident["status"] == "open"
    assert incident["resolved_at"] is None
    assert [e["kind"] for e in incident["timeline"]][-1] == "reopened"
    assert len(incident["alerts"]) == 2


def test_refire_after_window_opens_a_new_incident(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate({"alerting": {"reopen_window": "0s"}}))
    first = opsbot.post_alerts(notification("W", [alert("f501", severity="info")])).json()
    opsbot.post_alerts(
        notification(
            "W", [alert("f501", severity="info", status="resolved", ends_at="2026-11-28T09:00:00Z")]
        )
    )
    again = opsbot.post_alerts(
        notification("W", [alert("f501", severity="info", starts_at="2026-11-28T10:00:00Z")])
    )
    assert again.json()["incidents"] != first["incidents"]


def test_more_severe_alert_raises_never_lowers(opsbot: Opsbot) -> None:
    incident_id = opsbot.post_alerts(notification("V", [alert("f601", severity="warning")])).json()[
        "incidents"
    ][0]
    opsbot.post_alerts(
        notification("V", [alert("f601", severity="warning"), alert("f602", name="DbDown")])
    )
    opsbot.post_alerts(
        notification("V", [alert("f601", severity="warning"), alert("f603", severity="info")])
    )
    incident = opsbot.api(f"/incidents/{incident_id}")
    assert incident["severity"] == "S1"
    raised = [e for e in incident["timeline"] if e["kind"] == "severity"]
    assert len(raised) == 1
    assert raised[0]["text"] == "Severity raised S2 → S1: alert DbDown is S1"


def test_below_minimum_notifies_without_incident(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate({"alerting": {"min_incident_severity": "S2"}}))
    reply = opsbot.post_alerts(notification("N", [alert("f701", severity="info")]))
    assert reply.json()["incidents"] == []
    repeat = opsbot.post_alerts(notification("N", [alert("f701", severity="info")]))
    assert repeat.json()["incidents"] == []
    assert opsbot.api("/incidents", status="all") == {"incidents": []}
    assert _outbox(opsbot) == [fx.BELOW_THRESHOLD]


def test_storm_guard_caps_new_incidents_and_queues_one_digest(
    opsbot_factory: OpsbotFactory,
) -> None:
    opsbot = opsbot_factory(
        Policy.model_validate({"alerting": {"max_new_incidents_per_minute": 3}})
    )
    replies = [
        opsbot.post_alerts(notification(f"storm{i}", [alert(f"s{i:03d}")])).json() for i in range(8)
    ]
    opened = [r for r in replies if r["incidents"]]
    assert len(opened) == 3
    assert len(opsbot.api("/incidents")["incidents"]) == 3
    assert _outbox(opsbot).count(fx.STORM_DIGEST) == 1


def test_correlation_joins_a_services_open_incident(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate({"alerting": {"correlation_window": "10m"}}))
    first = opsbot.post_alerts(notification("K1", [alert("f801")])).json()
    second = opsbot.post_alerts(notification("K2", [alert("f802", name="Other")])).json()
    other = opsbot.post_alerts(notification("K3", [alert("f803", service="billing")])).json()
    assert second["incidents"] == first["incidents"]
    assert other["incidents"] != first["incidents"]
    incident = opsbot.api(f"/incidents/{first['incidents'][0]}")
    assert [e["kind"] for e in incident["timeline"]] == ["opened", "correlated"]


def test_a_thousand_alerts_in_one_group(opsbot: Opsbot) -> None:
    alerts = [alert(f"{i:016x}", severity="warning") for i in range(1000)]
    reply = opsbot.post_alerts(notification("big", alerts, truncatedAlerts=12))
    assert reply.status_code == 200
    listing = opsbot.api("/incidents")["incidents"]
    assert len(listing) == 1
    full = opsbot.api(f"/incidents/{listing[0]['id']}")
    assert len(full["alerts"]) == 1000
    assert len(listing[0]["alerts"]) == 5
    again = opsbot.post_alerts(notification("big", alerts))
    assert again.json()["incidents"] == reply.json()["incidents"]


def _basic(password: str) -> str:
    return "Basic " + base64.b64encode(f"alertmanager:{password}".encode()).decode()


def test_auth_bearer_basic_and_refusals(opsbot: Opsbot) -> None:
    body = captured("amtool_firing")
    token = opsbot.secret("alertmanager_token")
    assert opsbot.post_alerts(body, headers={"Authorization": _basic(token)}).status_code == 200
    for header in ["Bearer wrong", _basic("wrong"), "Token " + token, "", "Basic !!!"]:
        reply = opsbot.post_alerts(body, headers={"Authorization": header})
        assert reply.status_code == 401, header
        assert reply.json()["detail"] == "missing or wrong Alertmanager token"


def test_no_token_configured_refuses(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(alertmanager_token=None)
    reply = opsbot.post_alerts(captured("amtool_firing"), headers={"Authorization": "Bearer x"})
    assert reply.status_code == 401
    assert "ALERTMANAGER_TOKEN" in reply.json()["detail"]


def test_bad_bodies_get_4xx_with_a_detail(opsbot_factory: OpsbotFactory) -> None:
    opsbot = opsbot_factory(Policy.model_validate({"alerting": {"max_body_bytes": 4096}}))
    good = captured("prometheus_firing")
    no_fingerprint = json.loads(json.dumps(good))
    del no_fingerprint["alerts"][0]["fingerprint"]
    wrong_version = good | {"version": "3"}
    bad_time = json.loads(json.dumps(good))
    bad_time["alerts"][0]["startsAt"] = "yesterday"
    cases: list[tuple[Any, int, str]] = [
        (b"{not json", 422, "body is not JSON"),
        (b"[]", 422, "(body): Input should be a valid dictionary"),
        (no_fingerprint, 422, "alerts[0].fingerprint: Field required"),
        (wrong_version, 422, "version: Input should be '4'"),
        (bad_time, 422, "alerts[0].startsAt"),
        (good | {"alerts": []}, 422, "alerts: List should have at least 1 item"),
        (
            notification("huge", [alert(f"{i:04x}") for i in range(40)]),
            413,
            "body larger than 4096 bytes",
        ),
    ]
    for body, status, detail in cases:
        reply = opsbot.post_alerts(body)
        assert reply.status_code == status, (detail, reply.text)
        assert reply.json()["detail"].startswith(detail), reply.json()
    assert opsbot.api("/incidents", status="all") == {"incidents": []}


def test_rest_api_auth_filters_and_404(opsbot: Opsbot) -> None:
    import httpx

    opsbot.post_alerts(notification("F1", [alert("fa1", severity="critical")]))
    opsbot.post_alerts(notification("F2", [alert("fa2", severity="info", service="billing")]))
    assert len(opsbot.api("/incidents", severity="S1")["incidents"]) == 1
    assert [i["service"] for i in opsbot.api("/incidents", service="billing")["incidents"]] == [
        "billing"
    ]
    assert opsbot.api("/incidents", status="closed") == {"incidents": []}
    missing = httpx.get(
        opsbot.url + "/api/v1/incidents/999999",
        headers={"Authorization": f"Bearer {opsbot.secret('opsbot_api_token')}"},
    )
    assert missing.status_code == 404
    assert missing.json() == {"detail": "incident 999999 not found"}
    unauthenticated = httpx.get(opsbot.url + "/api/v1/incidents")
    assert unauthenticated.status_code == 401
    bad_filter = httpx.get(
        opsbot.url + "/api/v1/incidents?status=bogus",
        headers={"Authorization": f"Bearer {opsbot.secret('opsbot_api_token')}"},
    )
    assert bad_filter.status_code == 422
