"""Setting a run's state: one path for flow runs and task runs.

Reads the run (locked for update on PostgreSQL; SQLite writes are already
serialised), asks the policy for a verdict, and on acceptance records the
new state row and the run's counters and times in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from podium.schemas.core import FlowRunPolicy, TaskRunPolicy
from podium.schemas.responses import (
    OrchestrationResult,
    SetStateStatus,
    StateAbortDetails,
    StateAcceptDetails,
    StateRejectDetails,
    StateWaitDetails,
)
from podium.schemas.states import State, StateCreate, state_from_create
from podium.server.database import orm
from podium.server.orchestration import RunTimes, Transition, Verdict, account, judge
from podium.server.orchestration.policy import RunKind, with_details

RunRow = orm.FlowRun | orm.TaskRun


def state_of(row: RunRow) -> State | None:
    """The run's current state as the contract's model."""
    if row.state is None:
        return None
    return State.model_validate(row.state, from_attributes=True)


def lock_run(
    session: Session, model: type[orm.FlowRun] | type[orm.TaskRun], run_id: UUID
) -> RunRow | None:
    query = select(model).where(model.id == run_id).with_for_update(of=model)
    row = session.execute(query).unique().scalar()
    assert row is None or isinstance(row, orm.FlowRun | orm.TaskRun)
    return row


def _facts(kind: RunKind, row: RunRow) -> tuple[int, float, bool]:
    if kind == "flow_run":
        policy = FlowRunPolicy.model_validate(row.empirical_policy or {})
        from_deployment = isinstance(row, orm.FlowRun) and row.deployment_id is not None
        return policy.retries or 0, float(policy.retry_delay or 0), from_deployment
    task_policy = TaskRunPolicy.model_validate(row.empirical_policy or {})
    delay = task_policy.retry_delay
    first_delay = delay[0] if isinstance(delay, list) and delay else delay
    return task_policy.retries or 0, float(first_delay or 0), False  # type: ignore[arg-type]


def set_run_state(
    session: Session,
    kind: RunKind,
    row: RunRow,
    proposal: StateCreate,
    *,
    initial: State | None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> OrchestrationResult:
    """Judge ``proposal`` for the run in ``row`` and record it if accepted.

    ``initial`` is the run's current state (``state_of(row)`` for a loaded
    row, None for a new one); the caller keeps it current across several
    proposals for one run in one transaction.
    """
    now = now or dt.datetime.now(dt.UTC)
    proposed = state_from_create(proposal, now)
    retries, retry_delay, from_deployment = _facts(kind, row)
    verdict = judge(
        Transition(
            kind=kind,
            initial=initial,
            proposed=proposed,
            now=now,
            run_count=row.run_count,
            retries=retries,
            retry_delay=retry_delay,
            from_deployment=from_deployment,
        ),
        force=force,
    )
    if not verdict.accepted:
        return _result(verdict)
    assert verdict.state is not None
    ids = {"flow_run_id": row.id} if kind == "flow_run" else {"task_run_id": row.id}
    accepted = with_details(verdict.state, **ids)
    _record(session, kind, row, initial, accepted, now)
    return OrchestrationResult(
        state=accepted, status=SetStateStatus.ACCEPT, details=StateAcceptDetails()
    )


def _record(
    session: Session,
    kind: RunKind,
    row: RunRow,
    initial: State | None,
    accepted: State,
    now: dt.datetime,
) -> None:
    values = {
        "id": accepted.id,
        "type": accepted.type.value,
        "name": accepted.name,
        "timestamp": accepted.timestamp,
        "message": accepted.message,
        "state_details": accepted.state_details.model_dump(mode="json"),
        "data": accepted.data,
    }
    if kind == "flow_run":
        session.add(orm.FlowRunState(flow_run_id=row.id, **values))
    else:
        session.add(orm.TaskRunState(task_run_id=row.id, **values))
    times = account(
        RunTimes(
            run_count=row.run_count,
            start_time=row.start_time,
            end_time=row.end_time,
            total_run_time=row.total_run_time or dt.timedelta(0),
            expected_start_time=row.expected_start_time,
            next_scheduled_start_time=row.next_scheduled_start_time,
        ),
        initial,
        accepted,
        now,
    )
    row.state_id = accepted.id
    row.state_type = accepted.type.value
    row.state_name = accepted.name
    row.state_timestamp = accepted.timestamp
    row.run_count = times.run_count
    row.start_time = times.start_time
    row.end_time = times.end_time
    row.total_run_time = times.total_run_time
    row.expected_start_time = times.expected_start_time
    row.next_scheduled_start_time = times.next_scheduled_start_time


def _result(verdict: Verdict) -> OrchestrationResult:
    details: StateRejectDetails | StateWaitDetails | StateAbortDetails
    if verdict.status == SetStateStatus.WAIT:
        details = StateWaitDetails(delay_seconds=verdict.delay_seconds, reason=verdict.reason)
    elif verdict.status == SetStateStatus.ABORT:
        details = StateAbortDetails(reason=verdict.reason)
    else:
        details = StateRejectDetails(reason=verdict.reason)
    return OrchestrationResult(state=verdict.state, status=verdict.status, details=details)


def read_states(
    session: Session, kind: RunKind, run_id: UUID
) -> list[orm.FlowRunState] | list[orm.TaskRunState]:
    query: Select[Any]
    if kind == "flow_run":
        query = (
            select(orm.FlowRunState)
            .where(orm.FlowRunState.flow_run_id == run_id)
            .order_by(orm.FlowRunState.timestamp, orm.FlowRunState.id)
        )
    else:
        query = (
            select(orm.TaskRunState)
            .where(orm.TaskRunState.task_run_id == run_id)
            .order_by(orm.TaskRunState.timestamp, orm.TaskRunState.id)
        )
    return list(session.execute(query).scalars())
