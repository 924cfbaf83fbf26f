"""One running opsbot per test module and database, for the fuzzing tests.

The shared ``opsbot`` fixture is function-scoped (a fresh app and database per test); a property
test sends hundreds of requests, so here one app serves a whole module. Nothing in these tests
depends on the database being empty.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from bot.app import create_app
from bot.policy import Policy
from bot.sandbox.slack import SandboxSlack
from bot.server import ThreadedServer
from bot.settings import Settings
from storage import Database, upgrade
from tests.conftest import PgSchema, make_settings, require_postgres

# No storm guard in the way: odd bodies should open incidents, the path that stores the most.
POLICY = Policy.model_validate({"alerting": {"max_new_incidents_per_minute": 1_000_000}})


@dataclass
class Served:
    """A running opsbot (Slack on, against the sandbox) and an HTTP client for it."""

    url: str
    settings: Settings
    db: Database
    http: httpx.Client

    def secret(self, name: str) -> str:
        value = getattr(self.settings, name)
        assert value is not None
        return str(value.get_secret_value())

    def healthy(self) -> bool:
        return self.http.get("/healthz").json() == {"status": "ok"}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def served(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _slack_server: SandboxSlack,
) -> Iterator[Served]:
    """opsbot on loopback with a migrated SQLite file or PostgreSQL schema, for one module."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('props') / 'opsbot.db'}"
    else:
        require_postgres()
        schema = PgSchema(f"t_{uuid.uuid4().hex[:12]}")
        schema.create()
        url = schema.url
    db = Database(url)
    try:
        upgrade(db.engine)
        _slack_server.reset()
        settings = make_settings(db.url, _slack_server)
        with (
            ThreadedServer(create_app(settings, POLICY, db=db)) as server,
            httpx.Client(base_url=server.url, timeout=30) as http,
        ):
            yield Served(server.url, settings, db, http)
    finally:
        db.dispose()
        if schema is not None:
            schema.drop()
