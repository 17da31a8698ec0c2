"""Workers: their heartbeats, and the due runs a worker may take from a pool.

A run occupies a concurrency slot of its deployment, queue and pool while
it is Pending, Running or Cancelling (its infrastructure may still be up);
counts are taken from run states, so a run that ends or crashes frees its
slot without any bookkeeping. A worker claims a run by proposing Pending:
the policy aborts a second Pending, so two workers never both start it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from podium.schemas.states import StateType
from podium.schemas.work_pools import WorkerHeartbeat, WorkerReadRequest, WorkerStatus
from podium.server.database import orm
from podium.server.errors import NotFound
from podium.server.models._sql import upsert
from podium.server.models.concurrency import deployment_free_slots
from podium.server.models.filters import worker_clause
from podium.server.models.work_pools import pool_status, read_work_pool
from podium.server.orchestration.policy import ACTIVE_STATES


def worker_heartbeat(
    session: Session, pool_name: str, beat: WorkerHeartbeat, *, now: dt.datetime | None = None
) -> orm.Worker:
    """Record a worker's heartbeat (creating the worker on its first); it is ONLINE."""
    now = now or dt.datetime.now(dt.UTC)
    pool = read_work_pool(session, pool_name)
    statement = (
        upsert(session, orm.Worker)
        .values(
            name=beat.name,
            work_pool_id=pool.id,
            last_heartbeat_time=now,
            heartbeat_interval_seconds=beat.heartbeat_interval_seconds,
            status=WorkerStatus.ONLINE.value,
            created=now,
            updated=now,
        )
        .on_conflict_do_update(
            index_elements=["work_pool_id", "name"],
            set_={
                "last_heartbeat_time": now,
                "heartbeat_interval_seconds": beat.heartbeat_interval_seconds,
                "status": WorkerStatus.ONLINE.value,
                "updated": now,
            },
        )
        .returning(orm.Worker.id)
    )
    worker_id = session.execute(statement).scalar_one()
    if not pool.is_paused and pool.status != "READY":
        pool.status = "READY"
    worker = session.get(orm.Worker, worker_id, populate_existing=True)
    assert worker is not None
    return worker


def read_workers(session: Session, pool_name: str, request: WorkerReadRequest) -> list[orm.Worker]:
    pool = read_work_pool(session, pool_name)
    query = select(orm.Worker).where(orm.Worker.work_pool_id == pool.id)
    if request.workers is not None:
        query = query.where(worker_clause(request.workers))
    query = (
        query.order_by(orm.Worker.last_heartbeat_time.desc().nulls_last(), orm.Worker.name)
        .limit(request.limit)
        .offset(request.offset)
    )
    return list(session.execute(query).scalars())


def delete_worker(session: Session, pool_name: str, name: str) -> None:
    pool = read_work_pool(session, pool_name)
    row = session.execute(
        select(orm.Worker).where(orm.Worker.work_pool_id == pool.id, orm.Worker.name == name)
    ).scalar()
    if row is None:
        raise NotFound(f"Worker '{name}' was not found in work pool '{pool_name}'.")
    session.delete(row)
    session.flush()
    pool.status = pool_status(session, pool).value


# --- polling for work -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DueRun:
    work_pool_id: UUID
    work_queue_id: UUID
    flow_run: orm.FlowRun


