"""Cancellation cleanup: a run left Cancelling too long is Cancelled.

A worker that is asked to cancel a run stops its infrastructure and reports
Cancelled; if the worker is gone, nobody would. Past
``PODIUM_CANCELLING_TIMEOUT_SECONDS`` the run is moved to Cancelled here, and
the cancellation reaches its subflows and task runs as usual.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.schemas.responses import SetStateStatus
from podium.schemas.states import StateCreate, StateType
from podium.server.database import orm
from podium.server.models.flow_runs import set_flow_run_state
from podium.server.services.base import LoopService

BATCH = 200


def finish_stale_cancellations(session: Session, *, now: dt.datetime, timeout: dt.timedelta) -> int:
    query = (
        select(orm.FlowRun.id)
        .where(
            orm.FlowRun.state_type == StateType.CANCELLING.value,
            orm.FlowRun.state_timestamp <= now - timeout,
        )
        .limit(BATCH)
    )
    seconds = int(timeout.total_seconds())
    message = f"Still Cancelling after {seconds}s with nothing reporting back: marked Cancelled."
    done = 0
    for run_id in list(session.execute(query).scalars()):
        result = set_flow_run_state(
            session, run_id, StateCreate(type=StateType.CANCELLED, message=message), now=now
        )
        done += result.status == SetStateStatus.ACCEPT
    return done


class CancellationCleanup(LoopService):
    name = "cancellation_cleanup"

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        timeout = dt.timedelta(seconds=self.settings.cancelling_timeout_seconds)
        return await self.db.write(finish_stale_cancellations, now=now, timeout=timeout)
