"""Client calls for work pools, queues and workers, and for the runs workers start."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import TypeAdapter

from podium._lazy import LazyModule
from podium.client._base import Call, Op, api, list_adapter, segment
from podium.schemas.filters import FilterNames, WorkerFilter, WorkPoolFilter, WorkQueueFilter
from podium.schemas.states import State

# Loaded on a first work-pool call: a flow run never makes one (start-up time).
if TYPE_CHECKING:
    from podium.schemas import work_pools as wp
else:
    wp = LazyModule("podium.schemas.work_pools")

_STATE = TypeAdapter(State | None)


def _page(request: Any, limit: int | None, offset: int | None) -> dict[str, Any]:
    if limit is not None:
        request.limit = limit
    if offset is not None:
        request.offset = offset
    return request.model_dump(mode="json")


class WorkPoolCalls:
    # --- pools ----------------------------------------------------------------------

    @api
    def create_work_pool(
        self, work_pool: wp.WorkPoolCreate, overwrite: bool = False
    ) -> Op[wp.WorkPool]:
        """Create a pool (with its ``default`` queue); with ``overwrite``, update an
        existing pool of that name instead of raising ``ObjectAlreadyExists``."""
        if overwrite:
            named = wp.WorkPoolReadRequest(
                work_pools=WorkPoolFilter(name=FilterNames(any_=[work_pool.name]))
            )
            found = yield Call("POST", "/work_pools/filter", named.model_dump(mode="json"))
            if found.json():
                update = wp.WorkPoolUpdate(
                    description=work_pool.description,
                    is_paused=work_pool.is_paused,
                    base_job_template=work_pool.base_job_template,
                    concurrency_limit=work_pool.concurrency_limit,
                )
                yield Call("PATCH", f"/work_pools/{segment(work_pool.name)}", update)
                response = yield Call("GET", f"/work_pools/{segment(work_pool.name)}")
                return wp.WorkPool.model_validate_json(response.content)
        response = yield Call("POST", "/work_pools/", work_pool)
        return wp.WorkPool.model_validate_json(response.content)

    @api
    def read_work_pool(self, work_pool_name: str) -> Op[wp.WorkPool]:
        response = yield Call("GET", f"/work_pools/{segment(work_pool_name)}")
        return wp.WorkPool.model_validate_json(response.content)

    @api
    def read_work_pools(
        self,
        limit: int | None = None,
        offset: int = 0,
        work_pool_filter: WorkPoolFilter | None = None,
    ) -> Op[list[wp.WorkPool]]:
        request = _page(wp.WorkPoolReadRequest(work_pools=work_pool_filter), limit, offset)
        response = yield Call("POST", "/work_pools/filter", request)
        return list_adapter(wp.WorkPool).validate_json(response.content)

    @api
    def update_work_pool(self, work_pool_name: str, work_pool: wp.WorkPoolUpdate) -> Op[None]:
        yield Call("PATCH", f"/work_pools/{segment(work_pool_name)}", work_pool)

    @api
    def delete_work_pool(self, work_pool_name: str) -> Op[None]:
        yield Call("DELETE", f"/work_pools/{segment(work_pool_name)}")

    # --- queues ---------------------------------------------------------------------

    @api
    def create_work_queue(
        self,
        name: str,
        description: str | None = None,
        is_paused: bool | None = None,
        concurrency_limit: int | None = None,
        priority: int | None = None,
        work_pool_name: str | None = None,
    ) -> Op[wp.WorkQueue]:
        given = {
            "description": description,
            "is_paused": is_paused,
            "concurrency_limit": concurrency_limit,
            "priority": priority,
        }
        create = wp.WorkQueueCreate(name=name, **{k: v for k, v in given.items() if v is not None})
        if work_pool_name is None:
            raise ValueError("work_pool_name is required: every queue belongs to a work pool")
        response = yield Call("POST", f"/work_pools/{segment(work_pool_name)}/queues", create)
        return wp.WorkQueue.model_validate_json(response.content)

    @api
    def read_work_queue(self, id: UUID) -> Op[wp.WorkQueue]:
        response = yield Call("GET", f"/work_queues/{id}")
        return wp.WorkQueue.model_validate_json(response.content)

    @api
    def read_work_queue_by_name(self, name: str, work_pool_name: str) -> Op[wp.WorkQueue]:
        response = yield Call(
            "GET", f"/work_pools/{segment(work_pool_name)}/queues/{segment(name)}"
        )
        return wp.WorkQueue.model_validate_json(response.content)

    @api
    def read_work_queues(
        self,
        work_pool_name: str | None = None,
        work_queue_filter: WorkQueueFilter | None = None,
        limit: int | None = None,
        offset: int | None = None,
    ) -> Op[list[wp.WorkQueue]]:
        request = _page(wp.WorkQueueReadRequest(work_queues=work_queue_filter), limit, offset)
        path = "/work_queues/filter"
        if work_pool_name is not None:
            path = f"/work_pools/{segment(work_pool_name)}/queues/filter"
        response = yield Call("POST", path, request)
        return list_adapter(wp.WorkQueue).validate_json(response.content)

    @api
    def update_work_queue(self, id: UUID, **kwargs: Any) -> Op[None]:
        yield Call("PATCH", f"/work_queues/{id}", wp.WorkQueueUpdate(**kwargs))

    @api
    def delete_work_queue_by_id(self, id: UUID) -> Op[None]:
        yield Call("DELETE", f"/work_queues/{id}")

    # --- workers --------------------------------------------------------------------

    @api
    def send_worker_heartbeat(
        self,
        work_pool_name: str,
        worker_name: str,
        heartbeat_interval_seconds: float | None = None,
    ) -> Op[None]:
        beat = wp.WorkerHeartbeat(
            name=worker_name,
            heartbeat_interval_seconds=(
                None if heartbeat_interval_seconds is None else int(heartbeat_interval_seconds)
            ),
        )
        yield Call("POST", f"/work_pools/{segment(work_pool_name)}/workers/heartbeat", beat)

    @api
    def read_workers_for_work_pool(
        self,
        work_pool_name: str,
        worker_filter: WorkerFilter | None = None,
        offset: int | None = None,
        limit: int | None = None,
    ) -> Op[list[wp.Worker]]:
        request = _page(wp.WorkerReadRequest(workers=worker_filter), limit, offset)
        response = yield Call(
            "POST", f"/work_pools/{segment(work_pool_name)}/workers/filter", request
        )
        return list_adapter(wp.Worker).validate_json(response.content)

    @api
    def get_scheduled_flow_runs_for_work_pool(
        self,
        work_pool_name: str,
        work_queue_names: list[str] | None = None,
        scheduled_before: dt.datetime | None = None,
        *,
        limit: int | None = None,
        wait_seconds: float = 0.0,
    ) -> Op[list[wp.WorkerFlowRunResponse]]:
        """Due runs the worker may start; ``wait_seconds`` (up to 30) long-polls.

        Claim a run by proposing Pending for it: a second claim is aborted.
        """
        request = wp.WorkerScheduledRunsRequest(
            work_queue_names=work_queue_names,
            scheduled_before=scheduled_before,
            limit=limit,
            wait_seconds=wait_seconds,
        )
        response = yield Call(
            "POST",
            f"/work_pools/{segment(work_pool_name)}/get_scheduled_flow_runs",
            request.model_dump(mode="json"),
        )
        return list_adapter(wp.WorkerFlowRunResponse).validate_json(response.content)

    # --- the processes workers start -------------------------------------------------

    @api
    def heartbeat_flow_run(self, flow_run_id: UUID) -> Op[State | None]:
        """Say the flow run's process is alive; returns the run's current state
        (a Cancelling state means: stop)."""
        response = yield Call("POST", f"/flow_runs/{flow_run_id}/heartbeat")
        return _STATE.validate_json(response.content)
