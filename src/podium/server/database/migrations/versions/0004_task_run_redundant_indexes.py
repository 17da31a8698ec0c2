"""drop task run indexes that no query needs

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 03:30:00.000000

``ix_task_run__flow_run_id`` repeats the first column of
``ix_task_run__flow_run_task_key``, which serves every lookup by flow run (and the
cascade from a deleted flow run); no query filters or sorts task runs by ``updated``.
Each index is written on every task run recorded.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.drop_index("ix_task_run__flow_run_id")
        batch_op.drop_index("ix_task_run__updated")


def downgrade() -> None:
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.create_index("ix_task_run__flow_run_id", ["flow_run_id"], unique=False)
        batch_op.create_index("ix_task_run__updated", ["updated"], unique=False)
