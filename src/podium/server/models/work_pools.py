"""Queries and writes for work pools and their queues.

Every pool has a queue named ``default``, created with it, whose id the pool
keeps as ``default_queue_id``; it cannot be deleted while the pool exists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podium.schemas.work_pools import (
    WorkPoolCountRequest,
    WorkPoolCreate,
    WorkPoolReadRequest,
    WorkPoolStatus,
    WorkPoolUpdate,
    WorkQueueCreate,
    WorkQueueReadRequest,
    WorkQueueStatus,
    WorkQueueUpdate,
)
from podium.server.database import orm
from podium.server.errors import Conflict, Invalid, NotFound
from podium.server.models.filters import work_pool_clause, work_queue_clause
from podium.server.models.job_variables import validate_base_job_template

DEFAULT_QUEUE = "default"


# --- pools ----------------------------------------------------------------------


def create_work_pool(session: Session, pool: WorkPoolCreate) -> orm.WorkPool:
    """Create a pool and its default queue; 409 if the name is taken."""
    validate_base_job_template(pool.base_job_template)
    row = orm.WorkPool(
        name=pool.name,
        description=pool.description,
        type=pool.type,
        base_job_template=pool.base_job_template,
        is_paused=pool.is_paused,
        concurrency_limit=pool.concurrency_limit,
        status=(WorkPoolStatus.PAUSED if pool.is_paused else WorkPoolStatus.NOT_READY).value,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A work pool named '{pool.name}' already exists.") from exc
    queue = orm.WorkQueue(name=DEFAULT_QUEUE, work_pool_id=row.id, priority=1)
    queue.work_pool = row
    session.add(queue)
    session.flush()
    row.default_queue_id = queue.id
    return row


def read_work_pool(session: Session, name: str) -> orm.WorkPool:
    row = session.execute(select(orm.WorkPool).where(orm.WorkPool.name == name)).scalar()
    if row is None:
        raise NotFound.of("Work pool", name, field="name")
    return row


def read_work_pools(session: Session, request: WorkPoolReadRequest) -> list[orm.WorkPool]:
    query = select(orm.WorkPool)
    if request.work_pools is not None:
        query = query.where(work_pool_clause(request.work_pools))
    query = query.order_by(orm.WorkPool.name).limit(request.limit).offset(request.offset)
    return list(session.execute(query).scalars())


def count_work_pools(session: Session, request: WorkPoolCountRequest) -> int:
    query = select(func.count()).select_from(orm.WorkPool)
    if request.work_pools is not None:
        query = query.where(work_pool_clause(request.work_pools))
    return int(session.execute(query).scalar_one())


def update_work_pool(session: Session, name: str, update: WorkPoolUpdate) -> orm.WorkPool:
    row = read_work_pool(session, name)
    values = update.model_dump(exclude_unset=True)
    if values.get("base_job_template") is not None:
        validate_base_job_template(values["base_job_template"])
    for field, value in values.items():
        if field in ("is_paused", "base_job_template") and value is None:
            continue
        setattr(row, field, value)
    if "is_paused" in values and values["is_paused"] is not None:
        row.status = pool_status(session, row).value
    return row


def pool_status(session: Session, pool: orm.WorkPool) -> WorkPoolStatus:
    """PAUSED if paused, READY with at least one online worker, else NOT_READY."""
    if pool.is_paused:
        return WorkPoolStatus.PAUSED
    online = session.execute(
        select(func.count())
        .select_from(orm.Worker)
        .where(orm.Worker.work_pool_id == pool.id, orm.Worker.status == "ONLINE")
    ).scalar_one()
    return WorkPoolStatus.READY if online else WorkPoolStatus.NOT_READY


def delete_work_pool(session: Session, name: str) -> None:
    """Delete a pool with its queues and workers; its deployments lose their queue."""
    row = read_work_pool(session, name)
    session.delete(row)


# --- queues ---------------------------------------------------------------------


def create_work_queue(session: Session, pool_name: str, queue: WorkQueueCreate) -> orm.WorkQueue:
    """Create a queue in a pool; 409 if the pool already has one with this name."""
    pool = read_work_pool(session, pool_name)
    priority = queue.priority
    if priority is None:
        lowest = session.execute(
            select(func.max(orm.WorkQueue.priority)).where(orm.WorkQueue.work_pool_id == pool.id)
        ).scalar()
        priority = (lowest or 0) + 1
    row = orm.WorkQueue(
        name=queue.name,
        description=queue.description,
        is_paused=queue.is_paused,
        concurrency_limit=queue.concurrency_limit,
        priority=priority,
        work_pool_id=pool.id,
        status=(WorkQueueStatus.PAUSED if queue.is_paused else WorkQueueStatus.NOT_READY).value,
    )
    row.work_pool = pool
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"Work pool '{pool_name}' already has a work queue named '{queue.name}'."
        ) from exc
    return row


def read_work_queue(session: Session, queue_id: UUID) -> orm.WorkQueue:
    row = session.get(orm.WorkQueue, queue_id)
    if row is None:
        raise NotFound.of("Work queue", queue_id)
    return row


def read_work_queue_by_name(
    session: Session, pool_name: str, name: str, *, missing_ok: bool = False
) -> orm.WorkQueue | None:
    query = (
        select(orm.WorkQueue)
        .join(orm.WorkPool, orm.WorkPool.id == orm.WorkQueue.work_pool_id)
        .where(orm.WorkPool.name == pool_name, orm.WorkQueue.name == name)
    )
    row = session.execute(query).unique().scalar()
    if row is None and not missing_ok:
        read_work_pool(session, pool_name)  # 404 naming the pool if that is what is missing
        raise NotFound(f"Work queue '{name}' was not found in work pool '{pool_name}'.")
    return row


def ensure_work_queue(session: Session, pool: orm.WorkPool, name: str | None) -> orm.WorkQueue:
    """The pool's queue with this name (created if missing), or its default queue."""
    if name is None:
        if pool.default_queue_id is not None:
            return read_work_queue(session, pool.default_queue_id)
        name = DEFAULT_QUEUE
    existing = read_work_queue_by_name(session, pool.name, name, missing_ok=True)
    if existing is not None:
        return existing
    return create_work_queue(session, pool.name, WorkQueueCreate(name=name))


