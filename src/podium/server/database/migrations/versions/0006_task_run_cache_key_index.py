"""drop the task run index on cache_key, which no query reads

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 07:00:00.000000

No query filters or sorts task runs by ``cache_key``: cached results are found in
the result store, by their key, not through the API. The index took an entry for
every task run recorded (a NULL for most): on SQLite about 1,400 instructions of a
task run's inserts, and space in the database file.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.drop_index("ix_task_run__cache_key")


def downgrade() -> None:
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.create_index("ix_task_run__cache_key", ["cache_key"], unique=False)
