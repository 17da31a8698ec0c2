"""The objects the server stores: flows, flow runs, task runs, logs."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field, computed_field

from podium.schemas._base import ObjectModel, PodiumModel, UtcDateTime
from podium.schemas.states import State, StateType


class ConcurrencyLimitStrategy(StrEnum):
    """What happens to a run that finds its deployment's concurrency limit full."""

    ENQUEUE = "ENQUEUE"
    CANCEL_NEW = "CANCEL_NEW"


class ConcurrencyOptions(PodiumModel):
    collision_strategy: ConcurrencyLimitStrategy = ConcurrencyLimitStrategy.ENQUEUE


class Flow(ObjectModel):
    name: str
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class FlowRunPolicy(PodiumModel):
    """How the server treats a failed flow run: retries and their delay."""

    retries: int | None = None
    retry_delay: float | None = None
    pause_keys: list[str] = Field(default_factory=list)
    resuming: bool = False


class TaskRunPolicy(PodiumModel):
    retries: int | None = None
    retry_delay: float | list[float] | None = None
    retry_jitter_factor: float | None = None


class TaskRunInput(PodiumModel):
    """An upstream dependency of a task run: another task run or a parameter."""

    input_type: str = "task_run"
    id: UUID | None = None
    name: str | None = None


class _RunFields(ObjectModel):
    name: str
    state_id: UUID | None = None
    state_type: StateType | None = None
    state_name: str | None = None
    state: State | None = None
    run_count: int = 0
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    expected_start_time: UtcDateTime | None = None
    next_scheduled_start_time: UtcDateTime | None = None
    start_time: UtcDateTime | None = None
    end_time: UtcDateTime | None = None
    total_run_time: dt.timedelta = dt.timedelta(0)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_run_time(self) -> dt.timedelta:
        """Time spent Running, as of the run's last state change."""
        return self.total_run_time

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_start_time_delta(self) -> dt.timedelta:
        """How late the run started compared with when it was expected to."""
        if self.expected_start_time is None or self.start_time is None:
            return dt.timedelta(0)
        return max(self.start_time - self.expected_start_time, dt.timedelta(0))


class FlowRun(_RunFields):
    flow_id: UUID
    deployment_id: UUID | None = None
    deployment_version: str | None = None
    flow_version: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    idempotency_key: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    parent_task_run_id: UUID | None = None
    parent_flow_run_id: UUID | None = None
    work_queue_name: str | None = None
    work_queue_id: UUID | None = None
    work_pool_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)
    infrastructure_pid: str | None = None
    infrastructure_document_id: UUID | None = None
    work_pool_id: UUID | None = None
    created_by: dict[str, Any] | None = None
    auto_scheduled: bool = False
    heartbeat: UtcDateTime | None = None


class TaskRun(_RunFields):
    flow_run_id: UUID | None = None
    task_key: str
    dynamic_key: str
    cache_key: str | None = None
    cache_expiration: UtcDateTime | None = None
    task_version: str | None = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    task_inputs: dict[str, list[TaskRunInput]] = Field(default_factory=dict)
    flow_run_run_count: int = 0


class Log(ObjectModel):
    name: str
    level: int
    message: str
    timestamp: UtcDateTime
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
