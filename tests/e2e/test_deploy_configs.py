"""The monitoring configs under ``deploy/`` with the real tools: ``promtool check rules``,
``promtool test rules``, ``promtool check config``, ``amtool check-config``; then the rules in
a real Prometheus scraping a running opsbot, one of them firing through the shipped
Alertmanager config (bearer token from a file) into opsbot's webhook."""

from __future__ import annotations

import copy
import subprocess
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlmodel import select

from bot.policy import Policy
from bot.sandbox.slack import Fault
from storage import Database, upgrade
from storage.tables import AlertRow, IncidentRow
from tests.alerts import alert, notification
from tests.conftest import OpsbotFactory
from tests.waiting import wait_until

from .deploy_files import (
    ALERTMANAGER_CONFIG,
    ALERTS,
    PROMETHEUS_CONFIG,
    RULES,
    RULES_TEST,
    concrete,
    dashboard_exprs,
    tool_or_skip,
    yaml_file,
)
from .promstack import Alertmanager, PromBinaries, Prometheus, http_json

COMPOSE_WEBHOOK = "http://opsbot:8080/webhooks/alertmanager"


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """SQLite only: the point here is the monitoring chain, not the database."""
    database = Database(f"sqlite:///{tmp_path / 'opsbot.db'}")
    upgrade(database.engine)
    return database


def _run(*args: str | Path) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, f"{args}:\n{done.stdout}{done.stderr}"
    return done.stdout + done.stderr


def test_promtool_checks_and_unit_tests_the_rules_and_config(binaries: PromBinaries) -> None:
    promtool = tool_or_skip(binaries.promtool, "promtool")
    assert f"SUCCESS: {len(ALERTS)} rules found" in _run(promtool, "check", "rules", RULES)
    assert "SUCCESS" in _run(promtool, "test", "rules", RULES_TEST)
    checked = _run(promtool, "check", "config", PROMETHEUS_CONFIG)
    assert "SUCCESS: 1 rule files found" in checked


def test_amtool_checks_config_and_routes_own_alerts_to_the_fallback(
    binaries: PromBinaries,
) -> None:
    amtool = tool_or_skip(binaries.amtool, "amtool")
    assert "SUCCESS" in _run(amtool, "check-config", ALERTMANAGER_CONFIG)

    def route(*labels: str) -> str:
        config = f"--config.file={ALERTMANAGER_CONFIG}"
        return _run(amtool, "config", "routes", "test", config, *labels).splitlines()[0].strip()

    assert route("service=opsbot", "alertname=OpsbotDown") == "fallback,opsbot"
    assert route("service=checkout-api", "alertname=ApiDown") == "opsbot"


class ShippedAlertmanager(Alertmanager):
    """Alertmanager on ``deploy/alertmanager/alertmanager.yml``: the webhook URL pointed at
    the test's opsbot, the token file at a temporary one, the timings shortened."""

    def __init__(
        self, binaries: PromBinaries, tmp_dir: Path, webhook_url: str, token_file: Path
    ) -> None:
        super().__init__(binaries, tmp_dir, webhook_url, bearer_token="unused")
        self.token_file = token_file

    def config(self) -> dict[str, Any]:
        config: dict[str, Any] = yaml_file(ALERTMANAGER_CONFIG)
        config["route"].update(group_wait="1s", group_interval="1s")
        hooks = [h for r in config["receivers"] for h in r.get("webhook_configs", [])]
        assert [h["url"] for h in hooks] == [COMPOSE_WEBHOOK]
        for hook in hooks:
            hook["url"] = self.webhook_url
            hook["http_config"]["authorization"]["credentials_file"] = str(self.token_file)
        return config


