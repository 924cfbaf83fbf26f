"""Queued webhook deliveries, trace context on deliveries and effects, running instances,
and the time of an incident's next alert-churn edit.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("trace_context", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("applied_at", _TS, nullable=True))
    op.create_index(
        "ix_webhook_deliveries_pending",
        "webhook_deliveries",
        ["status", "id"],
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("trace_context", sa.String(length=128), nullable=True))
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("alerts_refresh_at", _TS, nullable=True))
    op.create_table(
        "instances",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("seen_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("instances")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("alerts_refresh_at")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("trace_context")
    op.drop_index("ix_webhook_deliveries_pending", table_name="webhook_deliveries")
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("applied_at")
        batch.drop_column("trace_context")
