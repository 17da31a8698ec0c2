"""Client calls for flow runs, task runs and their states."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from pydantic import BaseModel

from podium.client._base import Call, Op, api, list_adapter
from podium.client._flows import flow_name_of
from podium.schemas import actions, core
from podium.schemas.core import FlowRunPolicy, TaskRunInput
from podium.schemas.filters import FlowFilter, FlowRunFilter, TaskRunFilter
from podium.schemas.responses import (
    CountRequest,
    FlowRunReadRequest,
    OrchestrationResult,
    TaskRunBatchResult,
    TaskRunReadRequest,
)
from podium.schemas.sorting import FlowRunSort, TaskRunSort
from podium.schemas.states import State, StateCreate

_STATES = list_adapter(State)
_FLOW_RUNS = list_adapter(core.FlowRun)
_TASK_RUNS = list_adapter(core.TaskRun)


def to_state_create(state: State | StateCreate) -> StateCreate:
    if isinstance(state, StateCreate):
        return state
    return StateCreate(
        type=state.type,
        name=state.name,
        message=state.message,
        timestamp=state.timestamp,
        state_details=state.state_details,
        data=state.data,
    )


def _read_request(cls: type, flows: Any, runs: Any, tasks: Any, sort: Any, limit: Any, offset: int):
    request = cls(flows=flows, flow_runs=runs, task_runs=tasks, offset=offset)
    if sort is not None:
        request.sort = sort
    if limit is not None:
        request.limit = limit
    return request.model_dump(mode="json")


class RunCalls:
    _flow_id: Any

    # --- flow runs -------------------------------------------------------------

    @api
    def create_flow_run(
        self,
        flow: Any = None,
        name: str | None = None,
        parameters: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        tags: list[str] | None = None,
        parent_task_run_id: UUID | None = None,
        state: State | StateCreate | None = None,
        *,
        flow_id: UUID | None = None,
        id: UUID | None = None,
        parent_flow_run_id: UUID | None = None,
        idempotency_key: str | None = None,
        flow_version: str | None = None,
        empirical_policy: FlowRunPolicy | None = None,
        labels: dict[str, str] | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
    ) -> Op[core.FlowRun]:
        """Create a flow run of ``flow`` (a ``@flow`` object or name), or of ``flow_id``."""
        if flow_id is None:
            flow_id = yield from self._flow_id(flow_name_of(flow))
        if flow_version is None and flow is not None and not isinstance(flow, str):
            flow_version = getattr(flow, "version", None)
        create = actions.FlowRunCreate(
            flow_id=flow_id,
            id=id,
            name=name,
            parameters=parameters or {},
            context=context or {},
            tags=list(tags or []),
            labels=labels or {},
            parent_task_run_id=parent_task_run_id,
            parent_flow_run_id=parent_flow_run_id,
            state=to_state_create(state) if state is not None else None,
            idempotency_key=idempotency_key,
            flow_version=flow_version,
            empirical_policy=empirical_policy or FlowRunPolicy(),
            work_queue_name=work_queue_name,
            job_variables=job_variables or {},
        )
        response = yield Call(
            "POST", "/flow_runs/", create.model_dump(mode="json", exclude_none=True)
        )
        return core.FlowRun.model_validate_json(response.content)

    @api
    def read_flow_run(self, flow_run_id: UUID) -> Op[core.FlowRun]:
        response = yield Call("GET", f"/flow_runs/{flow_run_id}")
        return core.FlowRun.model_validate_json(response.content)

    @api
    def read_flow_runs(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
        sort: FlowRunSort | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Op[list[core.FlowRun]]:
        request = _read_request(
            FlowRunReadRequest, flow_filter, flow_run_filter, task_run_filter, sort, limit, offset
        )
        response = yield Call("POST", "/flow_runs/filter", request)
        return _FLOW_RUNS.validate_json(response.content)

    @api
    def count_flow_runs(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
    ) -> Op[int]:
        request = CountRequest(
            flows=flow_filter, flow_runs=flow_run_filter, task_runs=task_run_filter
        )
        response = yield Call("POST", "/flow_runs/count", request)
        return int(response.json())

    @api
    def update_flow_run(self, flow_run_id: UUID, **changes: Any) -> Op[None]:
        """Change ``name``, ``tags``, ``labels``, ``parameters``, ``infrastructure_pid``, ..."""
        update = actions.FlowRunUpdate(**{k: v for k, v in changes.items() if v is not None})
        yield Call("PATCH", f"/flow_runs/{flow_run_id}", update)

    @api
    def delete_flow_run(self, flow_run_id: UUID) -> Op[None]:
        yield Call("DELETE", f"/flow_runs/{flow_run_id}")

    @api
    def set_flow_run_state(
        self, flow_run_id: UUID, state: State | StateCreate, force: bool = False
    ) -> Op[OrchestrationResult]:
        request = actions.SetStateRequest(state=to_state_create(state), force=force)
        response = yield Call(
            "POST", f"/flow_runs/{flow_run_id}/set_state", request.model_dump(mode="json")
        )
        return OrchestrationResult.model_validate_json(response.content)

    @api
    def read_flow_run_states(self, flow_run_id: UUID) -> Op[list[State]]:
        response = yield Call("GET", "/flow_run_states/", params={"flow_run_id": str(flow_run_id)})
        return _STATES.validate_json(response.content)

    # --- task runs -------------------------------------------------------------

    @api
    def create_task_run(
        self,
        task: Any = None,
        flow_run_id: UUID | None = None,
        dynamic_key: str = "0",
        id: UUID | None = None,
        name: str | None = None,
        extra_tags: list[str] | None = None,
        state: State | StateCreate | None = None,
        task_inputs: dict[str, list[TaskRunInput]] | None = None,
        *,
        task_key: str | None = None,
    ) -> Op[core.TaskRun]:
        """Create a task run of ``task`` (a ``@task`` object) or of ``task_key``."""
        key = task_key or getattr(task, "task_key", None) or getattr(task, "name", None)
        if not key:
            raise TypeError("create_task_run needs a task or a task_key")
        tags = list(getattr(task, "tags", ()) or ()) + list(extra_tags or [])
        create = actions.TaskRunCreate(
            task_key=key,
            dynamic_key=dynamic_key,
            id=id,
            name=name or getattr(task, "name", None),
            flow_run_id=flow_run_id,
            state=to_state_create(state) if state is not None else None,
            tags=tags,
            task_inputs=task_inputs or {},
        )
        response = yield Call(
            "POST", "/task_runs/", create.model_dump(mode="json", exclude_none=True)
        )
        return core.TaskRun.model_validate_json(response.content)

    @api
    def report_task_runs(
        self, batch: actions.TaskRunBatch | Mapping[str, Any]
    ) -> Op[TaskRunBatchResult]:
        """Send many task-run creations and state proposals in one request.

        ``batch`` may also be a mapping already in JSON form (UUIDs and timestamps may be
        left as such): the engine's reporter builds its records that way, so that a batch
        of thousands is encoded in one call and carries no default fields.
        """
        payload = batch.model_dump(mode="json") if isinstance(batch, BaseModel) else batch
        response = yield Call("POST", "/task_runs/batch", payload)
        return TaskRunBatchResult.model_validate_json(response.content)

    @api
    def read_task_run(self, task_run_id: UUID) -> Op[core.TaskRun]:
        response = yield Call("GET", f"/task_runs/{task_run_id}")
        return core.TaskRun.model_validate_json(response.content)

    @api
    def read_task_runs(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
        sort: TaskRunSort | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Op[list[core.TaskRun]]:
        request = _read_request(
            TaskRunReadRequest, flow_filter, flow_run_filter, task_run_filter, sort, limit, offset
        )
        response = yield Call("POST", "/task_runs/filter", request)
        return _TASK_RUNS.validate_json(response.content)

    @api
    def count_task_runs(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
    ) -> Op[int]:
        request = CountRequest(
            flows=flow_filter, flow_runs=flow_run_filter, task_runs=task_run_filter
        )
        response = yield Call("POST", "/task_runs/count", request)
        return int(response.json())

    @api
    def delete_task_run(self, task_run_id: UUID) -> Op[None]:
        yield Call("DELETE", f"/task_runs/{task_run_id}")

    @api
    def set_task_run_state(
        self, task_run_id: UUID, state: State | StateCreate, force: bool = False
    ) -> Op[OrchestrationResult]:
        request = actions.SetStateRequest(state=to_state_create(state), force=force)
        response = yield Call(
            "POST", f"/task_runs/{task_run_id}/set_state", request.model_dump(mode="json")
        )
        return OrchestrationResult.model_validate_json(response.content)

    @api
    def read_task_run_states(self, task_run_id: UUID) -> Op[list[State]]:
        response = yield Call("GET", "/task_run_states/", params={"task_run_id": str(task_run_id)})
        return _STATES.validate_json(response.content)
