"""The ``opsbot`` command as a user runs it: a real process, real environment variables."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from bot.sandbox.jira import SandboxJira
from bot.sandbox.notion import SandboxNotion
from bot.sandbox.slack import SandboxSlack, SlackDriver
from tests.conftest import sync_settings

ROOT = Path(__file__).resolve().parents[1]
OPSBOT = [sys.executable, "-m", "bot.cli"]


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OPSBOT, *args], capture_output=True, text=True, timeout=60, env=env, cwd=cwd or ROOT
    )


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG", "PYTHONPATH"}}
    keep["PYTHONPATH"] = str(ROOT)
    keep["DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.db'}"
    return keep | extra


def test_help_lists_the_commands(tmp_path: Path) -> None:
    result = run("--help", env=clean_env(tmp_path))
    assert result.returncode == 0
    for name in ("serve", "db", "check", "manifest", "demo"):
        assert name in result.stdout


def test_manifest_fills_in_the_url(tmp_path: Path) -> None:
    result = run("manifest", "--url", "https://ops.acme.dev", env=clean_env(tmp_path))
    assert result.returncode == 0
    manifest = yaml.safe_load(result.stdout)
    assert (
        manifest["settings"]["interactivity"]["request_url"] == "https://ops.acme.dev/slack/events"
    )


def test_manifest_refuses_http(tmp_path: Path) -> None:
    result = run("manifest", "--url", "http://ops.acme.dev", env=clean_env(tmp_path))
    assert result.returncode == 2
    assert "https://" in result.stderr


def test_bad_config_stops_with_the_key(tmp_path: Path) -> None:
    result = run("db", "upgrade", env=clean_env(tmp_path, NOTION_TOKEN="secret_x"))
    assert result.returncode == 2
    assert "NOTION_DATABASE_ID: required for the notion integration" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_policy_file_stops_with_the_key(tmp_path: Path) -> None:
    policy = tmp_path / "opsbot.yml"
    policy.write_text("alerting:\n  reopen_windw: 1h\n")
    result = run("check", env=clean_env(tmp_path, OPSBOT_CONFIG=str(policy)))
    assert result.returncode == 2
    assert "alerting.reopen_windw: unknown key" in result.stderr


def test_db_upgrade_then_status(tmp_path: Path) -> None:
    env = clean_env(tmp_path)
    assert run("db", "status", env=env).returncode == 1
    upgraded = run("db", "upgrade", env=env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "database at revision" in upgraded.stdout
    status = run("db", "status", env=env)
    assert status.returncode == 0


def test_check_reaches_the_sandbox_slack(tmp_path: Path, slack: SandboxSlack) -> None:
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=slack.state.bot_token,
        SLACK_SIGNING_SECRET=secrets.token_hex(8),
        SLACK_API_URL=slack.api_url,
        PROMETHEUS_URL="http://127.0.0.1:1",
    )
    run("db", "upgrade", env=env)
    result = run("--log-format", "text", "check", env=env)
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["integration", "state", "detail"]
    table = {line.split()[0]: line.split()[1] for line in lines[1:]}
    assert table == {
        "database": "OK",
        "slack": "OK",
        "jira": "off",
        "notion": "off",
        "prometheus": "FAILED",
        "langgraph": "off",
        "n8n": "off",
    }
    assert "unreachable: ConnectError" in result.stdout
    assert result.returncode == 1


def test_demo_prints_a_transcript(tmp_path: Path) -> None:
    result = run("demo", env=clean_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "@bob clicks Acknowledge on the incident card" in result.stdout
    assert "* opsbot created #inc-" in result.stdout
    assert "*invoice-sync* (n8n) · 6 runs" in result.stdout
    assert "Workflow did not finish, possible out-of-memory issue" in result.stdout
    if (
        os.environ.get("OPSBOT_REQUIRE_LANGGRAPH")
        or "LangGraph steps left out" not in result.stdout
    ):
        assert ">Deploy the fix for db-7?" in result.stdout
        assert "Done: approved; the run is now" in result.stdout
    assert "[Acknowledge] [Post update] [Escalate] [Change severity] [Resolve]" in result.stdout
    assert "#incidents  opsbot: :large_orange_circle: *S2 · #1 Checkout API error" in result.stdout
    assert "needs you: not acknowledged in time" in result.stdout
    assert "@alice (DM)" in result.stdout
    assert ":speech_balloon: Update by @carol" in result.stdout
    assert ":white_check_mark: Resolved by @carol" in result.stdout
    assert (
        "#acme-shared  opsbot: :information_source: *Service update for ACME Corp" in result.stdout
    )
    assert "reported by [email], order card [card]" in result.stdout
    assert "jane.doe@acme.com" not in result.stdout.split("Client update #1")[1]
    assert "Jira OPS-2 · Closed · Highest · [S1] #2 Payments API timing out" in result.stdout
    assert "Jira OPS-3 · Open · [RCA #2] Add pool size to the deploy checklist" in result.stdout
    assert "relates to OPS-2" in result.stdout and "RCA appended" in result.stdout
    assert "WARNING" not in result.stdout
    assert "Notion page “Payments API timing out” · status closed" in result.stdout
    assert "Did you mean `/incident help`?" in result.stdout
    assert "(only visible to @bob)" in result.stdout
    assert list(tmp_path.iterdir()) == []  # left nothing behind


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path, slack: SandboxSlack) -> Iterator[tuple[str, str, Path]]:
    port = _free_port()
    secret = secrets.token_hex(16)
    log = tmp_path / "serve.log"
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN=slack.state.bot_token,
        SLACK_SIGNING_SECRET=secret,
        SLACK_API_URL=slack.api_url,
    )
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*OPSBOT, "serve", "--port", str(port)], env=env, stdout=out, stderr=out
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url, proc)
            yield url, secret, log
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=15)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"opsbot serve exited with {proc.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise AssertionError("opsbot serve did not become healthy")


def test_serve_answers_signed_slack_requests(
    served: tuple[str, str, Path], slack: SandboxSlack
) -> None:
    url, secret, log = served
    assert httpx.get(url + "/readyz").status_code == 200
    with SlackDriver(url + "/slack/events", secret, slack) as driver:
        help_reply = driver.command("help")
        assert help_reply.status_code == 200
        assert help_reply.json is not None and "/incident help" in help_reply.json["text"]
        assert driver.command("help", signature="v0=bad").status_code == 401
        assert driver.command("help", unsigned=True).status_code == 401
        assert driver.command("help", timestamp=int(time.time()) - 301).status_code == 401
    lines = log.read_text().splitlines()
    assert any('"msg": "slack connected"' in line for line in lines), lines[-12:]
    assert secret not in log.read_text()
    assert slack.state.bot_token not in log.read_text()


def test_check_validates_jira_create_metadata_and_notion(
    tmp_path: Path, jira: SandboxJira, notion: SandboxNotion
) -> None:
    env = clean_env(tmp_path, **{k.upper(): str(v) for k, v in sync_settings(jira, notion).items()})
    run("db", "upgrade", env=env)
    ok = run("check", env=env)
    assert ok.returncode == 0, ok.stdout
    assert "project OPS (Operations), issue type Incident" in ok.stdout
    jira.state.require_field("customfield_10050", name="Customer")
    missing = run("check", env=env)
    assert missing.returncode == 1
    assert "requires fields opsbot does not fill: Customer (customfield_10050)" in missing.stdout
    policy = tmp_path / "opsbot.yml"
    policy.write_text("jira: {issue_type: Bug}\n")
    wrong = run("check", env=env | {"OPSBOT_CONFIG": str(policy)})
    assert "issue type Bug not in project OPS (available: Incident, Task)" in wrong.stdout
