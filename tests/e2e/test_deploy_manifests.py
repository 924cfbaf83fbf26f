"""The deployment files without Docker or a cluster: Kubernetes manifests against the
Kubernetes schemas, the compose file against the compose spec, both wired the way opsbot
reads its settings (secrets as ``<NAME>_FILE``), and the Grafana dashboard against what
``/metrics`` serves."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from bot.policy import load_policy
from bot.settings import get_settings
from storage import Database, upgrade
from tests.conftest import Opsbot

from .deploy_files import (
    COMPOSE,
    DEPLOY,
    KUBERNETES,
    PROMETHEUS_OWN,
    REPO,
    by_kind,
    dashboard,
    dashboard_exprs,
    exported_families,
    family_of,
    manifests,
    metric_names,
    panels,
    rule_exprs,
    yaml_file,
)

SECRET_WORDS = re.compile(r"TOKEN|SECRET|PASSWORD|DATABASE_URL|API_KEY", re.IGNORECASE)
SERVICES = {"opsbot", "postgres", "prometheus", "alertmanager", "grafana"}


@pytest.fixture
def db(tmp_path: Path) -> Database:
    """SQLite only: these tests check names and wiring, not the database."""
    database = Database(f"sqlite:///{tmp_path / 'opsbot.db'}")
    upgrade(database.engine)
    return database


# --------------------------------------------------------------------------- Kubernetes


@pytest.mark.parametrize("version", ["1.27.0", kubernetes_validate.latest_version()])
def test_kubernetes_manifests_match_the_schemas(version: str) -> None:
    kinds = []
    for path, doc in manifests():
        if doc["kind"] == "Kustomization":
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{path.name}: {exc}")
        kinds.append(doc["kind"])
    assert sorted(kinds) == ["ConfigMap", "Deployment", "Job", "PodDisruptionBudget", "Service"]
    [kustomization] = by_kind("Kustomization")
    listed = set(kustomization["resources"])
    assert listed == {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}


def _container(workload: dict[str, Any]) -> dict[str, Any]:
    [container] = workload["spec"]["template"]["spec"]["containers"]
    return container


def _secret_env_is_files(container: dict[str, Any], mounts: dict[str, str]) -> dict[str, str]:
    """Every secret-looking variable is ``<NAME>_FILE`` under a mounted secret; returns them."""
    files = {}
    for env in container.get("env", []):
        name = env["name"]
        if not SECRET_WORDS.search(name):
            continue
        assert name.endswith("_FILE"), f"{name}: a secret must come from a file, not a value"
        assert "valueFrom" not in env
        assert any(env["value"].startswith(m + "/") for m in mounts.values()), env
        files[name.removesuffix("_FILE")] = env["value"]
    return files


def test_deployment_runs_replicas_with_probes_and_secret_files(tmp_path: Path) -> None:
    [deployment] = by_kind("Deployment")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pod = spec["template"]["spec"]
    container = _container(deployment)
    assert container["command"] == ["opsbot", "serve"]
    port = container["ports"][0]
    assert (port["name"], port["containerPort"]) == ("http", 8080)
    assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    secret_mounts = {n: p for n, p in mounts.items() if "secret" in volumes[n]}
    assert {v["secret"]["secretName"] for n, v in volumes.items() if n in secret_mounts} == {
        "opsbot-secrets"
    }
    files = _secret_env_is_files(container, secret_mounts)
    assert set(files) >= {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"}
    assert set(files) >= {"ALERTMANAGER_TOKEN", "OPSBOT_API_TOKEN"}
    assert by_kind("Secret") == [], "secrets are created out of band, never shipped"
    # The settings opsbot would build from this environment, with the Secret's files laid out.
    env = {e["name"]: e["value"] for e in container["env"]}
    settings = _settings_from(env, {Path(p).name: p for p in files.values()}, tmp_path)
    assert settings.enabled("slack")
    assert settings.database_url.startswith("postgresql+psycopg://")
    policy_dir = mounts["policy"]
    assert env["OPSBOT_CONFIG"] == f"{policy_dir}/opsbot.yml"
    assert volumes["policy"]["configMap"]["name"] == "opsbot-policy"


def test_policy_configmap_is_a_valid_policy(tmp_path: Path) -> None:
    [configmap] = by_kind("ConfigMap")
    assert configmap["metadata"]["name"] == "opsbot-policy"
    path = tmp_path / "opsbot.yml"
    path.write_text(configmap["data"]["opsbot.yml"])
    policy = load_policy(path)
    assert "opsbot" in policy.services  # opsbot's own alerts have a route


def test_migration_job_pdb_and_service_select_opsbot() -> None:
    [job] = by_kind("Job")
    migrate = _container(job)
    assert migrate["command"] == ["opsbot", "db", "upgrade"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] in ("OnFailure", "Never")
    [deployment] = by_kind("Deployment")
    assert migrate["image"] == _container(deployment)["image"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    [pdb] = by_kind("PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert pdb["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    [service] = by_kind("Service")
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"


# --------------------------------------------------------------------------- compose


def test_compose_file_matches_the_compose_spec() -> None:
    schema = ["--builtin-schema", "vendor.compose-spec"]
    check = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *schema, str(COMPOSE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_compose_wires_the_stack_with_secret_files(tmp_path: Path) -> None:
    compose = yaml_file(COMPOSE)
    services = compose["services"]
    assert set(services) == SERVICES
    opsbot = services["opsbot"]
    assert (COMPOSE.parent / opsbot["build"]["context"]).resolve() == REPO
    assert (REPO / opsbot["build"]["dockerfile"]).is_file()
    env: dict[str, str] = opsbot["environment"]
    secrets = compose["secrets"]
    for service in services.values():
        for name, value in (service.get("environment") or {}).items():
            if SECRET_WORDS.search(name):
                assert name.endswith(("_FILE", "__FILE")), f"{name}: inline secret"
                secret = Path(value).name
                assert value == f"/run/secrets/{secret}" and secret in service["secrets"]
    for spec in secrets.values():
        assert spec["file"].startswith("./secrets/")
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (COMPOSE.parent / source).exists(), volume
    assert "opsbot:8080" in str(yaml_file(DEPLOY / "prometheus" / "prometheus.yml"))
    provisioning = DEPLOY / "grafana" / "provisioning"
    [provider] = yaml_file(provisioning / "dashboards" / "dashboards.yml")["providers"]
    board = f"{provider['options']['path']}/opsbot.json"
    assert f"./grafana/opsbot.json:{board}:ro" in services["grafana"]["volumes"]
    [source] = yaml_file(provisioning / "datasources" / "prometheus.yml")["datasources"]
    assert (source["type"], source["url"]) == ("prometheus", "http://prometheus:9090")
    alertmanager = yaml_file(DEPLOY / "alertmanager" / "alertmanager.yml")
    [hook] = alertmanager["receivers"][0]["webhook_configs"]
    assert hook["url"] == "http://opsbot:8080/webhooks/alertmanager"
    token_file = hook["http_config"]["authorization"]["credentials_file"]
    assert token_file == env["ALERTMANAGER_TOKEN_FILE"]  # one secret, both ends
    assert "alertmanager_token" in services["alertmanager"]["secrets"]
    files = {Path(v).name: v for k, v in env.items() if k.endswith("_FILE")}
    settings = _settings_from(env, files, tmp_path)
    assert settings.enabled("slack") and settings.alertmanager_token is not None
    assert settings.database_url.startswith("postgresql+psycopg://opsbot:")


def _settings_from(env: dict[str, str], files: dict[str, str], tmp_path: Path) -> Any:
    """opsbot's settings from ``env`` with each secret file (name → path in the container)
    laid out under ``tmp_path`` (a made-up value per file)."""
    values = {
        "database_url": "postgresql+psycopg://opsbot:pw@postgres:5432/opsbot",
        "database-url": "postgresql+psycopg://opsbot:pw@postgres:5432/opsbot",
    }
    patched = dict(env)
    for name, container_path in files.items():
        local = tmp_path / "secrets" / name
        local.parent.mkdir(exist_ok=True)
        local.write_text(values.get(name, f"{name}-value-0123456789") + "\n")
        for key, value in env.items():
            if value == container_path:
                patched[key] = str(local)
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(tmp_path)  # no .env from the work tree
        for key in list(os.environ):
            if key.startswith(("SLACK_", "DATABASE_URL", "ALERTMANAGER_", "OPSBOT_")):
                mp.delenv(key)
        for key, value in patched.items():
            if key != "OPSBOT_CONFIG":
                mp.setenv(key, value)
        return get_settings()


# --------------------------------------------------------------------------- Grafana


def test_dashboard_is_a_grafana_dashboard_on_a_datasource_variable() -> None:
    board = dashboard()
    assert board["uid"] == "opsbot" and board["title"] == "opsbot"
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(board):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel
        assert panel["targets"], panel["title"]
        assert {"h", "w", "x", "y"} <= set(panel["gridPos"])
    titles = " ".join(p["title"].lower() for p in panels(board))
    for topic in ("incidents open", "mtta", "mttr", "timer lag", "outbox", "webhook"):
        assert topic in titles, topic
    for topic in ("slack api errors", "/runs latency", "integrations enabled"):
        assert topic in titles, topic


def test_dashboard_and_rules_use_only_metrics_opsbot_serves(opsbot: Opsbot) -> None:
    families = exported_families(opsbot.url)
    used: dict[str, set[str]] = {}
    for title, exprs in dashboard_exprs().items():
        for expr in exprs:
            used.setdefault(f"panel {title!r}", set()).update(metric_names(expr))
    for alert, expr in rule_exprs().items():
        used[f"alert {alert}"] = metric_names(expr)
    unknown = {
        where: sorted(n for n in names if family_of(n, families) is None)
        for where, names in used.items()
    }
    assert {k: v for k, v in unknown.items() if v} == {}, f"served: {sorted(families)}"
    everything = set().union(*used.values())
    for wanted in ("opsbot_incidents_open", "opsbot_mtta_seconds_bucket", "opsbot_outbox_dead"):
        assert wanted in everything
    assert "up" in PROMETHEUS_OWN and 'up{job="opsbot"}' in rule_exprs()["OpsbotDown"]
