"""deployments and work pools

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:48:39.840729
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import podium.server.database.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_pool",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("type", sa.String(), nullable=False),
        sa.Column(
            "base_job_template",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("default_queue_id", sa.Uuid(), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_pool")),
        sa.UniqueConstraint("name", name=op.f("uq_work_pool__name")),
    )
    with op.batch_alter_table("work_pool", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_pool__type"), ["type"], unique=False)
        batch_op.create_index(batch_op.f("ix_work_pool__updated"), ["updated"], unique=False)

    op.create_table(
        "work_queue",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("is_paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("work_pool_id", sa.Uuid(), nullable=False),
        sa.Column(
            "last_polled", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
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
            ["work_pool_id"],
            ["work_pool.id"],
            name=op.f("fk_work_queue__work_pool_id__work_pool"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_queue")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_work_queue__work_pool_id_name")),
    )
    with op.batch_alter_table("work_queue", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_work_queue__updated"), ["updated"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_work_queue__work_pool_id"), ["work_pool_id"], unique=False
        )

    op.create_table(
        "worker",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("work_pool_id", sa.Uuid(), nullable=False),
        sa.Column(
            "last_heartbeat_time",
            podium.server.database.types.Timestamp(timezone=True),
            nullable=True,
        ),
        sa.Column("heartbeat_interval_seconds", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
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
            ["work_pool_id"],
            ["work_pool.id"],
            name=op.f("fk_worker__work_pool_id__work_pool"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_worker")),
        sa.UniqueConstraint("work_pool_id", "name", name=op.f("uq_worker__work_pool_id_name")),
    )
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_worker__last_heartbeat_time"), ["last_heartbeat_time"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_worker__updated"), ["updated"], unique=False)
        batch_op.create_index(batch_op.f("ix_worker__work_pool_id"), ["work_pool_id"], unique=False)

    op.create_table(
        "deployment",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("flow_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.String(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
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
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "parameter_openapi_schema",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("enforce_parameter_schema", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("concurrency_limit", sa.Integer(), nullable=True),
        sa.Column(
            "concurrency_options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("work_pool_name", sa.String(), nullable=True),
        sa.Column("work_queue_name", sa.String(), nullable=True),
        sa.Column("work_queue_id", sa.Uuid(), nullable=True),
        sa.Column(
            "job_variables",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("entrypoint", sa.String(), nullable=True),
        sa.Column("path", sa.String(), nullable=True),
        sa.Column(
            "pull_steps",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column(
            "last_polled", podium.server.database.types.Timestamp(timezone=True), nullable=True
        ),
        sa.Column("status", sa.String(length=16), nullable=False),
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
            ["flow_id"], ["flow.id"], name=op.f("fk_deployment__flow_id__flow"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["work_queue_id"],
            ["work_queue.id"],
            name=op.f("fk_deployment__work_queue_id__work_queue"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment")),
        sa.UniqueConstraint("flow_id", "name", name=op.f("uq_deployment__flow_id_name")),
    )
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deployment__flow_id"), ["flow_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment__paused"), ["paused"], unique=False)
        batch_op.create_index(batch_op.f("ix_deployment__updated"), ["updated"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_deployment__work_pool_name"), ["work_pool_name"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deployment__work_queue_id"), ["work_queue_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deployment__work_queue_name"), ["work_queue_name"], unique=False
        )

    op.create_table(
        "deployment_schedule",
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column(
            "schedule",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("max_scheduled_runs", sa.Integer(), nullable=True),
        sa.Column(
            "parameters",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("slug", sa.String(), nullable=True),
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
            ["deployment_id"],
            ["deployment.id"],
            name=op.f("fk_deployment_schedule__deployment_id__deployment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployment_schedule")),
        sa.UniqueConstraint(
            "deployment_id", "slug", name=op.f("uq_deployment_schedule__deployment_id_slug")
        ),
    )
    with op.batch_alter_table("deployment_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployment_schedule__deployment_id"), ["deployment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deployment_schedule__updated"), ["updated"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("deployment_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment_schedule__updated"))
        batch_op.drop_index(batch_op.f("ix_deployment_schedule__deployment_id"))

    op.drop_table("deployment_schedule")
    with op.batch_alter_table("deployment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployment__work_queue_name"))
        batch_op.drop_index(batch_op.f("ix_deployment__work_queue_id"))
        batch_op.drop_index(batch_op.f("ix_deployment__work_pool_name"))
        batch_op.drop_index(batch_op.f("ix_deployment__updated"))
        batch_op.drop_index(batch_op.f("ix_deployment__paused"))
        batch_op.drop_index(batch_op.f("ix_deployment__flow_id"))

    op.drop_table("deployment")
    with op.batch_alter_table("worker", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker__work_pool_id"))
        batch_op.drop_index(batch_op.f("ix_worker__updated"))
        batch_op.drop_index(batch_op.f("ix_worker__last_heartbeat_time"))

    op.drop_table("worker")
    with op.batch_alter_table("work_queue", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_queue__work_pool_id"))
        batch_op.drop_index(batch_op.f("ix_work_queue__updated"))

    op.drop_table("work_queue")
    with op.batch_alter_table("work_pool", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_pool__updated"))
        batch_op.drop_index(batch_op.f("ix_work_pool__type"))

    op.drop_table("work_pool")
