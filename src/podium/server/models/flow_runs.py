"""Queries and writes for flow runs."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from podium._ids import new_uuid
from podium.schemas import actions
from podium.schemas.responses import (
    CountRequest,
    FlowRunReadRequest,
    OrchestrationResult,
    SetStateStatus,
    StateRejectDetails,
)
from podium.schemas.sorting import FlowRunSort
from podium.schemas.states import StateCreate, StateType, state_from_create
from podium.server.database import orm
from podium.server.database.prepared import Prepared
from podium.server.errors import NotFound
from podium.server.models import cancellation, states
from podium.server.models._run_json import run_json
from podium.server.models._runs import (
    RunValues,
    count_runs,
    delete_run,
    read_run,
    read_run_values,
    read_runs,
    update_run,
)
from podium.server.models.concurrency import deployment_slots, work_slots
from podium.server.models.filters import run_scope
from podium.server.models.names import generate_run_name
from podium.server.orchestration.policy import CLAIM_RULES, Transition, judge

M = orm.FlowRun
_SORTS: dict[Any, tuple[Any, ...]] = {
    FlowRunSort.ID_DESC: (M.id.desc(),),
    FlowRunSort.CREATED_DESC: (M.created.desc(),),
    FlowRunSort.START_TIME_ASC: (M.start_time.asc().nulls_last(),),
    FlowRunSort.START_TIME_DESC: (M.start_time.desc().nulls_last(),),
    FlowRunSort.EXPECTED_START_TIME_ASC: (M.expected_start_time.asc(),),
    FlowRunSort.EXPECTED_START_TIME_DESC: (M.expected_start_time.desc(),),
    FlowRunSort.NEXT_SCHEDULED_START_TIME_ASC: (M.next_scheduled_start_time.asc().nulls_last(),),
    FlowRunSort.NAME_ASC: (M.name.asc(),),
    FlowRunSort.NAME_DESC: (M.name.desc(),),
    FlowRunSort.END_TIME_DESC: (M.end_time.desc().nulls_last(),),
}

# Built once, run through the session's connection: building a query and going
# through the ORM's execution path cost more than the lookup itself.
_FLOW_EXISTS = Prepared(select(orm.Flow.id).where(orm.Flow.id == bindparam("flow_id")))
_RUN_BY_KEY = Prepared(
    select(M.id).where(M.flow_id == bindparam("flow_id"), M.idempotency_key == bindparam("key"))
)


def create_flow_run(
    session: Session,
    run: actions.FlowRunCreate,
    *,
    now: dt.datetime | None = None,
    extra: dict[str, Any] | None = None,
) -> tuple[RunValues, bool]:
    """Create a run (Pending unless a state is given); ``True`` if it is new.

    A run with the same flow and ``idempotency_key`` as an existing one is
    not created again: the existing run is returned. ``extra`` sets columns
    the action does not carry (a deployment's version, queue and pool).
    """
    now = now or dt.datetime.now(dt.UTC)
    if _FLOW_EXISTS.first(session, {"flow_id": run.flow_id}) is None:
        raise NotFound.of("Flow", run.flow_id, field="flow_id")
    existing: RunValues | None = None
    if run.idempotency_key is not None:
        found = _RUN_BY_KEY.first(session, {"flow_id": run.flow_id, "key": run.idempotency_key})
        if found is not None:
            existing = read_run_values(session, M, found[0])
    if existing is None and run.id is not None:
        existing = read_run_values(session, M, run.id)
    if existing is not None:
        return existing, False
    values = RunValues(
        id=run.id or new_uuid(),
        created=now,
        updated=now,
        name=run.name or generate_run_name(),
        flow_id=run.flow_id,
        deployment_id=run.deployment_id,
        deployment_version=None,
        flow_version=run.flow_version,
        parameters=run.parameters,
        idempotency_key=run.idempotency_key,
        context=run.context,
        parent_task_run_id=run.parent_task_run_id,
        parent_flow_run_id=run.parent_flow_run_id,
        work_queue_name=run.work_queue_name,
        work_queue_id=None,
        work_pool_name=None,
        job_variables=run.job_variables,
        infrastructure_pid=None,
        auto_scheduled=False,
        heartbeat=None,
        tags=run.tags,
        labels=run.labels,
        empirical_policy=run.empirical_policy.model_dump(mode="json"),
        run_count=0,
        total_run_time=dt.timedelta(0),
        start_time=None,
        end_time=None,
        expected_start_time=None,
        next_scheduled_start_time=None,
        state_id=None,
        state_type=None,
        state_name=None,
        state_timestamp=None,
    )
    values.update(extra or {})
    states.insert_run(
        session, "flow_run", values, run.state or StateCreate(type=StateType.PENDING), now=now
    )
    return values, True


def read_flow_run(session: Session, run_id: UUID) -> orm.FlowRun:
    row: orm.FlowRun = read_run(session, M, run_id)
    return row


def read_flow_runs(session: Session, request: FlowRunReadRequest) -> list[RunValues]:
    """Runs matching the request's filters, as plain mappings (see ``_reads``)."""
    return read_runs(
        session,
        M,
        _scope(request, session.get_bind().dialect.name),
        _SORTS[request.sort],
        limit=request.limit,
        offset=request.offset,
    )


def read_flow_runs_json(session: Session, request: FlowRunReadRequest) -> bytes:
    """The runs :func:`read_flow_runs` finds, as the API's JSON (see ``_run_json``)."""
    return run_json(M).read(
        session,
        _scope(request, session.get_bind().dialect.name),
        _SORTS[request.sort],
        limit=request.limit,
        offset=request.offset,
    )


def count_flow_runs(session: Session, request: CountRequest) -> int:
    return count_runs(session, M, _scope(request, session.get_bind().dialect.name))


def _scope(request: FlowRunReadRequest | CountRequest, dialect: str) -> list:
    return run_scope(
        dialect,
        flows=request.flows,
        flow_runs=request.flow_runs,
        task_runs=request.task_runs,
        deployments=getattr(request, "deployments", None),
        target=M,
    )


def update_flow_run(session: Session, run_id: UUID, update: actions.FlowRunUpdate) -> orm.FlowRun:
    row: orm.FlowRun = update_run(session, M, run_id, update)
    return row


def delete_flow_run(session: Session, run_id: UUID) -> None:
    delete_run(session, M, run_id)


def set_flow_run_state(
    session: Session,
    run_id: UUID,
    state: StateCreate,
    *,
    force: bool = False,
    now: dt.datetime | None = None,
) -> OrchestrationResult:
    """Judge and record a proposed state; a run reaching Cancelling or Cancelled
    takes its subflows and unfinished task runs with it."""
    row = states.lock_run(session, M, run_id)
    if row is None:
        raise NotFound.of("Flow run", run_id)
    now = now or dt.datetime.now(dt.UTC)
    initial = states.state_of(row)
    claimed_with_limits = row.deployment_id is not None or row.work_queue_id is not None
    if state.type == StateType.PENDING and claimed_with_limits and not force:
        claim = _claim_slots(session, row, initial, state, now)
        if isinstance(claim, OrchestrationResult):
            return claim
        state = claim
    result = states.set_run_state(
        session, "flow_run", row, state, initial=initial, force=force, now=now
    )
    if result.status == SetStateStatus.ACCEPT:
        cancellation.cascade(session, row, now=now)
    return result


def _claim_slots(
    session: Session, row: RunValues, initial: Any, state: StateCreate, now: dt.datetime
) -> StateCreate | OrchestrationResult:
    """Judge a claim (Pending) against the concurrency limits of the run's work pool,
    work queue and deployment.

    The slot counts are prefetched here, with the rows locked in the order
    pool, queue, deployment (see ``models.concurrency``); the decision is the
    pure rules :data:`~podium.server.orchestration.policy.CLAIM_RULES`.
    """
    pool = queue = deployment = None
    if row.work_queue_id is not None:
        pool, queue = work_slots(session, row.work_queue_id, lock=True)
    if row.deployment_id is not None:
        deployment = deployment_slots(session, row.deployment_id, lock=True)
    if pool is None and queue is None and deployment is None:
        return state
    transition = Transition(
        kind="flow_run",
        initial=initial,
        proposed=state_from_create(state, now),
        now=now,
        deployment_slots=deployment,
        pool_slots=pool,
        queue_slots=queue,
    )
    verdict = judge(transition, rules=CLAIM_RULES)
    if not verdict.accepted:
        return OrchestrationResult(
            state=verdict.state,
            status=verdict.status,
            details=StateRejectDetails(reason=verdict.reason),
        )
    outcome = verdict.state
    if outcome is None or outcome is transition.proposed:
        return state
    return StateCreate(
        type=outcome.type,
        name=outcome.name,
        message=outcome.message,
        state_details=outcome.state_details,
    )


def heartbeat_flow_run(
    session: Session, run_id: UUID, *, now: dt.datetime | None = None
) -> orm.FlowRun:
    """Record that the process running the flow run is alive."""
    row = read_flow_run(session, run_id)
    row.heartbeat = now or dt.datetime.now(dt.UTC)
    return row
