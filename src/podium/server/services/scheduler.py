"""The scheduler: keeps each active deployment's next runs created ahead of time."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.server.database import orm
from podium.server.models.scheduling import Horizon, schedule_runs
from podium.server.services.base import LoopService

BATCH = 50


def deployments_to_schedule(session: Session) -> list[UUID]:
    """Unpaused deployments with at least one active schedule."""
    active = select(orm.DeploymentSchedule.deployment_id).where(
        orm.DeploymentSchedule.active.is_(True)
    )
    query = (
        select(orm.Deployment.id)
        .where(orm.Deployment.paused.is_(False), orm.Deployment.id.in_(active))
        .order_by(orm.Deployment.id)
    )
    return list(session.execute(query).scalars())


def schedule_deployments(
    session: Session, deployment_ids: list[UUID], *, now: dt.datetime, horizon: Horizon
) -> int:
    rows = session.execute(select(orm.Deployment).where(orm.Deployment.id.in_(deployment_ids)))
    return sum(schedule_runs(session, row, now=now, horizon=horizon) for row in rows.scalars())


class Scheduler(LoopService):
    """Creates the missing Scheduled runs of every active schedule.

    Idempotent: a run's idempotency key is its deployment and time, and the
    database keeps one run per key, so passes may repeat or overlap (two
    replicas during a lease hand-over) without creating a run twice.
    """

    name = "scheduler"

    @property
    def interval(self) -> float:
        return self.settings.scheduler_loop_seconds

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        horizon = Horizon.from_settings(self.settings)
        ids = await self.db.read(deployments_to_schedule)
        created = 0
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            created += await self.db.write(schedule_deployments, batch, now=now, horizon=horizon)
        return created
