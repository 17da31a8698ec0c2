"""Filters: which objects a read or count returns.

Each filter is a tree of optional criteria; unset criteria match everything.
Criteria inside one filter are combined with its ``operator`` (``and_`` by
default). Field names follow Prefect 3's REST API (``any_``, ``like_``, ...).
"""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import Field

from podium.schemas._base import ActionModel, UtcDateTime
from podium.schemas.states import StateType


class Operator(StrEnum):
    and_ = "and_"
    or_ = "or_"


class _Criteria(ActionModel):
    pass


class FilterIds(_Criteria):
    any_: list[UUID] | None = Field(default=None, description="Any of these ids.")
    not_any_: list[UUID] | None = Field(default=None, description="None of these ids.")


class FilterOptionalIds(FilterIds):
    is_null_: bool | None = Field(default=None, description="Only with (False) or without (True).")


class FilterNames(_Criteria):
    any_: list[str] | None = None
    like_: str | None = Field(default=None, description="Case-insensitive substring match.")


class FilterStrings(_Criteria):
    any_: list[str] | None = None


class FilterTags(_Criteria):
    all_: list[str] | None = Field(default=None, description="Has every one of these tags.")
    any_: list[str] | None = Field(default=None, description="Has at least one of these tags.")
    is_null_: bool | None = Field(default=None, description="Has no tags (True) or some (False).")


class FilterTime(_Criteria):
    before_: UtcDateTime | None = None
    after_: UtcDateTime | None = None
    is_null_: bool | None = None


class FilterStateType(_Criteria):
    any_: list[StateType] | None = None
    not_any_: list[StateType] | None = None


class FilterStateName(_Criteria):
    any_: list[str] | None = None
    not_any_: list[str] | None = None


class FilterState(_Criteria):
    operator: Operator = Operator.and_
    type: FilterStateType | None = None
    name: FilterStateName | None = None


class FlowFilter(_Criteria):
    operator: Operator = Operator.and_
    id: FilterIds | None = None
    name: FilterNames | None = None
    tags: FilterTags | None = None


class FlowRunFilter(_Criteria):
    operator: Operator = Operator.and_
    id: FilterIds | None = None
    name: FilterNames | None = None
    tags: FilterTags | None = None
    flow_id: FilterIds | None = None
    deployment_id: FilterOptionalIds | None = None
    work_queue_name: FilterStrings | None = None
    state: FilterState | None = None
    flow_version: FilterStrings | None = None
    start_time: FilterTime | None = None
    end_time: FilterTime | None = None
    expected_start_time: FilterTime | None = None
    next_scheduled_start_time: FilterTime | None = None
    parent_flow_run_id: FilterOptionalIds | None = None
    parent_task_run_id: FilterOptionalIds | None = None
    idempotency_key: FilterStrings | None = None


class TaskRunFilter(_Criteria):
    operator: Operator = Operator.and_
    id: FilterIds | None = None
    name: FilterNames | None = None
    tags: FilterTags | None = None
    task_key: FilterStrings | None = None
    state: FilterState | None = None
    start_time: FilterTime | None = None
    expected_start_time: FilterTime | None = None
    flow_run_id: FilterOptionalIds | None = None


class LogFilterLevel(_Criteria):
    ge_: int | None = None
    le_: int | None = None


class LogFilter(_Criteria):
    operator: Operator = Operator.and_
    level: LogFilterLevel | None = None
    timestamp: FilterTime | None = None
    flow_run_id: FilterIds | None = None
    task_run_id: FilterOptionalIds | None = None


class FilterBool(_Criteria):
    eq_: bool | None = Field(default=None, description="Equal to this value.")


class DeploymentFilter(_Criteria):
    operator: Operator = Operator.and_
    id: FilterIds | None = None
    name: FilterNames | None = None
    flow_or_deployment_name: FilterNames | None = Field(
        default=None, description="``like_`` matches the deployment's or its flow's name."
    )
    paused: FilterBool | None = None
    tags: FilterTags | None = None
    work_queue_name: FilterStrings | None = None
    work_pool_name: FilterStrings | None = None


class WorkPoolFilter(_Criteria):
    operator: Operator = Operator.and_
    id: FilterIds | None = None
    name: FilterNames | None = None
    type: FilterStrings | None = None


class WorkQueueFilter(_Criteria):
    operator: Operator = Operator.and_
    id: FilterIds | None = None
    name: FilterNames | None = None


class WorkerFilter(_Criteria):
    operator: Operator = Operator.and_
    name: FilterNames | None = None
    last_heartbeat_time: FilterTime | None = None
    status: FilterStrings | None = None
