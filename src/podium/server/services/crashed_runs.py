"""Crash detection: a Running flow run whose process stopped sending heartbeats crashed.

The run's last heartbeat (or, before its first, the time it started running)
older than ``PODIUM_HEARTBEAT_TIMEOUT_SECONDS`` means the process is gone: the
run is proposed Crashed through the ordinary state path, so a run from a
deployment with retries left becomes AwaitingRetry and is picked up again;
its unfinished task runs are marked Crashed too. Concurrency slots are
counted from run states, so they are freed by the same change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from podium.schemas.responses import SetStateStatus
from podium.schemas.states import TERMINAL_STATES, StateCreate, StateType
from podium.server.database import orm
from podium.server.models import states
from podium.server.models.flow_runs import set_flow_run_state
from podium.server.services.base import LoopService

BATCH = 200


def crash_silent_runs(session: Session, *, now: dt.datetime, timeout: dt.timedelta) -> int:
    # The last sign of life is the later of the last heartbeat and the moment
    # the run entered Running (a retry starts afresh; a run that never sent a
    # heartbeat is judged from its start).
    silent = select(orm.FlowRun.id).where(
        orm.FlowRun.state_type == StateType.RUNNING.value,
        orm.FlowRun.state_timestamp <= now - timeout,
        or_(orm.FlowRun.heartbeat.is_(None), orm.FlowRun.heartbeat <= now - timeout),
    )
    crashed = 0
    for run_id in list(session.execute(silent.limit(BATCH)).scalars()):
        seconds = int(timeout.total_seconds())
        message = (
            f"No heartbeat for over {seconds}s: the process running this flow run "
            "stopped (killed, out of memory, or its machine went away)."
        )
        result = set_flow_run_state(
            session, run_id, StateCreate(type=StateType.CRASHED, message=message), now=now
        )
        if result.status == SetStateStatus.ACCEPT:
            crashed += 1
            crashed += _crash_task_runs(session, run_id, message, now)
    return crashed


def _crash_task_runs(session: Session, run_id: object, message: str, now: dt.datetime) -> int:
    finished = [t.value for t in TERMINAL_STATES]
    tasks = session.execute(
        select(orm.TaskRun)
        .where(
            orm.TaskRun.flow_run_id == run_id,
            or_(orm.TaskRun.state_type.is_(None), orm.TaskRun.state_type.not_in(finished)),
        )
        .with_for_update(of=orm.TaskRun)
    )
    count = 0
    for task in tasks.unique().scalars():
        result = states.set_run_state(
            session,
            "task_run",
            task,
            StateCreate(type=StateType.CRASHED, message=message),
            initial=states.state_of(task),
            now=now,
        )
        count += result.status == SetStateStatus.ACCEPT
    return count


class CrashedRuns(LoopService):
    """Marks Running flow runs without a recent heartbeat Crashed."""

    name = "crashed_runs"

    async def run_once(self, now: dt.datetime | None = None) -> int:
        now = now or dt.datetime.now(dt.UTC)
        timeout = dt.timedelta(seconds=self.settings.heartbeat_timeout_seconds)
        return await self.db.write(crash_silent_runs, now=now, timeout=timeout)
