"""Alertmanager payloads for tests: the real captures, and a builder for variations."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "alertmanager"


def captured(name: str) -> dict[str, Any]:
    """A real webhook body captured from Alertmanager 0.25 (``prometheus_firing`` ...)."""
    data: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return data


def alert(
    fingerprint: str,
    *,
    status: str = "firing",
    severity: str | None = "critical",
    service: str | None = "checkout-api",
    name: str = "ApiDown",
    summary: str | None = None,
    starts_at: str = "2026-11-28T08:00:00Z",
    ends_at: str = "0001-01-01T00:00:00Z",
) -> dict[str, Any]:
    """One alert in Alertmanager's shape."""
    labels = {"alertname": name, "instance": f"web-{fingerprint[-2:]}"}
    if severity is not None:
        labels["severity"] = severity
    if service is not None:
        labels["service"] = service
    return {
        "status": status,
        "labels": labels,
        "annotations": {
            "summary": summary or f"{name} on {labels['instance']}",
            "description": "details",
            "runbook_url": "https://runbooks.example.com/api-down",
        },
        "startsAt": starts_at,
        "endsAt": ends_at,
        "generatorURL": "http://prometheus.example.com/graph?g0.expr=up",
        "fingerprint": fingerprint,
    }


def notification(group: str, alerts: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """A whole webhook body for one group."""
    firing = any(a["status"] == "firing" for a in alerts)
    body: dict[str, Any] = {
        "receiver": "opsbot",
        "status": "firing" if firing else "resolved",
        "alerts": copy.deepcopy(alerts),
        "groupLabels": {"alertname": group},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{group}"}}',
        "truncatedAlerts": 0,
    }
    body.update(extra)
    return body
