"""Late runs: Scheduled runs nobody started in time are marked Late."""

from __future__ import annotations

import datetime as dt
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from podium.schemas.states import StateCreate, StateDetails, StateType
from podium.server.database import orm
from podium.server.models.flow_runs import set_flow_run_state
from podium.server.services.base import LoopService

LATE = "Late"
BATCH = 200


def mark_late_runs(session: Session, *, now: dt.datetime, after: dt.timedelta) -> int:
    """Move runs Scheduled for more than ``after`` ago to Scheduled("Late")."""
    query = (
        select(orm.FlowRun.id, orm.FlowRun.next_scheduled_start_time)
        .where(
            orm.FlowRun.state_type == StateType.SCHEDULED.value,
            orm.FlowRun.state_name == "Scheduled",
            orm.FlowRun.next_scheduled_start_time <= now - after,
        )
        .order_by(orm.FlowRun.next_scheduled_start_time)
        .limit(BATCH)
    )
    marked = 0
    late: list[tuple[UUID, dt.datetime | None]] = [(r[0], r[1]) for r in session.execute(query)]
    for run_id, scheduled in late:
        state = StateCreate(
            type=StateType.SCHEDULED,
            name=LATE,
            state_details=StateDetails(scheduled_time=scheduled),
        )
        result = set_flow_run_state(session, run_id, state, now=now)
        marked += result.state is not None and result.state.name == LATE
    return marked


class LateRuns(LoopService):
    """Marks Scheduled runs Late once ``PODIUM_LATE_RUNS_AFTER_SECONDS`` have passed."""

    name = "late_runs"

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        after = dt.timedelta(seconds=self.settings.late_runs_after_seconds)
        return await self.db.write(mark_late_runs, now=now, after=after)
