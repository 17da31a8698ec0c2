"""ORM tables. Written qualified elsewhere: ``orm.FlowRun``.

The annotations are evaluated as the classes are made (no ``from __future__ import
annotations``; only names defined further down are quoted): given strings, SQLAlchemy
evaluates each of them again, a tenth of the time this module takes to load.
"""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Interval,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from podium._ids import new_uuid
from podium.server.database.types import JSONType, JSONValueType, Timestamp

NAMING = {
    "ix": "ix_%(table_name)s__%(column_0_N_name)s",
    "uq": "uq_%(table_name)s__%(column_0_N_name)s",
    "ck": "ck_%(table_name)s__%(constraint_name)s",
    "fk": "fk_%(table_name)s__%(column_0_name)s__%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dt.datetime: Timestamp(), dict[str, Any]: JSONType}


class ObjectMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    created: Mapped[dt.datetime] = mapped_column(
        Timestamp(), default=_now, server_default=func.now()
    )
    updated: Mapped[dt.datetime] = mapped_column(
        Timestamp(), default=_now, onupdate=_now, server_default=func.now(), index=True
    )


class Flow(ObjectMixin, Base):
    __tablename__ = "flow"
    name: Mapped[str] = mapped_column(String, unique=True)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class RunMixin(ObjectMixin):
    name: Mapped[str] = mapped_column(String)
    state_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    state_type: Mapped[str | None] = mapped_column(String(16))
    state_name: Mapped[str | None] = mapped_column(String)
    state_timestamp: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    run_count: Mapped[int] = mapped_column(Integer, default=0)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    expected_start_time: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    next_scheduled_start_time: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    start_time: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    end_time: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    total_run_time: Mapped[dt.timedelta] = mapped_column(Interval(), default=dt.timedelta(0))
    empirical_policy: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)


class FlowRun(RunMixin, Base):
    __tablename__ = "flow_run"
    __table_args__ = (
        Index("ix_flow_run__state_type_expected_start", "state_type", "expected_start_time"),
        # Listings filtered by state in the default order (id descending) read
        # one page of this index instead of sorting every matching run.
        Index("ix_flow_run__state_type_id", "state_type", "id"),
        Index("ix_flow_run__next_scheduled_start_time", "next_scheduled_start_time"),
        UniqueConstraint("flow_id", "idempotency_key"),
    )
    flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("flow.id", ondelete="CASCADE"), index=True
    )
    deployment_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    deployment_version: Mapped[str | None] = mapped_column(String)
    flow_version: Mapped[str | None] = mapped_column(String)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String)
    context: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    parent_task_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    parent_flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    work_queue_name: Mapped[str | None] = mapped_column(String)
    work_queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    work_pool_name: Mapped[str | None] = mapped_column(String)
    job_variables: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    infrastructure_pid: Mapped[str | None] = mapped_column(String)
    auto_scheduled: Mapped[bool] = mapped_column(default=False)
    heartbeat: Mapped[dt.datetime | None] = mapped_column(Timestamp())

    state: Mapped["FlowRunState | None"] = relationship(
        primaryjoin="FlowRunState.id == foreign(FlowRun.state_id)", lazy="joined", viewonly=True
    )


class TaskRun(RunMixin, Base):
    __tablename__ = "task_run"
    __table_args__ = (
        Index("ix_task_run__flow_run_task_key", "flow_run_id", "task_key", "dynamic_key"),
        Index("ix_task_run__state_type", "state_type"),
    )
    # ix_task_run__flow_run_task_key serves lookups by flow run; no query reads
    # task runs by ``updated``. Every index is written on every task run recorded.
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("flow_run.id", ondelete="CASCADE")
    )
    updated: Mapped[dt.datetime] = mapped_column(
        Timestamp(), default=_now, onupdate=_now, server_default=func.now(), sort_order=1
    )  # sort_order: last, where the mixin's column stands in databases made before
    task_key: Mapped[str] = mapped_column(String)
    dynamic_key: Mapped[str] = mapped_column(String)
    cache_key: Mapped[str | None] = mapped_column(String)
    cache_expiration: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    task_version: Mapped[str | None] = mapped_column(String)
    task_inputs: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    flow_run_run_count: Mapped[int] = mapped_column(Integer, default=0)

    state: Mapped["TaskRunState | None"] = relationship(
        primaryjoin="TaskRunState.id == foreign(TaskRun.state_id)", lazy="joined", viewonly=True
    )


class StateMixin:
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String)
    timestamp: Mapped[dt.datetime] = mapped_column(Timestamp(), default=_now)
    message: Mapped[str | None] = mapped_column(Text)
    state_details: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    data: Mapped[Any] = mapped_column(JSONValueType, nullable=True)


