"""Prefect's ``prefect.client.schemas.objects`` names for Podium's contract."""

from podium.schemas.core import (
    ConcurrencyLimitStrategy,
    ConcurrencyOptions,
    Flow,
    FlowRun,
    FlowRunPolicy,
    Log,
    TaskRun,
    TaskRunInput,
    TaskRunPolicy,
)
from podium.schemas.deployments import Deployment, DeploymentSchedule
from podium.schemas.states import State, StateDetails, StateType
from podium.schemas.work_pools import (
    Worker,
    WorkerStatus,
    WorkPool,
    WorkPoolStatus,
    WorkQueue,
    WorkQueueStatus,
)

__all__ = [
    "ConcurrencyLimitStrategy",
    "ConcurrencyOptions",
    "Deployment",
    "DeploymentSchedule",
    "Flow",
    "FlowRun",
    "FlowRunPolicy",
    "Log",
    "State",
    "StateDetails",
    "StateType",
    "TaskRun",
    "TaskRunInput",
    "TaskRunPolicy",
    "WorkPool",
    "WorkPoolStatus",
    "WorkQueue",
    "WorkQueueStatus",
    "Worker",
    "WorkerStatus",
]
