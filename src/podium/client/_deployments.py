"""Client calls for deployments, their schedules, and runs made from them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

from podium._lazy import LazyModule
from podium.client._base import Call, Op, api, list_adapter, segment
from podium.client._runs import to_state_create
from podium.schemas import core
from podium.schemas.filters import (
    DeploymentFilter,
    FlowFilter,
    FlowRunFilter,
    TaskRunFilter,
    WorkPoolFilter,
    WorkQueueFilter,
)
from podium.schemas.sorting import DeploymentSort
from podium.schemas.states import State, StateCreate

# Loaded on a first deployment call: a flow run never makes one (start-up time).
if TYPE_CHECKING:
    from podium import schedules as sched
    from podium.schemas import deployments as dep
else:
    sched = LazyModule("podium.schedules")
    dep = LazyModule("podium.schemas.deployments")


def to_schedule_create(schedule: Any) -> dep.DeploymentScheduleCreate:
    """A schedule as the API takes it, from a ``Schedule`` (``Cron(...)``, ``Interval(...)``),
    a bare schedule model, a ``(schedule, active)`` pair, or a ``DeploymentScheduleCreate``."""
    if isinstance(schedule, dep.DeploymentScheduleCreate):
        return schedule
    if isinstance(schedule, sched.Schedule):
        return dep.DeploymentScheduleCreate(
            schedule=schedule.schedule,
            active=schedule.active,
            parameters=dict(schedule.parameters),
            slug=schedule.slug,
        )
    if isinstance(schedule, tuple) and len(schedule) == 2:
        return dep.DeploymentScheduleCreate(schedule=schedule[0], active=bool(schedule[1]))
    if sched.is_schedule_type(schedule):
        return dep.DeploymentScheduleCreate(schedule=schedule)
    return dep.DeploymentScheduleCreate.model_validate(schedule)


class DeploymentCalls:
    @api
    def create_deployment(
        self,
        flow_id: UUID,
        name: str,
        version: str | None = None,
        schedules: list[Any] | None = None,
        concurrency_limit: int | None = None,
        concurrency_options: dep.ConcurrencyOptions | None = None,
        parameters: dict[str, Any] | None = None,
        description: str | None = None,
        work_queue_name: str | None = None,
        work_pool_name: str | None = None,
        tags: list[str] | None = None,
        path: str | None = None,
        entrypoint: str | None = None,
        parameter_openapi_schema: dict[str, Any] | None = None,
        paused: bool | None = None,
        pull_steps: list[dict[str, Any]] | None = None,
        enforce_parameter_schema: bool | None = None,
        job_variables: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
    ) -> Op[UUID]:
        """Create the deployment, or update the one with this flow and name; its id.

        Arguments left ``None`` are not sent: on a redeploy, ``schedules`` and
        ``paused`` then keep their current values.
        """
        given: dict[str, Any] = {
            "version": version,
            "concurrency_limit": concurrency_limit,
            "concurrency_options": concurrency_options,
            "parameters": parameters,
            "description": description,
            "work_queue_name": work_queue_name,
            "work_pool_name": work_pool_name,
            "tags": tags,
            "path": path,
            "entrypoint": entrypoint,
            "parameter_openapi_schema": parameter_openapi_schema,
            "paused": paused,
            "pull_steps": pull_steps,
            "enforce_parameter_schema": enforce_parameter_schema,
            "job_variables": job_variables,
            "labels": labels,
        }
        if schedules is not None:
            given["schedules"] = [to_schedule_create(s) for s in schedules]
        create = dep.DeploymentCreate(
            flow_id=flow_id, name=name, **{k: v for k, v in given.items() if v is not None}
        )
        response = yield Call("POST", "/deployments/", create)
        return UUID(response.json()["id"])

    @api
    def read_deployment(self, deployment_id: UUID) -> Op[dep.Deployment]:
        response = yield Call("GET", f"/deployments/{deployment_id}")
        return dep.Deployment.model_validate_json(response.content)

    @api
    def read_deployment_by_name(self, name: str) -> Op[dep.Deployment]:
        """Read a deployment by its full name, ``"<flow name>/<deployment name>"``."""
        flow_name, _, deployment_name = name.partition("/")
        if not deployment_name:
            raise ValueError(f"Expected '<flow name>/<deployment name>', got {name!r}")
        response = yield Call(
            "GET", f"/deployments/name/{segment(flow_name)}/{segment(deployment_name)}"
        )
        return dep.Deployment.model_validate_json(response.content)

    @api
    def read_deployments(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        flow_run_filter: FlowRunFilter | None = None,
        task_run_filter: TaskRunFilter | None = None,
        deployment_filter: DeploymentFilter | None = None,
        work_pool_filter: WorkPoolFilter | None = None,
        work_queue_filter: WorkQueueFilter | None = None,
        limit: int | None = None,
        sort: DeploymentSort | None = None,
        offset: int = 0,
    ) -> Op[list[dep.Deployment]]:
        request = dep.DeploymentReadRequest(
            flows=flow_filter,
            flow_runs=flow_run_filter,
            task_runs=task_run_filter,
            deployments=deployment_filter,
            work_pools=work_pool_filter,
            work_pool_queues=work_queue_filter,
            offset=offset,
        )
        if limit is not None:
            request.limit = limit
        if sort is not None:
            request.sort = sort
        response = yield Call("POST", "/deployments/filter", request.model_dump(mode="json"))
        return list_adapter(dep.Deployment).validate_json(response.content)

    @api
    def count_deployments(
        self,
        *,
        flow_filter: FlowFilter | None = None,
        deployment_filter: DeploymentFilter | None = None,
        work_pool_filter: WorkPoolFilter | None = None,
    ) -> Op[int]:
        request = dep.DeploymentCountRequest(
            flows=flow_filter, deployments=deployment_filter, work_pools=work_pool_filter
        )
        response = yield Call("POST", "/deployments/count", request)
        return int(response.json())

    @api
    def update_deployment(self, deployment_id: UUID, deployment: dep.DeploymentUpdate) -> Op[None]:
        yield Call("PATCH", f"/deployments/{deployment_id}", deployment)

    @api
    def delete_deployment(self, deployment_id: UUID) -> Op[None]:
        yield Call("DELETE", f"/deployments/{deployment_id}")

    @api
    def pause_deployment(self, deployment_id: UUID | str) -> Op[None]:
        yield Call("POST", f"/deployments/{deployment_id}/pause_deployment")

    @api
    def resume_deployment(self, deployment_id: UUID | str) -> Op[None]:
        yield Call("POST", f"/deployments/{deployment_id}/resume_deployment")

    # --- schedules ------------------------------------------------------------------

    @api
    def create_deployment_schedules(
        self, deployment_id: UUID, schedules: list[Any]
    ) -> Op[list[dep.DeploymentSchedule]]:
        """Add schedules: ``(schedule, active)`` pairs, ``Schedule`` objects or creates."""
        body = [to_schedule_create(s) for s in schedules]
        response = yield Call("POST", f"/deployments/{deployment_id}/schedules", body)
        return list_adapter(dep.DeploymentSchedule).validate_json(response.content)

    @api
    def read_deployment_schedules(self, deployment_id: UUID) -> Op[list[dep.DeploymentSchedule]]:
        response = yield Call("GET", f"/deployments/{deployment_id}/schedules")
        return list_adapter(dep.DeploymentSchedule).validate_json(response.content)

    @api
    def update_deployment_schedule(
        self,
        deployment_id: UUID,
        schedule_id: UUID,
        active: bool | None = None,
        schedule: Any = None,
    ) -> Op[None]:
        given: dict[str, Any] = {}
        if active is not None:
            given["active"] = active
        if schedule is not None:
            given["schedule"] = schedule
        update = dep.DeploymentScheduleUpdate(**given)
        yield Call("PATCH", f"/deployments/{deployment_id}/schedules/{schedule_id}", update)

    @api
    def delete_deployment_schedule(self, deployment_id: UUID, schedule_id: UUID) -> Op[None]:
        yield Call("DELETE", f"/deployments/{deployment_id}/schedules/{schedule_id}")

    # --- runs -----------------------------------------------------------------------

    @api
    def create_flow_run_from_deployment(
        self,
        deployment_id: UUID,
        *,
        parameters: dict[str, Any] | None = None,
        context: dict[str, Any] | None = None,
        state: State | StateCreate | None = None,
        name: str | None = None,
        tags: list[str] | None = None,
        idempotency_key: str | None = None,
        parent_task_run_id: UUID | None = None,
        parent_flow_run_id: UUID | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        labels: dict[str, str] | None = None,
    ) -> Op[core.FlowRun]:
        """Create a run of a deployment; ``parameters`` overlay its defaults.

        Unknown or invalid parameters or job variables raise ``InvalidRequest``
        naming them. Without ``state`` the run is Scheduled for now.
        """
        given: dict[str, Any] = {
            "parameters": parameters,
            "context": context,
            "state": to_state_create(state) if state is not None else None,
            "name": name,
            "tags": list(tags) if tags is not None else None,
            "idempotency_key": idempotency_key,
            "parent_task_run_id": parent_task_run_id,
            "parent_flow_run_id": parent_flow_run_id,
            "work_queue_name": work_queue_name,
            "job_variables": job_variables,
            "labels": labels,
        }
        create = dep.DeploymentFlowRunCreate(**{k: v for k, v in given.items() if v is not None})
        response = yield Call("POST", f"/deployments/{deployment_id}/create_flow_run", create)
        return core.FlowRun.model_validate_json(response.content)

    @api
    def get_scheduled_flow_runs_for_deployments(
        self,
        deployment_ids: list[UUID],
        scheduled_before: dt.datetime | None = None,
        limit: int | None = None,
        *,
        wait_seconds: float = 0.0,
    ) -> Op[list[core.FlowRun]]:
        """Due runs of these deployments, earliest first (what a runner polls);
        ``wait_seconds`` (up to 30) long-polls."""
        request = dep.DeploymentScheduledRunsRequest(
            deployment_ids=deployment_ids,
            scheduled_before=scheduled_before,
            wait_seconds=wait_seconds,
        )
        if limit is not None:
            request.limit = limit
        response = yield Call(
            "POST", "/deployments/get_scheduled_flow_runs", request.model_dump(mode="json")
        )
        return list_adapter(core.FlowRun).validate_json(response.content)