class FlowRunState(StateMixin, Base):
    __tablename__ = "flow_run_state"
    __table_args__ = (Index("ix_flow_run_state__run_timestamp", "flow_run_id", "timestamp"),)
    flow_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("flow_run.id", ondelete="CASCADE"))


class TaskRunState(StateMixin, Base):
    __tablename__ = "task_run_state"
    __table_args__ = (Index("ix_task_run_state__run_timestamp", "task_run_id", "timestamp"),)
    task_run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("task_run.id", ondelete="CASCADE"))


class Log(Base):
    __tablename__ = "log"
    __table_args__ = (Index("ix_log__flow_run_timestamp", "flow_run_id", "timestamp"),)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_uuid)
    created: Mapped[dt.datetime] = mapped_column(Timestamp(), default=_now)
    updated: Mapped[dt.datetime] = mapped_column(Timestamp(), default=_now)
    name: Mapped[str] = mapped_column(String)
    level: Mapped[int] = mapped_column(SmallInteger, index=True)
    message: Mapped[str] = mapped_column(Text)
    timestamp: Mapped[dt.datetime] = mapped_column(Timestamp(), index=True)
    flow_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    task_run_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)


class ServiceLease(Base):
    """Which server replica runs a loop service, until when."""

    __tablename__ = "service_lease"
    name: Mapped[str] = mapped_column(String, primary_key=True)
    holder: Mapped[str] = mapped_column(String)
    expires: Mapped[dt.datetime] = mapped_column(Timestamp())
    fencing: Mapped[int] = mapped_column(BigInteger, default=0)


class Deployment(ObjectMixin, Base):
    """A flow made runnable from the API, with defaults, schedules and a work queue."""

    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("flow_id", "name"),)
    name: Mapped[str] = mapped_column(String)
    flow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("flow.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[str | None] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    labels: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    parameter_openapi_schema: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    enforce_parameter_schema: Mapped[bool] = mapped_column(Boolean, default=True)
    paused: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer)
    concurrency_options: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    work_pool_name: Mapped[str | None] = mapped_column(String, index=True)
    work_queue_name: Mapped[str | None] = mapped_column(String, index=True)
    work_queue_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("work_queue.id", ondelete="SET NULL"), index=True
    )
    job_variables: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    entrypoint: Mapped[str | None] = mapped_column(String)
    path: Mapped[str | None] = mapped_column(String)
    pull_steps: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType, nullable=True)
    last_polled: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    status: Mapped[str] = mapped_column(String(16), default="NOT_READY")

    schedules: Mapped[list["DeploymentSchedule"]] = relationship(
        lazy="selectin",
        order_by="DeploymentSchedule.created, DeploymentSchedule.id",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class DeploymentSchedule(ObjectMixin, Base):
    __tablename__ = "deployment_schedule"
    __table_args__ = (UniqueConstraint("deployment_id", "slug"),)
    deployment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("deployment.id", ondelete="CASCADE"), index=True
    )
    schedule: Mapped[dict[str, Any]] = mapped_column(JSONType)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    max_scheduled_runs: Mapped[int | None] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    slug: Mapped[str | None] = mapped_column(String)


class WorkPool(ObjectMixin, Base):
    __tablename__ = "work_pool"
    name: Mapped[str] = mapped_column(String, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String, index=True)
    base_job_template: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="NOT_READY")
    # No foreign key: the queue also points at its pool, and the pair is created together.
    default_queue_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class WorkQueue(ObjectMixin, Base):
    __tablename__ = "work_queue"
    __table_args__ = (UniqueConstraint("work_pool_id", "name"),)
    name: Mapped[str] = mapped_column(String)
    description: Mapped[str | None] = mapped_column(Text)
    is_paused: Mapped[bool] = mapped_column(Boolean, default=False)
    concurrency_limit: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=1)
    work_pool_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_pool.id", ondelete="CASCADE"), index=True
    )
    last_polled: Mapped[dt.datetime | None] = mapped_column(Timestamp())
    status: Mapped[str] = mapped_column(String(16), default="NOT_READY")

    work_pool: Mapped["WorkPool"] = relationship(lazy="joined", innerjoin=True)

    @property
    def work_pool_name(self) -> str:
        return self.work_pool.name


class Worker(ObjectMixin, Base):
    __tablename__ = "worker"
    __table_args__ = (UniqueConstraint("work_pool_id", "name"),)
    name: Mapped[str] = mapped_column(String)
    work_pool_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("work_pool.id", ondelete="CASCADE"), index=True
    )
    last_heartbeat_time: Mapped[dt.datetime | None] = mapped_column(Timestamp(), index=True)
    heartbeat_interval_seconds: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default="OFFLINE")
