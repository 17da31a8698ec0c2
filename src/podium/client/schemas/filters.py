"""Prefect's ``prefect.client.schemas.filters`` names for Podium's filters.

Podium's filters reuse one criterion class per kind of test (ids, names,
tags, times, ...); Prefect names a class per field. Each Prefect name here
is the Podium class for that field, so ``FlowRunFilter(id=FlowRunFilterId(
any_=[...]))`` reads and behaves the same in both.
"""

from podium.schemas.filters import (
    DeploymentFilter,
    FilterBool,
    FilterIds,
    FilterNames,
    FilterOptionalIds,
    FilterState,
    FilterStateName,
    FilterStateType,
    FilterStrings,
    FilterTags,
    FilterTime,
    FlowFilter,
    FlowRunFilter,
    LogFilter,
    LogFilterLevel,
    Operator,
    TaskRunFilter,
    WorkerFilter,
    WorkPoolFilter,
    WorkQueueFilter,
)

FlowFilterId = FilterIds
FlowFilterName = FilterNames
FlowFilterTags = FilterTags

FlowRunFilterId = FilterIds
FlowRunFilterName = FilterNames
FlowRunFilterTags = FilterTags
FlowRunFilterFlowId = FilterIds
FlowRunFilterDeploymentId = FilterOptionalIds
FlowRunFilterWorkQueueName = FilterStrings
FlowRunFilterState = FilterState
FlowRunFilterStateType = FilterStateType
FlowRunFilterStateName = FilterStateName
FlowRunFilterFlowVersion = FilterStrings
FlowRunFilterStartTime = FilterTime
FlowRunFilterEndTime = FilterTime
FlowRunFilterExpectedStartTime = FilterTime
FlowRunFilterNextScheduledStartTime = FilterTime
FlowRunFilterParentFlowRunId = FilterOptionalIds
FlowRunFilterParentTaskRunId = FilterOptionalIds
FlowRunFilterIdempotencyKey = FilterStrings

TaskRunFilterId = FilterIds
TaskRunFilterName = FilterNames
TaskRunFilterTags = FilterTags
TaskRunFilterState = FilterState
TaskRunFilterStateType = FilterStateType
TaskRunFilterStateName = FilterStateName
TaskRunFilterStartTime = FilterTime
TaskRunFilterExpectedStartTime = FilterTime
TaskRunFilterFlowRunId = FilterOptionalIds

LogFilterName = FilterStrings
LogFilterTimestamp = FilterTime
LogFilterFlowRunId = FilterIds
LogFilterTaskRunId = FilterOptionalIds

DeploymentFilterId = FilterIds
DeploymentFilterName = FilterNames
DeploymentFilterTags = FilterTags
DeploymentFilterPaused = FilterBool
DeploymentFilterWorkQueueName = FilterStrings

WorkPoolFilterId = FilterIds
WorkPoolFilterName = FilterNames
WorkPoolFilterType = FilterStrings
WorkQueueFilterId = FilterIds
WorkQueueFilterName = FilterNames
WorkerFilterName = FilterNames
WorkerFilterLastHeartbeatTime = FilterTime
WorkerFilterStatus = FilterStrings

__all__ = [
    "DeploymentFilter",
    "DeploymentFilterId",
    "DeploymentFilterName",
    "DeploymentFilterPaused",
    "DeploymentFilterTags",
    "DeploymentFilterWorkQueueName",
    "FlowFilter",
    "FlowFilterId",
    "FlowFilterName",
    "FlowFilterTags",
    "FlowRunFilter",
    "FlowRunFilterDeploymentId",
    "FlowRunFilterEndTime",
    "FlowRunFilterExpectedStartTime",
    "FlowRunFilterFlowId",
    "FlowRunFilterFlowVersion",
    "FlowRunFilterId",
    "FlowRunFilterIdempotencyKey",
    "FlowRunFilterName",
    "FlowRunFilterNextScheduledStartTime",
    "FlowRunFilterParentFlowRunId",
    "FlowRunFilterParentTaskRunId",
    "FlowRunFilterStartTime",
    "FlowRunFilterState",
    "FlowRunFilterStateName",
    "FlowRunFilterStateType",
    "FlowRunFilterTags",
    "FlowRunFilterWorkQueueName",
    "LogFilter",
    "LogFilterFlowRunId",
    "LogFilterLevel",
    "LogFilterName",
    "LogFilterTaskRunId",
    "LogFilterTimestamp",
    "Operator",
    "TaskRunFilter",
    "TaskRunFilterExpectedStartTime",
    "TaskRunFilterFlowRunId",
    "TaskRunFilterId",
    "TaskRunFilterName",
    "TaskRunFilterStartTime",
    "TaskRunFilterState",
    "TaskRunFilterStateName",
    "TaskRunFilterStateType",
    "TaskRunFilterTags",
    "WorkPoolFilter",
    "WorkPoolFilterId",
    "WorkPoolFilterName",
    "WorkPoolFilterType",
    "WorkQueueFilter",
    "WorkQueueFilterId",
    "WorkQueueFilterName",
    "WorkerFilter",
    "WorkerFilterLastHeartbeatTime",
    "WorkerFilterName",
    "WorkerFilterStatus",
]
