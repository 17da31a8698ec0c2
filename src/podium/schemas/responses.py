"""Response bodies that are not stored objects: orchestration verdicts, reads."""

from __future__ import annotations

from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from podium.schemas._base import ActionModel, PodiumModel
from podium.schemas.filters import (
    DeploymentFilter,
    FlowFilter,
    FlowRunFilter,
    LogFilter,
    TaskRunFilter,
)
from podium.schemas.sorting import FlowRunSort, FlowSort, LogSort, TaskRunSort
from podium.schemas.states import State

MAX_LIMIT = 1000
DEFAULT_LIMIT = 200


class SetStateStatus(StrEnum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    WAIT = "WAIT"
    ABORT = "ABORT"


class StateAcceptDetails(PodiumModel):
    type: Literal["accept_details"] = "accept_details"


class StateRejectDetails(PodiumModel):
    type: Literal["reject_details"] = "reject_details"
    reason: str | None = None


class StateWaitDetails(PodiumModel):
    type: Literal["wait_details"] = "wait_details"
    delay_seconds: float = 0
    reason: str | None = None


class StateAbortDetails(PodiumModel):
    type: Literal["abort_details"] = "abort_details"
    reason: str | None = None


StateResponseDetails = (
    StateAcceptDetails | StateRejectDetails | StateWaitDetails | StateAbortDetails
)


class OrchestrationResult(PodiumModel):
    """The server's verdict on a proposed state.

    ``state`` is the run's state after the verdict: the accepted (possibly
    changed, e.g. Failed made AwaitingRetry) state, or on reject/wait/abort
    the state the run is still in.
    """

    state: State | None = None
    status: SetStateStatus
    details: StateResponseDetails = Field(discriminator="type")


class TaskRunBatchRefusal(PodiumModel):
    """A state proposal of a batch that the policy did not accept."""

    index: int = Field(
        description=(
            "Position of the proposal in the batch's ``states``; for the final state of "
            "one of its ``ended_runs``, ``len(states)`` plus that run's position there."
        )
    )
    task_run_id: UUID
    status: SetStateStatus
    reason: str | None = None
    state: State | None = Field(default=None, description="The run's state, unchanged.")


class TaskRunBatchResult(PodiumModel):
    """The answer to a batch: counts, and only the proposals that were refused.

    Accepted proposals are not echoed back: a reporter sending thousands of
    records needs to know what failed, and echoing every accepted state
    would cost more than writing it.
    """

    created: int = 0
    accepted: int = 0
    refused: list[TaskRunBatchRefusal] = Field(default_factory=list)
    repeated: int = 0
    """Proposals the run already holds, same type and timestamp: the batch was sent
    again after its first answer was lost. Neither written again nor refused."""


class _Page(ActionModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)


class FlowReadRequest(_Page):
    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    sort: FlowSort = FlowSort.NAME_ASC


class FlowRunReadRequest(_Page):
    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None
    sort: FlowRunSort = FlowRunSort.ID_DESC


class TaskRunReadRequest(_Page):
    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    sort: TaskRunSort = TaskRunSort.EXPECTED_START_TIME_DESC


class LogReadRequest(_Page):
    logs: LogFilter | None = None
    sort: LogSort = LogSort.TIMESTAMP_ASC


class CountRequest(ActionModel):
    flows: FlowFilter | None = None
    flow_runs: FlowRunFilter | None = None
    task_runs: TaskRunFilter | None = None
    deployments: DeploymentFilter | None = None


class HealthResponse(PodiumModel):
    status: str = "ok"


class ErrorResponse(PodiumModel):
    """Body of every 4xx/5xx answer."""

    detail: str
    errors: list[dict[str, object]] | None = None
    id: UUID | None = None
