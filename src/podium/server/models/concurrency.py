"""Concurrency slots of deployments, work queues and work pools, counted from run states.

A flow run holds a slot of its deployment, its work queue and that queue's pool
while it is Pending, Running or Cancelling, so a run that ends or crashes frees
its slots with no bookkeeping. The counts feed the polls (which hand out no
more runs than there are free slots) and the claim rules
:func:`~podium.server.orchestration.policy.secure_deployment_slot` and
:func:`~podium.server.orchestration.policy.secure_pool_and_queue_slots`.

On PostgreSQL a claim locks the rows whose limits it checks, so that concurrent
claims are counted one after the other. Every claim takes the locks in the same
order, pool, then queue, then deployment (the order polls update queues and
deployments in), so two claims never wait on each other in a cycle.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from podium.schemas.core import ConcurrencyLimitStrategy, ConcurrencyOptions
from podium.server.database import orm
from podium.server.orchestration.policy import ACTIVE_STATES, DeploymentSlots, WorkSlots


def deployment_slots(
    session: Session, deployment_id: UUID, *, lock: bool = False
) -> DeploymentSlots | None:
    """The deployment's limit, its runs holding a slot and its strategy; ``None`` without
    a limit. ``lock`` holds the deployment row (PostgreSQL) so that concurrent claims of
    its runs are counted one after the other."""
    query = select(orm.Deployment.concurrency_limit, orm.Deployment.concurrency_options).where(
        orm.Deployment.id == deployment_id
    )
    if lock:
        query = query.with_for_update()
    found = session.execute(query).first()
    if found is None or found[0] is None:
        return None
    options = ConcurrencyOptions.model_validate(found[1] or {})
    busy = session.execute(
        select(func.count())
        .select_from(orm.FlowRun)
        .where(
            orm.FlowRun.deployment_id == deployment_id,
            orm.FlowRun.state_type.in_(ACTIVE_STATES),
        )
    ).scalar_one()
    return DeploymentSlots(int(found[0]), int(busy), options.collision_strategy)


def deployment_free_slots(session: Session, deployment_id: UUID) -> float:
    """How many more of the deployment's runs may be handed out now.

    Infinite without a limit, and with CANCEL_NEW: runs beyond the limit are
    handed out and cancelled when claimed, instead of waiting.
    """
    slots = deployment_slots(session, deployment_id)
    if slots is None or slots.strategy == ConcurrencyLimitStrategy.CANCEL_NEW:
        return float("inf")
    return max(slots.limit - slots.busy, 0)


def work_slots(
    session: Session, queue_id: UUID, *, lock: bool = False
) -> tuple[WorkSlots | None, WorkSlots | None]:
    """The (pool, queue) slots of a run in the work queue ``queue_id``: name, limit and
    runs holding a slot; each ``None`` without a limit (both for an unknown queue).

    ``lock`` holds the pool's row, then the queue's (PostgreSQL), each only when it
    has a limit, so that queues and pools without one never serialise claims. The
    lock is ``FOR NO KEY UPDATE``: it does not wait on, nor hold up, rows being
    inserted that point at the pool or queue (workers, queues, deployments).
    """
    found = session.execute(
        select(
            orm.WorkQueue.name,
            orm.WorkQueue.concurrency_limit,
            orm.WorkPool.id,
            orm.WorkPool.name,
            orm.WorkPool.concurrency_limit,
        )
        .join(orm.WorkPool, orm.WorkPool.id == orm.WorkQueue.work_pool_id)
        .where(orm.WorkQueue.id == queue_id)
    ).first()
    if found is None:
        return None, None
    queue_name, queue_limit, pool_id, pool_name, pool_limit = found
    if lock and pool_limit is not None:
        pool_limit = _locked_limit(session, orm.WorkPool, pool_id)
    if lock and queue_limit is not None:
        queue_limit = _locked_limit(session, orm.WorkQueue, queue_id)
    pool = queue = None
    if pool_limit is not None:
        pool_queues = select(orm.WorkQueue.id).where(orm.WorkQueue.work_pool_id == pool_id)
        busy = _active_runs(session, orm.FlowRun.work_queue_id.in_(pool_queues))
        pool = WorkSlots(pool_name, int(pool_limit), busy)
    if queue_limit is not None:
        busy = _active_runs(session, orm.FlowRun.work_queue_id == queue_id)
        queue = WorkSlots(queue_name, int(queue_limit), busy)
    return pool, queue


def _locked_limit(
    session: Session, table: type[orm.WorkPool] | type[orm.WorkQueue], row_id: UUID
) -> int | None:
    """The row's concurrency limit, read with the row locked (its latest committed value)."""
    limit: int | None = session.execute(
        select(table.concurrency_limit).where(table.id == row_id).with_for_update(key_share=True)
    ).scalar()
    return limit


def _active_runs(session: Session, where: Any) -> int:
    count = session.execute(
        select(func.count())
        .select_from(orm.FlowRun)
        .where(where, orm.FlowRun.state_type.in_(ACTIVE_STATES))
    ).scalar_one()
    return int(count)
