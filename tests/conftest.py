"""Shared fixtures: a real database (SQLite and PostgreSQL), the sandbox Slack, a running opsbot."""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from bot import telemetry
from bot.app import create_app
from bot.policy import Policy
from bot.sandbox.jira import SandboxJira
from bot.sandbox.notion import SandboxNotion
from bot.sandbox.otlp import SandboxOtlp
from bot.sandbox.slack import SandboxSlack, SlackDriver
from bot.server import ThreadedServer
from bot.settings import Settings, get_settings
from storage import Database, upgrade

PG_URL = os.environ.get(
    "OPSBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("OPSBOT_REQUIRE_POSTGRES") == "1"
_pg_state: dict[str, str | None] = {}


def pg_unavailable() -> str | None:
    """None when PostgreSQL answers, else the reason."""
    if "reason" not in _pg_state:
        try:
            with psycopg.connect(PG_URL.replace("+psycopg", ""), connect_timeout=3):
                _pg_state["reason"] = None
        except psycopg.Error as exc:
            _pg_state["reason"] = f"PostgreSQL at {PG_URL} does not answer: {exc}".strip()
    return _pg_state["reason"]


def require_postgres() -> None:
    """Skip (or, with OPSBOT_REQUIRE_POSTGRES=1, fail) when PostgreSQL is absent."""
    reason = pg_unavailable()
    if reason is None:
        return
    if REQUIRE_PG:
        pytest.fail(f"OPSBOT_REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(f"{reason} (set OPSBOT_TEST_POSTGRES_URL, or run .ci/run)")


@dataclass
class PgSchema:
    """A throw-away PostgreSQL schema; its URL sets the search_path to it."""

    name: str

    @property
    def url(self) -> str:
        sep = "&" if "?" in PG_URL else "?"
        return f"{PG_URL}{sep}options=-csearch_path%3D{self.name}"

    def _admin(self, sql: str) -> None:
        with psycopg.connect(PG_URL.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(sql)

    def create(self) -> None:
        self._admin(f'CREATE SCHEMA "{self.name}"')

    def drop(self) -> None:
        self._admin(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh schema on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'opsbot.db'}"
        return
    require_postgres()
    schema = PgSchema(f"t_{uuid.uuid4().hex[:12]}")
    schema.create()
    try:
        yield schema.url
    finally:
        schema.drop()


@pytest.fixture
def pg_db() -> Iterator[Database]:
    """A migrated PostgreSQL database (a fresh schema), for PostgreSQL-only behaviour."""
    require_postgres()
    schema = PgSchema(f"t_{uuid.uuid4().hex[:12]}")
    schema.create()
    database = Database(schema.url)
    try:
        upgrade(database.engine)
        yield database
    finally:
        database.dispose()
        schema.drop()


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database."""
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture(scope="session")
def _slack_server() -> Iterator[SandboxSlack]:
    with SandboxSlack() as sandbox:
        yield sandbox


@pytest.fixture
def slack(_slack_server: SandboxSlack) -> SandboxSlack:
    """The sandbox Slack on loopback, with a fresh workspace for this test."""
    _slack_server.reset()
    return _slack_server


@pytest.fixture(scope="session")
def _jira_server() -> Iterator[SandboxJira]:
    with SandboxJira() as sandbox:
        yield sandbox


@pytest.fixture
def jira(_jira_server: SandboxJira) -> SandboxJira:
    """The sandbox Jira Cloud, fresh for this test."""
    _jira_server.reset()
    return _jira_server


@pytest.fixture(scope="session")
def _notion_server() -> Iterator[SandboxNotion]:
    with SandboxNotion() as sandbox:
        yield sandbox


@pytest.fixture
def notion(_notion_server: SandboxNotion) -> SandboxNotion:
    """The sandbox Notion API, fresh for this test."""
    _notion_server.reset()
    return _notion_server


@pytest.fixture(scope="session")
def _otlp_server() -> Iterator[SandboxOtlp]:
    with SandboxOtlp() as sandbox:
        yield sandbox


@pytest.fixture
def otlp(_otlp_server: SandboxOtlp) -> Iterator[SandboxOtlp]:
    """The sandbox OTLP receiver, fresh for this test (``otel_exporter_otlp_endpoint=otlp.url``
    sends an opsbot's spans there); tracing exports nowhere again afterwards."""
    _otlp_server.reset()
    yield _otlp_server
    telemetry.configure_tracing()


def sync_settings(jira: SandboxJira, notion: SandboxNotion) -> dict[str, object]:
    """Settings extras that point opsbot at the sandbox Jira and Notion."""
    return {
        "jira_url": jira.url,
        "jira_user": jira.state.user,
        "jira_api_token": jira.state.api_token,
        "jira_project": "OPS",
        "notion_token": notion.state.token,
        "notion_api_url": notion.url,
        "notion_database_id": notion.state.database_id,
    }


@dataclass
class Opsbot:
    """A running opsbot wired to the sandbox Slack, plus a driver that signs like Slack."""

    url: str
    settings: Settings
    db: Database
    slack: SandboxSlack
    driver: SlackDriver
    server: ThreadedServer

    def secret(self, name: str) -> str:
        value = getattr(self.settings, name)
        assert value is not None
        return str(value.get_secret_value())

    def post_alerts(
        self, payload: Any, *, headers: dict[str, str] | None = None, wait: bool = True
    ) -> httpx.Response:
        """POST an Alertmanager webhook body with the right bearer token (unless overridden);
        ``wait``: answer once applied, with the incidents touched (``?wait=true``)."""
        token = self.settings.alertmanager_token
        auth = {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        return httpx.post(
            self.url + "/webhooks/alertmanager" + ("?wait=true" if wait else ""),
            content=body,
            headers={"Content-Type": "application/json", **auth, **(headers or {})},
            timeout=30,
        )

    def api(self, path: str, **params: str) -> Any:
        """GET a REST API path with the API token; returns the JSON (asserts 200)."""
        response = httpx.get(
            self.url + "/api/v1" + path,
            params=params,
            headers={"Authorization": f"Bearer {self.secret('opsbot_api_token')}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return response.json()


def make_settings(database_url: str, slack: SandboxSlack | None, **extra: object) -> Settings:
    """Settings for a test instance; Slack on when a sandbox is given."""
    values: dict[str, object] = {
        "database_url": database_url,
        "alertmanager_token": secrets.token_urlsafe(16),
        "opsbot_api_token": secrets.token_urlsafe(16),
        "opsbot_config": None,
        # In-process intake: a child process per test app costs a second; tests of the
        # child process (``INTAKE_PROCESS``, the default on PostgreSQL) ask for it.
        "intake_process": False,
    }
    if slack is not None:
        values |= {
            "slack_bot_token": slack.state.bot_token,
            "slack_signing_secret": secrets.token_hex(16),
            "slack_api_url": slack.api_url,
        }
    return get_settings(**(values | extra))


OpsbotFactory = Callable[..., Opsbot]


@pytest.fixture
def opsbot_factory(db: Database, slack: SandboxSlack) -> Iterator[OpsbotFactory]:
    """Start opsbot instances (a policy and settings of the test's choosing); stops them all."""
    with ExitStack() as stack:

        def start(policy: Policy | None = None, **settings_extra: object) -> Opsbot:
            settings = make_settings(db.url, slack, **settings_extra)
            app = create_app(settings, policy or Policy(), db=db)
            server = stack.enter_context(ThreadedServer(app))
            assert settings.slack_signing_secret is not None
            secret = settings.slack_signing_secret.get_secret_value()
            driver = stack.enter_context(SlackDriver(server.url + "/slack/events", secret, slack))
            return Opsbot(server.url, settings, db, slack, driver, server)

        yield start


@pytest.fixture
def opsbot(opsbot_factory: OpsbotFactory) -> Opsbot:
    """opsbot serving on loopback against the sandbox Slack and a real database."""
    return opsbot_factory()