def mark_polled(
    session: Session,
    pool_name: str,
    queue_names: list[str] | None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Record that the pool's queues (and their deployments) were polled just now."""
    now = now or dt.datetime.now(dt.UTC)
    pool = read_work_pool(session, pool_name)
    queues = select(orm.WorkQueue.id).where(orm.WorkQueue.work_pool_id == pool.id)
    if queue_names is not None:
        queues = queues.where(orm.WorkQueue.name.in_(queue_names))
    session.execute(
        update(orm.WorkQueue)
        .where(orm.WorkQueue.id.in_(queues))
        .where(orm.WorkQueue.is_paused.is_(False))
        .values(last_polled=now, status="READY")
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(orm.Deployment)
        .where(orm.Deployment.work_queue_id.in_(queues))
        .values(last_polled=now, status="READY")
        .execution_options(synchronize_session=False)
    )


def get_scheduled_flow_runs(
    session: Session,
    pool_name: str,
    *,
    queue_names: list[str] | None = None,
    scheduled_before: dt.datetime | None = None,
    scheduled_after: dt.datetime | None = None,
    limit: int | None = None,
    now: dt.datetime | None = None,
) -> list[DueRun]:
    """Due runs of a pool, highest-priority queue first, within every concurrency limit.

    Paused pools, queues and deployments give nothing. Each queue gives at
    most its free slots, all queues together at most the pool's, and each
    deployment at most its own; within a queue, the earliest runs come first.
    """
    now = now or dt.datetime.now(dt.UTC)
    before = scheduled_before or now
    pool = read_work_pool(session, pool_name)
    if pool.is_paused:
        return []
    query = select(orm.WorkQueue).where(
        orm.WorkQueue.work_pool_id == pool.id, orm.WorkQueue.is_paused.is_(False)
    )
    if queue_names is not None:
        query = query.where(orm.WorkQueue.name.in_(queue_names))
    queues = list(
        session.execute(query.order_by(orm.WorkQueue.priority, orm.WorkQueue.name))
        .unique()
        .scalars()
    )
    if not queues:
        return []
    all_queue_ids = select(orm.WorkQueue.id).where(orm.WorkQueue.work_pool_id == pool.id)
    busy = Counter(
        dict(
            session.execute(
                select(orm.FlowRun.work_queue_id, func.count())
                .where(
                    orm.FlowRun.work_queue_id.in_(all_queue_ids),
                    orm.FlowRun.state_type.in_(ACTIVE_STATES),
                )
                .group_by(orm.FlowRun.work_queue_id)
            ).all()
        )
    )
    pool_free = _free(pool.concurrency_limit, sum(busy.values()))
    wanted = limit if limit is not None else pool_free
    deployment_free: dict[UUID, float] = {}
    due: list[DueRun] = []
    for queue in queues:
        free = min(_free(queue.concurrency_limit, busy[queue.id]), pool_free, wanted - len(due))
        if free <= 0:
            continue
        for run in _due_in_queue(session, queue.id, before, scheduled_after):
            if free <= 0:
                break
            if run.deployment_id is not None:
                if run.deployment_id not in deployment_free:
                    deployment_free[run.deployment_id] = deployment_free_slots(
                        session, run.deployment_id
                    )
                if deployment_free[run.deployment_id] <= 0:
                    continue
                deployment_free[run.deployment_id] -= 1
            due.append(DueRun(pool.id, queue.id, run))
            free -= 1
            pool_free -= 1
    return due


def _free(limit: int | None, busy: int) -> float:
    return float("inf") if limit is None else max(limit - busy, 0)


def _due_in_queue(
    session: Session, queue_id: UUID, before: dt.datetime, after: dt.datetime | None
) -> list[orm.FlowRun]:
    paused = select(orm.Deployment.id).where(orm.Deployment.paused.is_(True))
    query = select(orm.FlowRun).where(
        orm.FlowRun.work_queue_id == queue_id,
        orm.FlowRun.state_type == StateType.SCHEDULED.value,
        orm.FlowRun.next_scheduled_start_time <= before,
        or_(orm.FlowRun.deployment_id.is_(None), orm.FlowRun.deployment_id.not_in(paused)),
    )
    if after is not None:
        query = query.where(orm.FlowRun.next_scheduled_start_time >= after)
    query = query.order_by(orm.FlowRun.next_scheduled_start_time, orm.FlowRun.id).limit(1000)
    return list(session.execute(query).unique().scalars())
