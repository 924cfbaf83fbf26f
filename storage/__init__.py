"""Storage: tables, repositories and migrations. Row <-> domain mapping lives only here."""

from storage.db import Database
from storage.migrate import MigrationStatus, migration_status, upgrade

__all__ = ["Database", "MigrationStatus", "migration_status", "upgrade"]
