"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from storage import Database, migration_status
from storage.tables import metadata


def test_migrated_schema_matches_the_models(db: Database) -> None:
    assert migration_status(db.engine).is_current
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []
