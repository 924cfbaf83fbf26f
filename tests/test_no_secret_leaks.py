"""No token, password or signing secret in a log line, an exception message or a Slack message.

The scrubber on its own first, then a whole run: every secret set to a unique random value
(some through ``<NAME>_FILE``), ``opsbot check`` and ``opsbot serve`` as real processes at
DEBUG, bad signatures and tokens, and Jira failing with an error that echoes its token. Then
everything the processes printed, every answer opsbot gave and everything the sandbox Slack
received is searched for each secret.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.logs import REDACTED, SecretScrubber, configure_logging
from bot.sandbox.jira import JiraFault, JiraState, SandboxJira
from bot.sandbox.notion import NotionState, SandboxNotion
from bot.sandbox.slack import SandboxSlack, SlackDriver, SlackState
from bot.settings import FILE_SETTINGS
from tests.alerts import alert, notification
from tests.processes import serve_processes
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
OPSBOT = [sys.executable, "-m", "bot.cli"]
SIGNING = secrets.token_hex(16)


# ----- the scrubber ----------------------------------------------------------------------


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    level = root.level
    configure_logging(level="DEBUG", fmt="json", secrets=[SIGNING, 'pa"ss\\wörd'], stream=stream)
    yield stream
    root.handlers.clear()
    root.setLevel(level)


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("xoxb-1234567890-abcdefghij", "1234567890-abcdefghij"),
        ("xapp-1-A0123-456-abcdef", "A0123-456-abcdef"),
        ("xoxe-1-abcdefghijkl", "abcdefghijkl"),
        ("ATATT3xFfGF0abcdefghijklmnopqrstuvwxyz", "abcdefghijklmnopqrstuvwxyz"),
        ("secret_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123"),
        ("ntn_1234567890abcdefghijABCDEFGHIJ", "1234567890abcdefghijABCDEFGHIJ"),
        ("Authorization: Bearer abcdefghijklmnop", "abcdefghijklmnop"),
        ("authorization: basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
        ("postgresql+psycopg://opsbot:hunter2-x@db:5432/ops", "hunter2-x"),
        ("https://bob:p%40ss@jira.example.com/rest", "p%40ss"),
        (f"v0 signing secret {SIGNING}", SIGNING),
    ],
)
def test_secret_shapes_and_known_values_are_replaced(text: str, gone: str) -> None:
    scrubbed = SecretScrubber([SIGNING]).scrub(f"before {text} after")
    assert gone not in scrubbed
    assert REDACTED in scrubbed
    assert scrubbed.startswith("before ") and scrubbed.endswith(" after")


def test_a_url_keeps_everything_but_its_password() -> None:
    scrubber = SecretScrubber()
    assert (
        scrubber.scrub("postgresql://opsbot:pw1234@db:5432/ops")
        == f"postgresql://opsbot:{REDACTED}@db:5432/ops"
    )
    for harmless in ("https://host:8443/path@x", "http://[::1]:8080/", "see https://a.b/c:d"):
        assert scrubber.scrub(harmless) == harmless


def test_escaped_forms_of_a_known_secret_are_replaced() -> None:
    value = "a/b+c d&e"
    scrubber = SecretScrubber([value])
    for form in ("a%2Fb%2Bc%20d%26e", "a%2Fb%2Bc+d%26e", value):
        assert scrubber.scrub(f"x {form} y") == f"x {REDACTED} y"


def test_every_part_of_a_record_is_scrubbed(log_stream: io.StringIO) -> None:
    log = logging.getLogger("opsbot.test")
    log.info("token %s", SIGNING, extra={"error": f"HTTP 401 {SIGNING}", "nested": [SIGNING]})
    log.warning('password pa"ss\\wörd in the message')
    try:
        raise RuntimeError(f"connect failed for postgresql://u:{SIGNING}@db/x")
    except RuntimeError:
        log.exception("failed", stack_info=True)
    text = log_stream.getvalue()
    assert SIGNING not in text
    decoded = [json.loads(line) for line in text.splitlines()]
    assert not any('pa"ss\\wörd' in json.dumps(line, ensure_ascii=False) for line in decoded)
    assert 'pa\\"ss' not in text and "w\\u00f6rd" not in text
    assert text.count(REDACTED) >= 5


# ----- a whole run ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [*OPSBOT, *args], capture_output=True, text=True, timeout=120, env=env, cwd=cwd
    )
    return f"$ opsbot {' '.join(args)} -> {result.returncode}\n{result.stdout}\n{result.stderr}"


def _secrets() -> dict[str, str]:
    """A unique random value per secret setting; some have a credential's shape, some not."""
    values = {name: secrets.token_urlsafe(24) for name in FILE_SETTINGS}
    values["slack_bot_token"] = f"xoxb-{secrets.randbelow(10**12)}-{secrets.token_hex(12)}"
    values["slack_signing_secret"] = secrets.token_hex(16)
    del values["database_url"]  # SQLite below; a PostgreSQL URL with a password separately
    return values


POLICY = """
slack: {incidents_channel: C0INCIDENTS}
outbox: {retry_base: 0.1, retry_cap: 0.3, max_attempts: 30}
services: {checkout-api: {jira_component: API}}
roles: {admin: [U0ALICE]}
"""


