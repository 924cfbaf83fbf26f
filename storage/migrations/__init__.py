"""Alembic environment and revisions (run through ``storage.migrate``)."""
