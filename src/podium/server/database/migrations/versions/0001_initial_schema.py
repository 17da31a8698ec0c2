"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 04:31:20.871220
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import podium.server.database.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "flow",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created",
            podium.server.database.types.Timestamp(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated",
            podium.server.database.types.Timestamp(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow")),
        sa.UniqueConstraint("name", name=op.f("uq_flow__name")),
    )
    with op.batch_alter_table("flow", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flow__updated"), ["updated"], unique=False)

    op.create_table(
        "log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created", podium.server.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("updated", podium.server.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "timestamp", podium.server.database.types.Timestamp(timezone=True), nullable=False
        ),
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_run_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_log")),
    )
    with op.batch_alter_table("log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_log__flow_run_timestamp", ["flow_run_id", "timestamp"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_log__level"), ["level"], unique=False)
        batch_op.create_index(batch_op.f("ix_log__task_run_id"), ["task_run_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_log__timestamp"), ["timestamp"], unique=False)

    op.create_table(
        "service_lease",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("holder", sa.String(), nullable=False),
        sa.Column("expires", podium.server.database.types.Timestamp(timezone=True), nullable=False),
        sa.Column("fencing", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_lease")),
    )
    op.create_table(
        "flow_run",
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("deployment_id", sa.Uuid(), nullable=True),
        sa.Column("deployment_version", sa.String(), nullable=True),
        sa.Column("flow_version", sa.String(), nullable=True),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("idempotency_key", sa.String(), nullable=True),
        sa.Column(
            "context",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("parent_task_run_id", sa.Uuid(), nullable=True),
        sa.Column("parent_flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("work_queue_name", sa.String(), nullable=True),
        sa.Column("work_queue_id", sa.Uuid(), nullable=True),
        sa.Column("work_pool_name", sa.String(), nullable=True),
        sa.Column(
            "job_variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("infrastructure_pid", sa.String(), nullable=True),
        sa.Column("auto_scheduled", sa.Boolean(), nullable=False),
        sa.Column(
            "heartbeat", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state_id", sa.Uuid(), nullable=True),
        sa.Column("state_type", sa.String(length=16), nullable=True),
        sa.Column("state_name", sa.String(), nullable=True),
        sa.Column(
            "state_timestamp", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "expected_start_time",
            podium.server.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "next_scheduled_start_time",
            podium.server.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "start_time", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("end_time", podium.server.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("total_run_time", sa.Interval(), nullable=False),
        sa.Column(
            "empirical_policy",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created",
            podium.server.database.types.Timestamp(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated",
            podium.server.database.types.Timestamp(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["flow_id"], ["flow.id"], name=op.f("fk_flow_run__flow_id__flow"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run")),
        sa.UniqueConstraint(
            "flow_id", "idempotency_key", name=op.f("uq_flow_run__flow_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_flow_run__deployment_id"), ["deployment_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_flow_run__flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(
            "ix_flow_run__next_scheduled_start_time", ["next_scheduled_start_time"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_run__parent_flow_run_id"), ["parent_flow_run_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_flow_run__parent_task_run_id"), ["parent_task_run_id"], unique=False
        )
        batch_op.create_index(
            "ix_flow_run__state_type_expected_start",
            ["state_type", "expected_start_time"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_flow_run__updated"), ["updated"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_flow_run__work_queue_id"), ["work_queue_id"], unique=False
        )

    op.create_table(
        "flow_run_state",
        sa.Column("flow_run_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "timestamp", podium.server.database.types.Timestamp(timezone=True), nullable=False
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "state_details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_run.id"],
            name=op.f("fk_flow_run_state__flow_run_id__flow_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flow_run_state")),
    )
    with op.batch_alter_table("flow_run_state", schema=None) as batch_op:
        batch_op.create_index(
            "ix_flow_run_state__run_timestamp", ["flow_run_id", "timestamp"], unique=False
        )

    op.create_table(
        "task_run",
        sa.Column("flow_run_id", sa.Uuid(), nullable=True),
        sa.Column("task_key", sa.String(), nullable=False),
        sa.Column("dynamic_key", sa.String(), nullable=False),
        sa.Column("cache_key", sa.String(), nullable=True),
        sa.Column(
            "cache_expiration", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("task_version", sa.String(), nullable=True),
        sa.Column(
            "task_inputs",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("flow_run_run_count", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("state_id", sa.Uuid(), nullable=True),
        sa.Column("state_type", sa.String(length=16), nullable=True),
        sa.Column("state_name", sa.String(), nullable=True),
        sa.Column(
            "state_timestamp", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("run_count", sa.Integer(), nullable=False),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "labels",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "expected_start_time",
            podium.server.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "next_scheduled_start_time",
            podium.server.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "start_time", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("end_time", podium.server.database.types.Timestamp(timezone=True), nullable=True),
        sa.Column("total_run_time", sa.Interval(), nullable=False),
        sa.Column(
            "empirical_policy",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "created",
            podium.server.database.types.Timestamp(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.Column(
            "updated",
            podium.server.database.types.Timestamp(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["flow_run_id"],
            ["flow_run.id"],
            name=op.f("fk_task_run__flow_run_id__flow_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run")),
    )
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_run__cache_key"), ["cache_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_run__flow_run_id"), ["flow_run_id"], unique=False)
        batch_op.create_index(
            "ix_task_run__flow_run_task_key",
            ["flow_run_id", "task_key", "dynamic_key"],
            unique=False,
        )
        batch_op.create_index("ix_task_run__state_type", ["state_type"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_run__updated"), ["updated"], unique=False)

    op.create_table(
        "task_run_state",
        sa.Column("task_run_id", sa.Uuid(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column(
            "timestamp", podium.server.database.types.Timestamp(timezone=True), nullable=False
        ),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column(
            "state_details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "data",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["task_run_id"],
            ["task_run.id"],
            name=op.f("fk_task_run_state__task_run_id__task_run"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_run_state")),
    )
    with op.batch_alter_table("task_run_state", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_run_state__run_timestamp", ["task_run_id", "timestamp"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("task_run_state", schema=None) as batch_op:
        batch_op.drop_index("ix_task_run_state__run_timestamp")

    op.drop_table("task_run_state")
    with op.batch_alter_table("task_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_run__updated"))
        batch_op.drop_index("ix_task_run__state_type")
        batch_op.drop_index("ix_task_run__flow_run_task_key")
        batch_op.drop_index(batch_op.f("ix_task_run__flow_run_id"))
        batch_op.drop_index(batch_op.f("ix_task_run__cache_key"))

    op.drop_table("task_run")
    with op.batch_alter_table("flow_run_state", schema=None) as batch_op:
        batch_op.drop_index("ix_flow_run_state__run_timestamp")

    op.drop_table("flow_run_state")
    with op.batch_alter_table("flow_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow_run__work_queue_id"))
        batch_op.drop_index(batch_op.f("ix_flow_run__updated"))
        batch_op.drop_index("ix_flow_run__state_type_expected_start")
        batch_op.drop_index(batch_op.f("ix_flow_run__parent_task_run_id"))
        batch_op.drop_index(batch_op.f("ix_flow_run__parent_flow_run_id"))
        batch_op.drop_index("ix_flow_run__next_scheduled_start_time")
        batch_op.drop_index(batch_op.f("ix_flow_run__flow_id"))
        batch_op.drop_index(batch_op.f("ix_flow_run__deployment_id"))

    op.drop_table("flow_run")
    op.drop_table("service_lease")
    with op.batch_alter_table("log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_log__timestamp"))
        batch_op.drop_index(batch_op.f("ix_log__task_run_id"))
        batch_op.drop_index(batch_op.f("ix_log__level"))
        batch_op.drop_index("ix_log__flow_run_timestamp")

    op.drop_table("log")
    with op.batch_alter_table("flow", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flow__updated"))

    op.drop_table("flow")
