"""Routes for work pools, their queues and workers, and polling a pool for runs."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from podium.schemas import core
from podium.schemas.work_pools import (
    Worker,
    WorkerFlowRunResponse,
    WorkerHeartbeat,
    WorkerReadRequest,
    WorkerScheduledRunsRequest,
    WorkPool,
    WorkPoolCountRequest,
    WorkPoolCreate,
    WorkPoolReadRequest,
    WorkPoolUpdate,
    WorkQueue,
    WorkQueueCreate,
    WorkQueueReadRequest,
    WorkQueueUpdate,
)
from podium.server.api._polling import NotifierDep, long_poll
from podium.server.api.deps import DbDep
from podium.server.models import work_pools as models
from podium.server.models import workers

router = APIRouter(prefix="/work_pools", tags=["work pools"])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_work_pool(work_pool: WorkPoolCreate, db: DbDep) -> WorkPool:
    """Create a pool with its ``default`` queue; 409 if the name is taken.

    A ``base_job_template`` whose defaults do not satisfy its own variables
    schema is refused (422, naming the variable).
    """

    def _create(session: Session) -> WorkPool:
        return WorkPool.model_validate(models.create_work_pool(session, work_pool))

    return await db.write(_create)


@router.get("/{name}")
async def read_work_pool(name: str, db: DbDep) -> WorkPool:
    return await db.read(lambda s: WorkPool.model_validate(models.read_work_pool(s, name)))


@router.post("/filter")
async def read_work_pools(db: DbDep, request: WorkPoolReadRequest | None = None) -> list[WorkPool]:
    query = request or WorkPoolReadRequest()
    return await db.read(
        lambda s: [WorkPool.model_validate(row) for row in models.read_work_pools(s, query)]
    )


@router.post("/count")
async def count_work_pools(db: DbDep, request: WorkPoolCountRequest | None = None) -> int:
    return await db.read(models.count_work_pools, request or WorkPoolCountRequest())


@router.patch("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def update_work_pool(name: str, work_pool: WorkPoolUpdate, db: DbDep) -> None:
    await db.write(models.update_work_pool, name, work_pool)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_work_pool(name: str, db: DbDep) -> None:
    await db.write(models.delete_work_pool, name)


@router.post("/{name}/get_scheduled_flow_runs")
async def get_scheduled_flow_runs(
    name: str,
    db: DbDep,
    notifier: NotifierDep,
    request: WorkerScheduledRunsRequest | None = None,
) -> list[WorkerFlowRunResponse]:
    """Due runs a worker may start, highest-priority queue first, within every limit.

    With ``wait_seconds``, an empty answer waits until a run is due (long poll).
    The worker claims a run by proposing Pending for it.
    """
    body = request or WorkerScheduledRunsRequest()
    await db.write(workers.mark_polled, name, body.work_queue_names)

    def _read(session: Session) -> list[WorkerFlowRunResponse]:
        due = workers.get_scheduled_flow_runs(
            session,
            name,
            queue_names=body.work_queue_names,
            scheduled_before=body.scheduled_before,
            scheduled_after=body.scheduled_after,
            limit=body.limit,
            now=dt.datetime.now(dt.UTC),
        )
        return [
            WorkerFlowRunResponse(
                work_pool_id=d.work_pool_id,
                work_queue_id=d.work_queue_id,
                flow_run=core.FlowRun.model_validate(d.flow_run),
            )
            for d in due
        ]

    async def _look() -> list[WorkerFlowRunResponse]:
        return await db.read(_read)

    return await long_poll(notifier, _look, body.wait_seconds)


# --- queues ---------------------------------------------------------------------


@router.post("/{name}/queues", status_code=status.HTTP_201_CREATED)
async def create_work_queue(name: str, work_queue: WorkQueueCreate, db: DbDep) -> WorkQueue:
    def _create(session: Session) -> WorkQueue:
        return WorkQueue.model_validate(models.create_work_queue(session, name, work_queue))

    return await db.write(_create)


@router.get("/{name}/queues/{queue_name}")
async def read_work_queue(name: str, queue_name: str, db: DbDep) -> WorkQueue:
    return await db.read(
        lambda s: WorkQueue.model_validate(models.read_work_queue_by_name(s, name, queue_name))
    )


@router.post("/{name}/queues/filter")
async def read_work_queues(
    name: str, db: DbDep, request: WorkQueueReadRequest | None = None
) -> list[WorkQueue]:
    query = request or WorkQueueReadRequest()
    return await db.read(
        lambda s: [
            WorkQueue.model_validate(row)
            for row in models.read_work_queues(s, query, pool_name=name)
        ]
    )


@router.patch("/{name}/queues/{queue_name}", status_code=status.HTTP_204_NO_CONTENT)
async def update_work_queue(
    name: str, queue_name: str, work_queue: WorkQueueUpdate, db: DbDep
) -> None:
    def _update(session: Session) -> None:
        queue = models.read_work_queue_by_name(session, name, queue_name)
        assert queue is not None
        models.update_work_queue(session, queue, work_queue)

    await db.write(_update)


@router.delete("/{name}/queues/{queue_name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_work_queue(name: str, queue_name: str, db: DbDep) -> None:
    def _delete(session: Session) -> None:
        queue = models.read_work_queue_by_name(session, name, queue_name)
        assert queue is not None
        models.delete_work_queue(session, queue)

    await db.write(_delete)


# --- workers --------------------------------------------------------------------


@router.post("/{name}/workers/heartbeat", status_code=status.HTTP_204_NO_CONTENT)
async def worker_heartbeat(name: str, heartbeat: WorkerHeartbeat, db: DbDep) -> None:
    """A worker says it is alive; it is ONLINE until it misses three heartbeats."""
    await db.write(workers.worker_heartbeat, name, heartbeat)


@router.post("/{name}/workers/filter")
async def read_workers(
    name: str, db: DbDep, request: WorkerReadRequest | None = None
) -> list[Worker]:
    query = request or WorkerReadRequest()
    return await db.read(
        lambda s: [Worker.model_validate(row) for row in workers.read_workers(s, name, query)]
    )


@router.delete("/{name}/workers/{worker_name}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_worker(name: str, worker_name: str, db: DbDep) -> None:
    await db.write(workers.delete_worker, name, worker_name)
