"""Worker status: workers that miss three heartbeats go OFFLINE; pools, queues and
deployments nobody polls any more become NOT_READY."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CursorResult, exists, func, or_, select, update
from sqlalchemy.orm import Session

from podium.server.database import orm
from podium.server.models.work_pools import QUEUE_READY_SECONDS
from podium.server.services.base import LoopService

MISSED_HEARTBEATS = 3


def update_statuses(session: Session, *, now: dt.datetime, default_interval: float) -> int:
    changed = 0
    w = orm.Worker
    interval = func.coalesce(w.heartbeat_interval_seconds, default_interval)
    # Comparing in SQL would need interval arithmetic that differs by dialect;
    # the online workers are few, so they are checked here.
    online = session.execute(
        select(w.id, w.last_heartbeat_time, interval).where(w.status == "ONLINE")
    ).all()
    gone = [
        worker_id
        for worker_id, beat, every in online
        if beat is None or (now - beat).total_seconds() > MISSED_HEARTBEATS * float(every)
    ]
    if gone:
        changed += _count(
            session.execute(update(w).where(w.id.in_(gone)).values(status="OFFLINE", updated=now))
        )
    any_online = exists().where(w.work_pool_id == orm.WorkPool.id, w.status == "ONLINE")
    changed += _count(
        session.execute(
            update(orm.WorkPool)
            .where(orm.WorkPool.is_paused.is_(False), orm.WorkPool.status == "READY", ~any_online)
            .values(status="NOT_READY")
            .execution_options(synchronize_session=False)
        )
    )
    stale = now - dt.timedelta(seconds=QUEUE_READY_SECONDS)
    for model in (orm.WorkQueue, orm.Deployment):
        changed += _count(
            session.execute(
                update(model)
                .where(
                    model.status == "READY",
                    or_(model.last_polled.is_(None), model.last_polled < stale),
                )
                .values(status="NOT_READY")
                .execution_options(synchronize_session=False)
            )
        )
    return changed


def _count(result: Any) -> int:
    return (result.rowcount or 0) if isinstance(result, CursorResult) else 0


class WorkerStatus(LoopService):
    name = "worker_status"

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        return await self.db.write(
            update_statuses, now=now, default_interval=self.settings.worker_heartbeat_seconds
        )
