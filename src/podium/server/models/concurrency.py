"""Deployment concurrency slots, counted from run states.

A flow run holds a slot of its deployment while it is Pending, Running or
Cancelling, so a run that ends or crashes frees its slot with no bookkeeping.
The counts feed the polls (which hand out no more runs than there are free
slots) and the claim rule :func:`~podium.server.orchestration.policy.secure_deployment_slot`.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from podium.schemas.deployments import ConcurrencyLimitStrategy, ConcurrencyOptions
from podium.server.database import orm
from podium.server.orchestration.policy import ACTIVE_STATES, DeploymentSlots


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
