"""The files under ``deploy/``, loaded for the tests that check them, and the metric names
their PromQL expressions use."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
RULES = DEPLOY / "prometheus" / "opsbot-rules.yml"
RULES_TEST = DEPLOY / "prometheus" / "tests" / "opsbot-rules_test.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
DASHBOARD = DEPLOY / "grafana" / "opsbot.json"
COMPOSE = DEPLOY / "docker-compose.yml"
KUBERNETES = DEPLOY / "kubernetes"

ALERTS = {
    "OpsbotDown",
    "OpsbotTimersLagging",
    "OpsbotOutboxStuck",
    "OpsbotWebhookErrors",
    "OpsbotSlackApiErrors",
}
#: Series Prometheus makes itself, which the rules and dashboard may use besides opsbot's.
PROMETHEUS_OWN = {"up"}

_OPSBOT_NAME = re.compile(r"\bopsbot_[a-zA-Z0-9_]+")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def yaml_file(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def manifests() -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every Kubernetes object under ``deploy/kubernetes`` with its file."""
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc:
                yield path, doc


def by_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in manifests() if doc["kind"] == kind]


def rule_exprs() -> dict[str, str]:
    """The alerts of opsbot-rules.yml by name."""
    groups = yaml_file(RULES)["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def dashboard() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return data


def panels(board: dict[str, Any]) -> list[dict[str, Any]]:
    """The dashboard's panels, those inside rows included, rows themselves excluded."""
    found = []
    for panel in board["panels"]:
        found.extend(panel.get("panels", []))
        if panel["type"] != "row":
            found.append(panel)
    return found


def dashboard_exprs() -> dict[str, list[str]]:
    """PromQL of each panel by title."""
    return {p["title"]: [t["expr"] for t in p.get("targets", [])] for p in panels(dashboard())}


def concrete(expr: str) -> str:
    """A dashboard expression with Grafana's variables replaced, for Prometheus to run."""
    return expr.replace("$__rate_interval", "1m").replace("$window", "1h")


def metric_names(expr: str) -> set[str]:
    """The ``opsbot_*`` series an expression reads (``up`` and friends aside)."""
    return set(_OPSBOT_NAME.findall(expr))


def family_of(series: str, families: set[str]) -> str | None:
    """The exported family a series name belongs to (``x_bucket`` → ``x``), or None."""
    if series in families:
        return series
    for suffix in _SUFFIXES:
        if series.endswith(suffix) and series.removesuffix(suffix) in families:
            return series.removesuffix(suffix)
    return None


def exported_families(url: str) -> set[str]:
    """The metric families a running opsbot serves on ``/metrics``."""
    text = httpx.get(url + "/metrics", timeout=10).text
    return {family.name for family in text_string_to_metric_families(text)}


def tool_or_skip(path: Path | None, name: str) -> Path:
    """``promtool``/``amtool`` next to the binaries; skip, or fail where CI requires them."""
    if path is not None:
        return path
    reason = f"{name} not found next to the Prometheus binaries (.ci/install-promstack.sh)"
    in_ci = os.environ.get("CI", "").lower() not in ("", "0", "false")
    if in_ci or os.environ.get("OPSBOT_REQUIRE_PROMSTACK") == "1":
        pytest.fail(f"{reason} (required because CI/OPSBOT_REQUIRE_PROMSTACK is set)")
    pytest.skip(reason)
