"""Sync: outbox lanes, Jira key and Notion page on incidents.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("jira_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("notion_page_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("notion_url", sa.String(length=512), nullable=True))
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("lane", sa.String(length=16), nullable=False, server_default="slack")
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("lane")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_column("notion_url")
        batch_op.drop_column("notion_page_id")
        batch_op.drop_column("jira_key")
