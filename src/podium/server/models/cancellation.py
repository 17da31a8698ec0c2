"""Cancellation spreads down: a cancelled flow run takes its children with it.

Run after a flow run's transition to Cancelling or Cancelled is accepted, in
the same transaction. Its task runs that have not finished become Cancelled;
its subflow runs (``parent_flow_run_id``, or a parent task run inside it)
become Cancelled, except a subflow from a deployment that is already
Pending or Running elsewhere: that one becomes Cancelling, so its own worker
stops its infrastructure (and the cleanup service finishes it if nobody
does). Each subflow cascades in turn. These are ordinary proposals through
the policy, so a child that is already terminal is left alone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from podium.schemas.responses import SetStateStatus
from podium.schemas.states import TERMINAL_STATES, StateCreate, StateType
from podium.server.database import orm
from podium.server.models import states
from podium.server.models._runs import RunValues

_CANCEL_TRIGGERS = frozenset({StateType.CANCELLING.value, StateType.CANCELLED.value})
_FINISHED = [t.value for t in TERMINAL_STATES]
_ELSEWHERE = frozenset({StateType.PENDING.value, StateType.RUNNING.value})


def _unfinished(column: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
    return or_(column.is_(None), column.not_in(_FINISHED))


def cascade(
    session: Session, run: orm.FlowRun | RunValues, *, now: dt.datetime | None = None
) -> int:
    """Cancel what ``run`` started, if ``run`` is Cancelling or Cancelled; how many."""
    if run.state_type not in _CANCEL_TRIGGERS:
        return 0
    now = now or dt.datetime.now(dt.UTC)
    message = f"Cancelled with its parent flow run {run.id}."
    changed = 0
    tasks = session.execute(
        select(orm.TaskRun)
        .where(orm.TaskRun.flow_run_id == run.id, _unfinished(orm.TaskRun.state_type))
        .with_for_update(of=orm.TaskRun)
    )
    for task in tasks.unique().scalars():
        result = states.set_run_state(
            session,
            "task_run",
            task,
            StateCreate(type=StateType.CANCELLED, message=message),
            initial=states.state_of(task),
            now=now,
        )
        changed += result.status == SetStateStatus.ACCEPT
    session.flush()

    task_ids = select(orm.TaskRun.id).where(orm.TaskRun.flow_run_id == run.id)
    children = session.execute(
        select(orm.FlowRun)
        .where(
            or_(
                orm.FlowRun.parent_flow_run_id == run.id,
                orm.FlowRun.parent_task_run_id.in_(task_ids),
            ),
            orm.FlowRun.id != run.id,
            _unfinished(orm.FlowRun.state_type),
        )
        .with_for_update(of=orm.FlowRun)
    )
    for child in list(children.unique().scalars()):
        if child.state_type == StateType.CANCELLING.value:
            continue
        elsewhere = child.deployment_id is not None and child.state_type in _ELSEWHERE
        target = StateType.CANCELLING if elsewhere else StateType.CANCELLED
        result = states.set_run_state(
            session,
            "flow_run",
            child,
            StateCreate(type=target, message=message),
            initial=states.state_of(child),
            now=now,
        )
        if result.status == SetStateStatus.ACCEPT:
            changed += 1 + cascade(session, child, now=now)
    return changed
