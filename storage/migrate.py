"""Schema migrations with Alembic, driven from code (no alembic.ini needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from bot.errors import StorageError

__all__ = ["MigrationStatus", "head_revision", "migration_status", "upgrade"]

_SCRIPTS = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class MigrationStatus:
    """Where the schema stands against the code's newest revision."""

    current: str | None
    head: str

    @property
    def is_current(self) -> bool:
        """True when the database is at the newest revision."""
        return self.current == self.head


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


def head_revision() -> str:
    """The newest revision the code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    if head is None:
        raise StorageError("no migrations found")
    return head


def upgrade(engine: Engine, revision: str = "head") -> MigrationStatus:
    """Bring the schema to ``revision``; safe to run again and from several processes."""
    config = _config()
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # One migrator at a time across processes; released at commit.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(72310001)")
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except SQLAlchemyError as exc:
        raise StorageError(f"migration failed: {exc}") from exc
    return migration_status(engine)


def migration_status(engine: Engine) -> MigrationStatus:
    """The schema's revision and the code's; raise ``StorageError`` if the database is gone."""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        raise StorageError(f"database unreachable: {exc}") from exc
    return MigrationStatus(current=current, head=head_revision())
