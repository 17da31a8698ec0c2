"""Request bodies: what a client sends to create or change an object."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from podium.schemas._base import ActionModel, UtcDateTime
from podium.schemas.core import FlowRunPolicy, TaskRunInput, TaskRunPolicy
from podium.schemas.states import StateCreate, StateDetails, StateType

NAME_PATTERN = r"^[^/%&><]+$"


class FlowCreate(ActionModel):
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)


class FlowUpdate(ActionModel):
    tags: list[str] | None = None


class FlowRunCreate(ActionModel):
    flow_id: UUID
    id: UUID | None = None
    name: str | None = Field(default=None, max_length=200)
    state: StateCreate | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    context: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    idempotency_key: str | None = None
    parent_task_run_id: UUID | None = None
    parent_flow_run_id: UUID | None = None
    deployment_id: UUID | None = None
    flow_version: str | None = None
    empirical_policy: FlowRunPolicy = Field(default_factory=FlowRunPolicy)
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = Field(default_factory=dict)


class FlowRunUpdate(ActionModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    tags: list[str] | None = None
    labels: dict[str, str] | None = None
    infrastructure_pid: str | None = None
    flow_version: str | None = None
    parameters: dict[str, Any] | None = None
    empirical_policy: FlowRunPolicy | None = None
    job_variables: dict[str, Any] | None = None


class TaskRunCreate(ActionModel):
    task_key: str = Field(min_length=1)
    dynamic_key: str
    id: UUID | None = None
    name: str | None = Field(default=None, max_length=200)
    flow_run_id: UUID | None = None
    state: StateCreate | None = None
    cache_key: str | None = None
    cache_expiration: UtcDateTime | None = None
    task_version: str | None = None
    empirical_policy: TaskRunPolicy = Field(default_factory=TaskRunPolicy)
    tags: list[str] = Field(default_factory=list)
    labels: dict[str, str] = Field(default_factory=dict)
    task_inputs: dict[str, list[TaskRunInput]] = Field(default_factory=dict)
    flow_run_run_count: int = 0


class TaskRunUpdate(ActionModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    tags: list[str] | None = None
    labels: dict[str, str] | None = None


class SetStateRequest(ActionModel):
    """Body of ``POST /{flow_runs|task_runs}/{id}/set_state``."""

    state: StateCreate
    force: bool = False


class TaskRunStateProposal(ActionModel):
    task_run_id: UUID
    state: StateCreate
    force: bool = False


# --- the engine's batches ----------------------------------------------------------
#
# A batch carries thousands of runs, each with two states, and validating it is
# part of every task run's cost. Its models take the same JSON as
# ``TaskRunCreate``, ``TaskRunStateProposal`` and ``StateCreate``, but every
# optional part defaults to None instead of a built default (an empty
# ``StateDetails``, ``TaskRunPolicy``, list or dict per record): validating the
# engine's records so costs a quarter of what the general models cost.


class TaskRunBatchState(ActionModel):
    """A state in a task-run batch: the fields of :class:`StateCreate`.

    ``state_details`` left out means the default details. ``timestamp`` is
    parsed without :data:`UtcDateTime`'s conversion, a call into Python per
    state that cost a fifth of validating a batch: it keeps the zone it was
    sent with (a naive one is UTC). The batch's writer and
    :func:`~podium.schemas.states.state_from_create` take it as that instant.
    """

    type: StateType
    name: str | None = None
    message: str | None = None
    timestamp: dt.datetime | None = None
    state_details: StateDetails | None = None
    data: Any = None


class TaskRunBatchRun(ActionModel):
    """A task run a batch creates: the fields of :class:`TaskRunCreate`.

    ``state`` is its first state (Pending when left out); ``empirical_policy``,
    ``tags``, ``labels`` and ``task_inputs`` left out are empty.
    """

    task_key: str = Field(min_length=1)
    dynamic_key: str
    id: UUID | None = None
    name: str | None = Field(default=None, max_length=200)
    flow_run_id: UUID | None = None
    state: TaskRunBatchState | None = None
    cache_key: str | None = None
    cache_expiration: UtcDateTime | None = None
    task_version: str | None = None
    empirical_policy: TaskRunPolicy | None = None
    tags: list[str] | None = None
    labels: dict[str, str] | None = None
    task_inputs: dict[str, list[TaskRunInput]] | None = None
    flow_run_run_count: int = 0


class TaskRunBatchProposal(ActionModel):
    """A state proposed in a batch for a task run (one created by the batch or earlier)."""

    task_run_id: UUID
    state: TaskRunBatchState
    force: bool = False


EndedRun = tuple[
    UUID,
    UUID | None,
    Annotated[str, Field(min_length=1)],
    str,
    Annotated[str, Field(max_length=200)],
    int,
    int | None,
    AwareDatetime,
    AwareDatetime,
    Literal[StateType.COMPLETED, StateType.FAILED, StateType.CANCELLED, StateType.CRASHED],
]
"""A task run that started and ended between two batches, as one array: its ``id``,
``flow_run_id``, ``task_key``, ``dynamic_key``, ``name``, ``flow_run_run_count``, its
policy's ``retries``, the time it started Running, the time it ended, and its final
state's type (always last).

It stands for a creation with those fields (and an ``empirical_policy`` of those
retries alone, none if null) and a Running state at the start time, then a proposal
of the final state (default name, nothing else) at the end time:
what most task runs are. As an array it costs a sixth of validating those two
records, the cost that dominates a batch of small tasks.
"""


ENDED_RUN_FIELDS = (
    "id",
    "flow_run_id",
    "task_key",
    "dynamic_key",
    "name",
    "flow_run_run_count",
    "retries",
    "started",
    "ended",
    "final_type",
)
"""The names of an :data:`EndedRun`'s items, in order (error messages name them)."""


class TaskRunBatch(ActionModel):
    """What the engine's reporter sends: creations, then state proposals in order.

    Creations with an ``id`` that already exists are ignored, so a batch can be
    sent again after a lost answer without duplicating runs. ``ended_runs`` are
    taken as creations, and their final states as proposals made before every
    proposal of ``states``; a refused one is reported at index ``len(states)``
    plus its position in ``ended_runs``.
    """

    task_runs: list[TaskRunBatchRun] = Field(default_factory=list)
    states: list[TaskRunBatchProposal] = Field(default_factory=list)
    ended_runs: list[EndedRun] = Field(default_factory=list)


class LogCreate(ActionModel):
    name: str
    level: int
    message: str
    timestamp: UtcDateTime
    flow_run_id: UUID | None = None
    task_run_id: UUID | None = None