def _rules_with_a_quick_copy() -> tuple[str, dict[str, Any]]:
    """The shipped rules, plus OpsbotOutboxStuck in its own group with a 1 s threshold."""
    shipped = yaml_file(RULES)
    [stuck] = [
        r for g in shipped["groups"] for r in g["rules"] if r["alert"] == "OpsbotOutboxStuck"
    ]
    quick = copy.deepcopy(stuck)
    quick["expr"] = stuck["expr"].replace("> 600", "> 1")
    quick["for"] = "0s"
    assert quick["expr"] != stuck["expr"], "the threshold to lower is gone from the rule"
    groups = [*shipped["groups"], {"name": "opsbot-health-e2e", "rules": [quick]}]
    return yaml.safe_dump({"groups": groups}, sort_keys=False), quick


def _until(check: Callable[[], Any], timeout: float, what: str) -> Any:
    return wait_until(check, timeout=timeout, what=what, interval=0.2)


@pytest.mark.e2e
def test_rules_evaluate_in_prometheus_and_one_fires_into_opsbot(
    binaries: PromBinaries, opsbot_factory: OpsbotFactory, tmp_path: Path
) -> None:
    policy = Policy.model_validate({"slack": {"incidents_channel": "C0INCIDENTS"}})
    opsbot = opsbot_factory(policy)
    # Slack fails every call: the seed incident's effects wait in the outbox.
    opsbot.slack.state.add_fault(Fault(method="*", error="internal_error"))
    assert opsbot.post_alerts(notification("Seed", [alert("fs01")])).status_code == 200
    token_file = tmp_path / "alertmanager_token"
    token_file.write_text(opsbot.secret("alertmanager_token") + "\n")
    rules, quick = _rules_with_a_quick_copy()
    webhook = opsbot.url + "/webhooks/alertmanager"
    with (
        ShippedAlertmanager(binaries, tmp_path / "am", webhook, token_file) as am,
        Prometheus(
            binaries, tmp_path / "prom", opsbot.url + "/metrics", rules, am.url, job="opsbot"
        ) as prom,
    ):
        prom.check_rules()
        prom.wait_until_wired()

        def evaluated() -> list[dict[str, Any]] | None:
            found = [r for g in prom.api("rules")["groups"] for r in g["rules"]]
            return found if found and all(r["health"] == "ok" for r in found) else None

        loaded = _until(evaluated, 20, "every rule evaluated without error")
        assert {r["name"] for r in loaded} == ALERTS
        assert not [r for r in loaded if r.get("lastError")]
        for title, exprs in dashboard_exprs().items():
            for expr in exprs:
                query = urllib.parse.quote(concrete(expr))
                answer = http_json(f"{prom.url}/api/v1/query?query={query}")
                assert answer["status"] == "success", (title, expr, answer)

        def firing() -> list[dict[str, Any]]:
            return [
                a
                for a in prom.alerts()
                if a["labels"]["alertname"] == "OpsbotOutboxStuck" and a["state"] == "firing"
            ]

        [fired] = _until(firing, 20, "the quick OpsbotOutboxStuck firing")
        assert fired["labels"]["severity"] == "error" and fired["labels"]["service"] == "opsbot"
        assert fired["annotations"]["summary"] == quick["annotations"]["summary"]

        def routed() -> set[str] | None:
            names = {
                receiver["name"]
                for a in am.alerts()
                if a["labels"]["alertname"] == "OpsbotOutboxStuck"
                for receiver in a["receivers"]
            }
            return names or None

        assert _until(routed, 20, "Alertmanager routing it") == {"fallback", "opsbot"}

        def opened() -> IncidentRow | None:
            with opsbot.db.session() as session:
                row = session.exec(
                    select(IncidentRow)
                    .join(AlertRow, AlertRow.incident_id == IncidentRow.id)  # type: ignore[arg-type]
                    .where(AlertRow.name == "OpsbotOutboxStuck")
                ).first()
                if row is not None:
                    session.expunge(row)
                return row

        incident = _until(opened, 30, "opsbot opening an incident about its own outbox")
    assert incident.severity == "S2"  # severity "error" through the default severity_map
    assert incident.title == quick["annotations"]["summary"]