def read_work_queues(
    session: Session, request: WorkQueueReadRequest, *, pool_name: str | None = None
) -> list[orm.WorkQueue]:
    query = select(orm.WorkQueue)
    if pool_name is not None:
        pool = read_work_pool(session, pool_name)
        query = query.where(orm.WorkQueue.work_pool_id == pool.id)
    if request.work_queues is not None:
        query = query.where(work_queue_clause(request.work_queues))
    query = (
        query.order_by(orm.WorkQueue.priority, orm.WorkQueue.name, orm.WorkQueue.id)
        .limit(request.limit)
        .offset(request.offset)
    )
    return list(session.execute(query).unique().scalars())


def update_work_queue(
    session: Session, queue: orm.WorkQueue, update: WorkQueueUpdate
) -> orm.WorkQueue:
    values: dict[str, Any] = update.model_dump(exclude_unset=True)
    for field, value in values.items():
        if field in ("name", "is_paused", "priority") and value is None:
            continue
        setattr(queue, field, value)
    if values.get("is_paused") is not None:
        queue.status = _queue_status(queue, dt.datetime.now(dt.UTC)).value
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"The work pool already has a work queue named '{queue.name}'.") from exc
    return queue


QUEUE_READY_SECONDS = 60.0


def _queue_status(queue: orm.WorkQueue, now: dt.datetime) -> WorkQueueStatus:
    if queue.is_paused:
        return WorkQueueStatus.PAUSED
    recent = (
        queue.last_polled is not None
        and (now - queue.last_polled).total_seconds() <= QUEUE_READY_SECONDS
    )
    return WorkQueueStatus.READY if recent else WorkQueueStatus.NOT_READY


def delete_work_queue(session: Session, queue: orm.WorkQueue) -> None:
    if queue.work_pool.default_queue_id == queue.id:
        raise Invalid(
            f"Work queue '{queue.name}' is the default queue of work pool "
            f"'{queue.work_pool.name}' and cannot be deleted."
        )
    session.delete(queue)
