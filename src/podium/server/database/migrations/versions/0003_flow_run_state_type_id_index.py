"""flow run index on state type and id

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 16:05:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Indexes of flow_run named after the new one. SQLite lists a table's indexes in
# the order they were made, and a new database makes them in name order
# (``migrate.create_head_schema``); these are made again after the new one so a
# migrated database has the same schema as a new one.
_AFTER = {
    "ix_flow_run__updated": ["updated"],
    "ix_flow_run__work_queue_id": ["work_queue_id"],
}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        if sqlite:
            for name in _AFTER:
                batch_op.drop_index(name)
        batch_op.create_index("ix_flow_run__state_type_id", ["state_type", "id"], unique=False)
        if sqlite:
            for name, columns in _AFTER.items():
                batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_run__state_type_id")