def test_nothing_printed_answered_or_posted_holds_a_secret(
    tmp_path: Path, slack: SandboxSlack, jira: SandboxJira, notion: SandboxNotion
) -> None:
    values = _secrets()
    slack.reset(SlackState(bot_token=values["slack_bot_token"]))
    jira.reset(JiraState(api_token=values["jira_api_token"]))
    notion.reset(NotionState(token=values["notion_token"]))
    db_password = secrets.token_urlsafe(16)
    every_secret = [*values.values(), db_password]

    files = {"slack_signing_secret", "jira_api_token", "notion_token"}
    env: dict[str, str] = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}} | {
        "PYTHONPATH": str(ROOT),
        "LOG_LEVEL": "DEBUG",
        "SLACK_API_URL": slack.api_url,
        "JIRA_URL": jira.url,
        "JIRA_USER": jira.state.user,
        "JIRA_PROJECT": "OPS",
        "NOTION_API_URL": notion.url,
        "NOTION_DATABASE_ID": notion.state.database_id,
        "N8N_URL": f"http://127.0.0.1:{_free_port()}",
        "OPSBOT_CONFIG": str(tmp_path / "opsbot.yml"),
    }
    for name, value in values.items():
        if name in files:
            (tmp_path / name).write_text(value + "\n")
            env[f"{name.upper()}_FILE"] = str(tmp_path / name)
        else:
            env[name.upper()] = value
    (tmp_path / "database_url").write_text(f"sqlite:///{tmp_path / 'opsbot.db'}\n")
    env["DATABASE_URL_FILE"] = str(tmp_path / "database_url")
    (tmp_path / "opsbot.yml").write_text(POLICY)

    printed = [
        _run("db", "upgrade", env=env, cwd=tmp_path),
        _run("check", env=env, cwd=tmp_path),
        _run("--log-format", "text", "check", env=env, cwd=tmp_path),
    ]
    assert "jira         OK" in printed[1] and "n8n          FAILED" in printed[1], printed[1]
    unreachable = env | {"DATABASE_URL": f"postgresql://opsbot:{db_password}@127.0.0.1:1/ops"}
    del unreachable["DATABASE_URL_FILE"]
    printed.append(_run("check", env=unreachable, cwd=tmp_path))
    assert "database     FAILED" in printed[-1], printed[-1]
    printed.append(_run("db", "upgrade", env=unreachable, cwd=tmp_path))

    # Jira now refuses with an error that echoes the token, as a careless proxy might.
    jira.state.add_fault(
        JiraFault(
            status=401,
            message=f"Basic auth {jira.state.user}:{values['jira_api_token']} was refused",
        )
    )
    answers: list[str] = []
    with serve_processes(1, env=env, policy=POLICY, tmp_path=tmp_path) as [url]:
        answers += _exercise(url, values, slack)
        wait_until(
            lambda: any("gave up" in m.text for m in slack.state.messages("C0INCIDENTS")),
            timeout=60,
            what="the Jira failure told in Slack",
        )
    served = (tmp_path / "serve0.log").read_text()
    assert "outbox effect dead-lettered" in served
    assert '"level": "debug"' in served  # DEBUG lines were printed, and searched

    posted = [repr(m) for m in slack.state.all_messages()]
    posted += [repr(call.args) for call in slack.state.calls()]
    sources = {
        "opsbot db/check output": "\n".join(printed),
        "opsbot serve output": served,
        "opsbot's HTTP answers": "\n".join(answers),
        "Slack messages and API calls": "\n".join(posted),
    }
    leaks = {
        f"{name} in {source}": next(line for line in text.splitlines() if value in line)[:300]
        for source, text in sources.items()
        for name, value in [*values.items(), ("database password", db_password)]
        if value in text
    }
    assert not leaks, f"secrets leaked: {json.dumps(leaks, indent=1)}"
    assert len(every_secret) == len(set(every_secret))
    assert REDACTED in served  # the scenario did put secrets in the way of the logs


def _exercise(url: str, values: dict[str, str], slack: SandboxSlack) -> list[str]:
    """Requests right and wrong; returns every answer's status and body."""
    answers: list[httpx.Response] = []
    body = json.dumps(notification("G1", [alert("fp001", severity="critical")])).encode()
    webhook = url + "/webhooks/alertmanager"
    json_type = {"Content-Type": "application/json"}
    for auth in (
        {"Authorization": f"Bearer {values['slack_signing_secret']}"},
        {"Authorization": "Basic " + _basic("alertmanager", values["opsbot_api_token"])},
        {},
    ):
        reply = httpx.post(webhook, content=body, headers=json_type | auth, timeout=30)
        assert reply.status_code == 401, reply.text
        answers.append(reply)
    right = {"Authorization": f"Bearer {values['alertmanager_token']}"}
    reply = httpx.post(webhook + "?wait=true", content=body, headers=json_type | right, timeout=30)
    assert reply.status_code == 200, reply.text
    answers.append(reply)

    api = url + "/api/v1/incidents"
    wrong = httpx.get(api, headers={"Authorization": f"Bearer {values['n8n_api_key']}"})
    assert wrong.status_code == 401
    answers.append(wrong)
    right_api = httpx.get(api, headers={"Authorization": f"Bearer {values['opsbot_api_token']}"})
    assert right_api.status_code == 200
    answers.append(right_api)

    with SlackDriver(url + "/slack/events", values["slack_signing_secret"], slack) as driver:
        assert driver.command("help", signature="v0=" + "0" * 64).status_code == 401
        assert driver.command("help", unsigned=True).status_code == 401
        declared = driver.command('declare "Checkout failing" --sev S1 --service checkout-api')
        assert declared.status_code == 200
        status = driver.command("sync 1")
        texts = [f"{r.status_code} {r.text}" for r in (declared, status)]
    return texts + [f"{r.status_code} {r.headers} {r.text}" for r in answers]


def _basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()
