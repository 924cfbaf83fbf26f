"""Checklists (comms, RCA, playbook), RCA action items, and the incident's RCA state.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "checklist_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("checklist", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=32), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("due_at", _TS, nullable=True),
        sa.Column("done_at", _TS, nullable=True),
        sa.Column("done_by", sa.String(length=32), nullable=True),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("incident_id", "checklist", "key", name="uq_checklist_item"),
    )
    with op.batch_alter_table("checklist_items", schema=None) as batch_op:
        batch_op.create_index("ix_checklist_items_incident_id", ["incident_id"], unique=False)
    op.create_table(
        "rca_action_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=32), nullable=False),
        sa.Column("due", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("jira_key", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rca_action_items", schema=None) as batch_op:
        batch_op.create_index("ix_rca_action_items_incident_id", ["incident_id"], unique=False)
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_comms_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("slack_rca_ts", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rca_completed_at", _TS, nullable=True))
        batch_op.add_column(sa.Column("rca_waived_by", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("rca_waiver_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        for column in (
            "rca_waiver_reason",
            "rca_waived_by",
            "rca_completed_at",
            "slack_rca_ts",
            "slack_comms_ts",
        ):
            batch_op.drop_column(column)
    op.drop_table("rca_action_items")
    op.drop_table("checklist_items")
