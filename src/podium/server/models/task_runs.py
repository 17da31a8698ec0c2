"""Queries and writes for task runs, including the engine's batched reports."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.orm import Session

from podium.schemas import actions
from podium.schemas.responses import (
    CountRequest,
    OrchestrationResult,
    TaskRunBatchResult,
    TaskRunReadRequest,
)
from podium.schemas.sorting import TaskRunSort
from podium.schemas.states import State, StateCreate, StateType
from podium.server.database import orm
from podium.server.errors import NotFound
from podium.server.models import states
from podium.server.models.filters import run_scope

M = orm.TaskRun
_SORTS: dict[Any, tuple[Any, ...]] = {
    TaskRunSort.ID_DESC: (M.id.desc(),),
    TaskRunSort.CREATED_DESC: (M.created.desc(),),
    TaskRunSort.EXPECTED_START_TIME_ASC: (M.expected_start_time.asc(),),
    TaskRunSort.EXPECTED_START_TIME_DESC: (M.expected_start_time.desc(),),
    TaskRunSort.NAME_ASC: (M.name.asc(),),
    TaskRunSort.NAME_DESC: (M.name.desc(),),
    TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC: (M.next_scheduled_start_time.asc().nulls_last(),),
    TaskRunSort.END_TIME_DESC: (M.end_time.desc().nulls_last(),),
}


def _new_row(run: actions.TaskRunCreate, now: dt.datetime) -> orm.TaskRun:
    return M(
        id=run.id or uuid4(),
        flow_run_id=run.flow_run_id,
        name=run.name or f"{run.task_key}-{run.dynamic_key}",
        task_key=run.task_key,
        dynamic_key=run.dynamic_key,
        cache_key=run.cache_key,
        cache_expiration=run.cache_expiration,
        task_version=run.task_version,
        empirical_policy=run.empirical_policy.model_dump(mode="json"),
        tags=run.tags,
        labels=run.labels,
        task_inputs={k: [i.model_dump(mode="json") for i in v] for k, v in run.task_inputs.items()},
        flow_run_run_count=run.flow_run_run_count,
        run_count=0,
        total_run_time=dt.timedelta(0),
        created=now,
        updated=now,
    )


def create_task_run(
    session: Session, run: actions.TaskRunCreate, *, now: dt.datetime | None = None
) -> tuple[orm.TaskRun, bool]:
    now = now or dt.datetime.now(dt.UTC)
    if run.flow_run_id is not None and session.get(orm.FlowRun, run.flow_run_id) is None:
        raise NotFound.of("Flow run", run.flow_run_id, field="flow_run_id")
    if run.id is not None:
        existing = session.get(M, run.id)
        if existing is not None:
            return existing, False
    row = _new_row(run, now)
    session.add(row)
    session.flush()
    states.set_run_state(
        session,
        "task_run",
        row,
        run.state or StateCreate(type=StateType.PENDING),
        initial=None,
        now=now,
    )
    session.flush()
    session.refresh(row, ["state"])
    return row, True


def apply_batch(session: Session, batch: actions.TaskRunBatch) -> TaskRunBatchResult:
    """Create the batch's task runs, then apply its state proposals in order.

    Already-known ids are skipped, so a batch sent twice changes nothing the
    second time (a state proposal repeated is judged again and, for terminal
    states, refused as a duplicate).
    """
    now = dt.datetime.now(dt.UTC)
    wanted = [run.id for run in batch.task_runs if run.id is not None]
    known: set[UUID] = set()
    if wanted:
        known = set(session.execute(select(M.id).where(M.id.in_(wanted))).scalars())
    flow_run_ids = {r.flow_run_id for r in batch.task_runs if r.flow_run_id is not None}
    if flow_run_ids:
        present = session.execute(select(orm.FlowRun.id).where(orm.FlowRun.id.in_(flow_run_ids)))
        missing = flow_run_ids - set(present.scalars())
        if missing:
            raise NotFound.of("Flow run", sorted(map(str, missing))[0], field="flow_run_id")

    rows: dict[UUID, orm.TaskRun] = {}
    current: dict[UUID, State | None] = {}
    fresh: list[tuple[orm.TaskRun, StateCreate | None]] = []
    for run in batch.task_runs:
        if run.id is not None and run.id in known:
            continue
        row = _new_row(run, now)
        session.add(row)
        rows[row.id] = row
        fresh.append((row, run.state))
    session.flush()
    for row, first in fresh:
        result = states.set_run_state(
            session,
            "task_run",
            row,
            first or StateCreate(type=StateType.PENDING),
            initial=None,
            now=now,
        )
        current[row.id] = result.state

    results: list[OrchestrationResult] = []
    for proposal in batch.states:
        found = rows.get(proposal.task_run_id)
        if found is None:
            locked = states.lock_run(session, M, proposal.task_run_id)
            if not isinstance(locked, orm.TaskRun):
                raise NotFound.of("Task run", proposal.task_run_id, field="task_run_id")
            found = rows[locked.id] = locked
            current[locked.id] = states.state_of(locked)
        row = found
        result = states.set_run_state(
            session,
            "task_run",
            row,
            proposal.state,
            initial=current[row.id],
            force=proposal.force,
        )
        current[row.id] = result.state
        results.append(result)
    session.flush()
    return TaskRunBatchResult(created=len(fresh), results=results)


def read_task_run(session: Session, run_id: UUID) -> orm.TaskRun:
    row = (session.execute(select(M).where(M.id == run_id))).unique().scalar()
    if row is None:
        raise NotFound.of("Task run", run_id)
    return row


def read_task_runs(session: Session, request: TaskRunReadRequest) -> list[orm.TaskRun]:
    query = (
        select(M)
        .where(*_scope(request, session.get_bind().dialect.name))
        .order_by(*_SORTS[request.sort], M.id)
        .limit(request.limit)
        .offset(request.offset)
    )
    return list((session.execute(query)).unique().scalars())


def count_task_runs(session: Session, request: CountRequest) -> int:
    query = (
        select(func.count()).select_from(M).where(*_scope(request, session.get_bind().dialect.name))
    )
    return int((session.execute(query)).scalar_one())


def _scope(request: TaskRunReadRequest | CountRequest, dialect: str) -> list:
    return run_scope(
        dialect,
        flows=request.flows,
        flow_runs=request.flow_runs,
        task_runs=request.task_runs,
        deployments=getattr(request, "deployments", None),
        target=M,
    )


def update_task_run(session: Session, run_id: UUID, update: actions.TaskRunUpdate) -> orm.TaskRun:
    row = read_task_run(session, run_id)
    for field, value in update.model_dump(exclude_unset=True, mode="json").items():
        setattr(row, field, value)
    return row


def delete_task_run(session: Session, run_id: UUID) -> None:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(M).where(M.id == run_id)
    )
    if result.rowcount == 0:
        raise NotFound.of("Task run", run_id)


def set_task_run_state(
    session: Session, run_id: UUID, state: StateCreate, *, force: bool = False
) -> OrchestrationResult:
    row = states.lock_run(session, M, run_id)
    if row is None:
        raise NotFound.of("Task run", run_id)
    return states.set_run_state(
        session, "task_run", row, state, initial=states.state_of(row), force=force
    )
