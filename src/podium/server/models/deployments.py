"""Queries and writes for deployments, their schedules, and the runs made from them.

Whenever what a deployment would schedule changes (it is created, redeployed,
updated, paused or resumed, or a schedule changes), its auto-scheduled runs
that have not started are deleted and, unless it is paused, created again
from the new definition in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import CursorResult, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from podium.schemas import actions
from podium.schemas.deployments import (
    DeploymentCountRequest,
    DeploymentCreate,
    DeploymentFlowRunCreate,
    DeploymentReadRequest,
    DeploymentScheduleCreate,
    DeploymentScheduleUpdate,
    DeploymentUpdate,
)
from podium.schemas.sorting import DeploymentSort
from podium.schemas.states import StateCreate, StateDetails, StateType
from podium.schemas.work_pools import merge_job_variables
from podium.server.database import orm
from podium.server.errors import Conflict, Invalid, NotFound
from podium.server.models import flow_runs, work_pools
from podium.server.models._runs import RunValues
from podium.server.models.concurrency import deployment_free_slots
from podium.server.models.filters import (
    deployment_clause,
    flow_clause,
    flow_run_clause,
    task_run_clause,
    work_pool_clause,
    work_queue_clause,
)
from podium.server.models.job_variables import (
    merge_parameters,
    validate_job_variables,
    validate_parameters,
)
from podium.server.models.scheduling import Horizon, delete_auto_scheduled_runs, schedule_runs

M = orm.Deployment
_SORTS: dict[Any, tuple[Any, ...]] = {
    DeploymentSort.CREATED_DESC: (M.created.desc(),),
    DeploymentSort.UPDATED_DESC: (M.updated.desc(),),
    DeploymentSort.NAME_ASC: (M.name.asc(),),
    DeploymentSort.NAME_DESC: (M.name.desc(),),
}
_FIELDS = (
    "version description tags labels parameters parameter_openapi_schema "
    "enforce_parameter_schema paused concurrency_limit job_variables entrypoint path pull_steps"
).split()


def create_deployment(
    session: Session, create: DeploymentCreate, *, now: dt.datetime, horizon: Horizon
) -> tuple[orm.Deployment, bool]:
    """Create the deployment, or replace the one with this flow and name; ``True`` if new.

    A redeploy replaces every field it sends; ``schedules`` and ``paused``
    only when sent. Schedules keep their id when their ``slug`` matches.
    """
    if session.get(orm.Flow, create.flow_id) is None:
        raise NotFound.of("Flow", create.flow_id, field="flow_id")
    sent = create.model_fields_set
    existing = session.execute(
        select(M).where(M.flow_id == create.flow_id, M.name == create.name).with_for_update()
    ).scalar()
    row = existing or M(flow_id=create.flow_id, name=create.name, created=now)
    values = create.model_dump(include=set(_FIELDS), mode="json")
    if existing is not None and "paused" not in sent:
        values.pop("paused")
    _apply(session, row, values, create.work_pool_name, create.work_queue_name)
    row.concurrency_options = _options(create.concurrency_options)
    if existing is None or "schedules" in sent:
        _replace_schedules(session, row, create.schedules, now)
    _check_parameters(row)
    if existing is None:
        try:
            with session.begin_nested():
                session.add(row)
                session.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"Deployment '{create.name}' was created concurrently; send it again."
            ) from exc
    else:
        row.updated = now
    _reschedule(session, row, now, horizon)
    return row, existing is None


def _options(options: Any) -> dict[str, Any] | None:
    return None if options is None else options.model_dump(mode="json")


def _apply(
    session: Session,
    row: orm.Deployment,
    values: dict[str, Any],
    pool_name: str | None,
    queue_name: str | None,
) -> None:
    for field, value in values.items():
        setattr(row, field, value)
    row.work_pool_name = pool_name
    row.work_queue_name = queue_name
    row.work_queue_id = None
    if pool_name is not None:
        pool = work_pools.read_work_pool(session, pool_name)
        validate_job_variables(
            pool.base_job_template, row.job_variables or {}, require=False, pool_name=pool.name
        )
        queue = work_pools.ensure_work_queue(session, pool, queue_name)
        row.work_queue_id, row.work_queue_name = queue.id, queue.name


def _check_parameters(row: orm.Deployment) -> None:
    if not row.enforce_parameter_schema:
        return
    validate_parameters(row.parameter_openapi_schema, row.parameters or {}, require=False)
    for schedule in row.schedules:
        validate_parameters(
            row.parameter_openapi_schema,
            merge_parameters(row.parameters, schedule.parameters),
            require=False,
        )


def _replace_schedules(
    session: Session,
    row: orm.Deployment,
    creates: list[DeploymentScheduleCreate],
    now: dt.datetime,
) -> None:
    slugs = [c.slug for c in creates if c.slug is not None]
    if len(slugs) != len(set(slugs)):
        raise Invalid("schedules: each slug may appear once per deployment")
    by_slug = {s.slug: s for s in row.schedules if s.slug is not None}
    kept = []
    for create in creates:
        schedule = by_slug.pop(create.slug, None) if create.slug is not None else None
        schedule = schedule or orm.DeploymentSchedule(created=now)
        _set_schedule(schedule, create.model_dump(mode="json"))
        kept.append(schedule)
    row.schedules = kept


def _set_schedule(row: orm.DeploymentSchedule, values: dict[str, Any]) -> None:
    for field, value in values.items():
        setattr(row, field, value)


def _reschedule(session: Session, row: orm.Deployment, now: dt.datetime, horizon: Horizon) -> None:
    session.flush()
    delete_auto_scheduled_runs(session, row.id)
    schedule_runs(session, row, now=now, horizon=horizon)


def read_deployment(session: Session, deployment_id: UUID) -> orm.Deployment:
    row = session.get(M, deployment_id)
    if row is None:
        raise NotFound.of("Deployment", deployment_id)
    return row


def read_deployment_by_name(session: Session, flow_name: str, name: str) -> orm.Deployment:
    row = session.execute(
        select(M)
        .join(orm.Flow, orm.Flow.id == M.flow_id)
        .where(orm.Flow.name == flow_name, M.name == name)
    ).scalar()
    if row is None:
        raise NotFound(f"Deployment '{flow_name}/{name}' was not found.")
    return row


def _scope(request: DeploymentReadRequest | DeploymentCountRequest, dialect: str) -> list[Any]:
    clauses: list[Any] = []
    if request.deployments is not None:
        clauses.append(deployment_clause(request.deployments, dialect))
    if request.flows is not None:
        clauses.append(
            M.flow_id.in_(select(orm.Flow.id).where(flow_clause(request.flows, dialect)))
        )
    if request.flow_runs is not None:
        runs = select(orm.FlowRun.deployment_id).where(flow_run_clause(request.flow_runs, dialect))
        clauses.append(M.id.in_(runs))
    if request.task_runs is not None:
        tasks = select(orm.TaskRun.flow_run_id).where(task_run_clause(request.task_runs, dialect))
        clauses.append(M.id.in_(select(orm.FlowRun.deployment_id).where(orm.FlowRun.id.in_(tasks))))
    if request.work_pools is not None:
        pools = select(orm.WorkPool.name).where(work_pool_clause(request.work_pools))
        clauses.append(M.work_pool_name.in_(pools))
    if request.work_pool_queues is not None:
        queues = select(orm.WorkQueue.id).where(work_queue_clause(request.work_pool_queues))
        clauses.append(M.work_queue_id.in_(queues))
    return clauses


def read_deployments(session: Session, request: DeploymentReadRequest) -> list[orm.Deployment]:
    query = (
        select(M)
        .where(*_scope(request, session.get_bind().dialect.name))
        .order_by(*_SORTS[request.sort], M.id)
        .limit(request.limit)
        .offset(request.offset)
    )
    return list(session.execute(query).scalars())


def count_deployments(session: Session, request: DeploymentCountRequest) -> int:
    dialect = session.get_bind().dialect.name
    query = select(func.count()).select_from(M).where(*_scope(request, dialect))
    return int(session.execute(query).scalar_one())


def update_deployment(
    session: Session,
    deployment_id: UUID,
    change: DeploymentUpdate,
    *,
    now: dt.datetime,
    horizon: Horizon,
) -> orm.Deployment:
    """Change the fields sent; ``schedules`` replaces all schedules."""
    row = read_deployment(session, deployment_id)
    sent = change.model_fields_set
    values = change.model_dump(include=set(_FIELDS) & sent, mode="json")
    for nullable_only in ("tags", "labels", "parameters", "job_variables", "paused"):
        if values.get(nullable_only, "") is None:
            values.pop(nullable_only)
    if values.get("enforce_parameter_schema", "") is None:
        values.pop("enforce_parameter_schema")
    pool_name = change.work_pool_name if "work_pool_name" in sent else row.work_pool_name
    queue_name = change.work_queue_name if "work_queue_name" in sent else row.work_queue_name
    if "work_pool_name" in sent and "work_queue_name" not in sent:
        queue_name = None  # the new pool's default queue
    _apply(session, row, values, pool_name, queue_name)
    if "concurrency_options" in sent:
        row.concurrency_options = _options(change.concurrency_options)
    if change.schedules is not None:
        _replace_schedules(session, row, change.schedules, now)
    _check_parameters(row)
    row.updated = now
    _reschedule(session, row, now, horizon)
    return row


def delete_deployment(session: Session, deployment_id: UUID) -> None:
    """Delete a deployment and its runs that have not started; other runs stay."""
    delete_auto_scheduled_runs(session, deployment_id)
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(M).where(M.id == deployment_id)
    )
    if result.rowcount == 0:
        raise NotFound.of("Deployment", deployment_id)


def set_paused(
    session: Session, deployment_id: UUID, paused: bool, *, now: dt.datetime, horizon: Horizon
) -> orm.Deployment:
    """Pause (no new runs; unstarted auto-scheduled runs removed) or resume."""
    row = read_deployment(session, deployment_id)
    row.paused = paused
    row.updated = now
    _reschedule(session, row, now, horizon)
    return row


# --- schedules ------------------------------------------------------------------


def create_deployment_schedules(
    session: Session,
    deployment_id: UUID,
    creates: list[DeploymentScheduleCreate],
    *,
    now: dt.datetime,
    horizon: Horizon,
) -> list[orm.DeploymentSchedule]:
    row = read_deployment(session, deployment_id)
    taken = {s.slug for s in row.schedules if s.slug is not None}
    added = []
    for create in creates:
        if create.slug is not None and create.slug in taken:
            raise Conflict(f"Deployment {deployment_id} already has a schedule '{create.slug}'.")
        if create.slug is not None:
            taken.add(create.slug)
        schedule = orm.DeploymentSchedule(created=now)
        _set_schedule(schedule, create.model_dump(mode="json"))
        row.schedules.append(schedule)
        added.append(schedule)
    _check_parameters(row)
    _reschedule(session, row, now, horizon)
    return added


def _schedule_of(
    session: Session, deployment_id: UUID, schedule_id: UUID
) -> orm.DeploymentSchedule:
    row = read_deployment(session, deployment_id)
    for schedule in row.schedules:
        if schedule.id == schedule_id:
            return schedule
    raise NotFound(f"Schedule {schedule_id} was not found on deployment {deployment_id}.")


def update_deployment_schedule(
    session: Session,
    deployment_id: UUID,
    schedule_id: UUID,
    change: DeploymentScheduleUpdate,
    *,
    now: dt.datetime,
    horizon: Horizon,
) -> orm.DeploymentSchedule:
    schedule = _schedule_of(session, deployment_id, schedule_id)
    values = change.model_dump(exclude_unset=True, mode="json")
    _set_schedule(schedule, {k: v for k, v in values.items() if v is not None or k == "slug"})
    schedule.updated = now
    row = read_deployment(session, deployment_id)
    _check_parameters(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(
            f"Deployment {deployment_id} already has a schedule '{change.slug}'."
        ) from exc
    _reschedule(session, row, now, horizon)
    return schedule


def delete_deployment_schedule(
    session: Session, deployment_id: UUID, schedule_id: UUID, *, now: dt.datetime, horizon: Horizon
) -> None:
    schedule = _schedule_of(session, deployment_id, schedule_id)
    row = read_deployment(session, deployment_id)
    row.schedules.remove(schedule)
    _reschedule(session, row, now, horizon)


# --- runs -----------------------------------------------------------------------


def create_flow_run_from_deployment(
    session: Session,
    deployment_id: UUID,
    run: DeploymentFlowRunCreate,
    *,
    now: dt.datetime,
) -> tuple[RunValues, bool]:
    """Create a run of the deployment: its defaults overlaid by what the run gives.

    Parameters are checked against the deployment's parameter schema (unknown
    names, wrong types, missing required values), job variables against the
    pool's template once merged; without a ``state`` the run is Scheduled now.
    """
    row = read_deployment(session, deployment_id)
    parameters = merge_parameters(row.parameters, run.parameters)
    enforce = run.enforce_parameter_schema
    if enforce if enforce is not None else row.enforce_parameter_schema:
        validate_parameters(row.parameter_openapi_schema, parameters, require=True)
    queue_id, queue_name = row.work_queue_id, run.work_queue_name or row.work_queue_name
    if row.work_pool_name is not None:
        pool = work_pools.read_work_pool(session, row.work_pool_name)
        merged = merge_job_variables(pool.base_job_template, row.job_variables, run.job_variables)
        validate_job_variables(pool.base_job_template, merged, require=True, pool_name=pool.name)
        if run.work_queue_name is not None:
            queue = work_pools.read_work_queue_by_name(
                session, pool.name, run.work_queue_name, missing_ok=True
            )
            if queue is None:
                raise Invalid(
                    f"work_queue_name: work pool '{pool.name}' has no queue '{run.work_queue_name}'"
                )
            queue_id = queue.id
    state = run.state or StateCreate(
        type=StateType.SCHEDULED, state_details=StateDetails(scheduled_time=now)
    )
    create = actions.FlowRunCreate(
        flow_id=row.flow_id,
        name=run.name,
        state=state,
        parameters=parameters,
        context=run.context,
        tags=list(dict.fromkeys([*row.tags, *run.tags])),
        labels={**(row.labels or {}), **run.labels},
        idempotency_key=run.idempotency_key,
        parent_task_run_id=run.parent_task_run_id,
        parent_flow_run_id=run.parent_flow_run_id,
        deployment_id=row.id,
        empirical_policy=run.empirical_policy,
        work_queue_name=queue_name,
        job_variables=run.job_variables,
    )
    extra = {
        "deployment_version": row.version,
        "work_queue_id": queue_id,
        "work_pool_name": row.work_pool_name,
    }
    return flow_runs.create_flow_run(session, create, now=now, extra=extra)


def mark_deployments_polled(
    session: Session, deployment_ids: list[UUID], *, now: dt.datetime
) -> None:
    """Record that a runner polled these deployments just now (they are READY)."""
    session.execute(
        update(M)
        .where(M.id.in_(deployment_ids))
        .values(last_polled=now, status="READY")
        .execution_options(synchronize_session=False)
    )


def get_scheduled_flow_runs(
    session: Session,
    deployment_ids: list[UUID],
    *,
    scheduled_before: dt.datetime | None,
    limit: int,
    now: dt.datetime,
) -> list[orm.FlowRun]:
    """Due runs of these (unpaused) deployments, earliest first: what a runner polls.

    A deployment at its concurrency limit gives no more runs, unless its
    collision strategy is CANCEL_NEW: those runs are handed out, and the claim
    (Pending) cancels them.
    """
    query = (
        select(orm.FlowRun)
        .join(M, M.id == orm.FlowRun.deployment_id)
        .where(
            M.id.in_(deployment_ids),
            M.paused.is_(False),
            orm.FlowRun.state_type == StateType.SCHEDULED.value,
            orm.FlowRun.next_scheduled_start_time <= (scheduled_before or now),
        )
        .order_by(orm.FlowRun.next_scheduled_start_time, orm.FlowRun.id)
        .limit(limit)
    )
    free: dict[UUID, float] = {}
    due = []
    for run in session.execute(query).unique().scalars():
        assert run.deployment_id is not None
        if run.deployment_id not in free:
            free[run.deployment_id] = deployment_free_slots(session, run.deployment_id)
        if free[run.deployment_id] <= 0:
            continue
        free[run.deployment_id] -= 1
        due.append(run)
    return due
