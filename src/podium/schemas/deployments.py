"""Deployments and their schedules: the stored objects, request bodies and reads.

A deployment is a flow made runnable from the API: default parameters, the
parameter schema derived from the flow's signature, schedules, the work pool
and queue its runs go to, and job variables for the infrastructure.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field

from podium.schedules import SCHEDULE_TYPES
from podium.schemas._base import ActionModel, ObjectModel, UtcDateTime
from podium.schemas.actions import NAME_PATTERN
from podium.schemas.core import (
    ConcurrencyLimitStrategy as ConcurrencyLimitStrategy,  # re-exported: defined with the runs
)
from podium.schemas.core import ConcurrencyOptions, FlowRunPolicy
from podium.schemas.filters import (
    DeploymentFilter,
    FlowFilter,
    FlowRunFilter,
    TaskRunFilter,
    WorkPoolFilter,
    WorkQueueFilter,
)
from podium.schemas.responses import DEFAULT_LIMIT, MAX_LIMIT
from podium.schemas.sorting import DeploymentSort
from podium.schemas.states import StateCreate


class DeploymentStatus(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"


# --- schedules ------------------------------------------------------------------


class DeploymentSchedule(ObjectModel):
    """One of a deployment's schedules; each can be paused on its own (``active``)."""

    deployment_id: UUID | None = None
    schedule: SCHEDULE_TYPES
    active: bool = True
    max_scheduled_runs: int | None = None
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="Overrides of the deployment's parameters."
    )
    slug: str | None = None


class DeploymentScheduleCreate(ActionModel):
    schedule: SCHEDULE_TYPES
    active: bool = True
    max_scheduled_runs: int | None = Field(default=None, gt=0)
    parameters: dict[str, Any] = Field(default_factory=dict)
    slug: str | None = None


class DeploymentScheduleUpdate(ActionModel):
    schedule: SCHEDULE_TYPES | None = None
    active: bool | None = None
    max_scheduled_runs: int | None = Field(default=None, gt=0)
    parameters: dict[str, Any] | None = None
    slug: str | None = None


# --- deployments ----------------------------------------------------------------


class Deployment(ObjectModel):
    name: str
    flow_id: UUID
    version: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    schedules: list[DeploymentSchedule] = Field(default_factory=list)
    paused: bool = False
    concurrency_limit: int | None = None
    concurrency_options: ConcurrencyOptions | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    work_queue_id: UUID | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    entrypoint: str | None = None
    path: str | None = None
    pull_steps: list[dict[str, Any]] | None = None
    last_polled: UtcDateTime | None = None
    status: DeploymentStatus = DeploymentStatus.NOT_READY


class DeploymentCreate(ActionModel):
    """Body of ``POST /deployments/``: creates, or replaces the deployment with this
    flow and name."""

    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    flow_id: UUID
    version: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    parameters: dict[str, Any] = Field(default_factory=dict)
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    schedules: list[DeploymentScheduleCreate] = Field(default_factory=list)
    paused: bool = False
    concurrency_limit: int | None = Field(default=None, gt=0)
    concurrency_options: ConcurrencyOptions | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    entrypoint: str | None = None
    path: str | None = None
    pull_steps: list[dict[str, Any]] | None = None


class DeploymentUpdate(ActionModel):
    """Body of ``PATCH /deployments/{id}``: only the fields sent change.

    ``schedules``, when sent, replaces every schedule of the deployment.
    """

    version: str | None = None
    description: str | None = None
    tags: list[str] | None = None
    labels: dict[str, str] | None = None
    parameters: dict[str, Any] | None = None
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool | None = None
    schedules: list[DeploymentScheduleCreate] | None = None
    paused: bool | None = None
    concurrency_limit: int | None = Field(default=None, gt=0)
    concurrency_options: ConcurrencyOptions | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] | None = None
    entrypoint: str | None = None
    path: str | None = None
    pull_steps: list[dict[str, Any]] | None = None


class DeploymentFlowRunCreate(ActionModel):
    """Body of ``POST /deployments/{id}/create_flow_run``.

    ``parameters`` overlay the deployment's defaults: given values win, the
    defaults fill the rest. Without a ``state`` the run is Scheduled for now.
    """

    name: str | None = Field(default=None, max_length=200)
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    state: StateCreate | None = None
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str | None = None
    parent_task_run_id: UUID | None = None
    parent_flow_run_id: UUID | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    enforce_parameter_schema: bool | None = None


# --- reads ----------------------------------------------------------------------


class DeploymentReadRequest(ActionModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)
    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None
    work_pool_queues: WorkQueueFilter | None = None
    sort: DeploymentSort = DeploymentSort.NAME_ASC


class DeploymentCountRequest(ActionModel):
    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    work_pools: WorkPoolFilter | None = None
    work_pool_queues: WorkQueueFilter | None = None


class DeploymentScheduledRunsRequest(ActionModel):
    """Body of ``POST /deployments/get_scheduled_flow_runs`` (what a runner polls)."""

    deployment_ids: list[UUID]
    scheduled_before: UtcDateTime | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)
    wait_seconds: float = Field(
        default=0.0,
        ge=0.0,
        le=30.0,
        description="Hold an empty answer back until a run is due or this many seconds pass.",
    )
