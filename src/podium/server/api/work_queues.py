"""Routes for work queues by id, across pools (``/work_pools/{name}/queues`` by name)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status
from sqlalchemy.orm import Session

from podium.schemas.work_pools import (
    WorkQueue,
    WorkQueueCreate,
    WorkQueueReadRequest,
    WorkQueueUpdate,
)
from podium.server.api.deps import DbDep
from podium.server.errors import Invalid
from podium.server.models import work_pools as models

router = APIRouter(prefix="/work_queues", tags=["work queues"])


@router.post("/", status_code=status.HTTP_201_CREATED)
async def create_work_queue(work_queue: WorkQueueCreate, db: DbDep) -> WorkQueue:
    """Create a queue in the pool named by ``work_pool_name``."""
    if work_queue.work_pool_name is None:
        raise Invalid("work_pool_name: is required to create a work queue")
    pool_name = work_queue.work_pool_name

    def _create(session: Session) -> WorkQueue:
        return WorkQueue.model_validate(models.create_work_queue(session, pool_name, work_queue))

    return await db.write(_create)


@router.get("/{id}")
async def read_work_queue(id: UUID, db: DbDep) -> WorkQueue:
    return await db.read(lambda s: WorkQueue.model_validate(models.read_work_queue(s, id)))


@router.post("/filter")
async def read_work_queues(
    db: DbDep, request: WorkQueueReadRequest | None = None
) -> list[WorkQueue]:
    query = request or WorkQueueReadRequest()
    return await db.read(
        lambda s: [WorkQueue.model_validate(row) for row in models.read_work_queues(s, query)]
    )


@router.patch("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def update_work_queue(id: UUID, work_queue: WorkQueueUpdate, db: DbDep) -> None:
    await db.write(lambda s: models.update_work_queue(s, models.read_work_queue(s, id), work_queue))


@router.delete("/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_work_queue(id: UUID, db: DbDep) -> None:
    await db.write(lambda s: models.delete_work_queue(s, models.read_work_queue(s, id)))
