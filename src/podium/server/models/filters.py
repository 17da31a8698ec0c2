"""Turn the contract's filters into SQL clauses.

The one place that knows how a filter criterion maps to a column; JSON
array tests (tags) differ between SQLite and PostgreSQL, so builders take
the dialect name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, literal, or_, select, true
from sqlalchemy.orm import InstrumentedAttribute

from podium.schemas import filters as f
from podium.server.database import orm


def _combine(operator: f.Operator, clauses: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    if not clauses:
        return true()
    return and_(*clauses) if operator == f.Operator.and_ else or_(*clauses)


def _ids(column: Any, criteria: f.FilterIds | None) -> Iterable[ColumnElement[bool]]:
    if criteria is None:
        return
    if criteria.any_ is not None:
        yield column.in_(criteria.any_)
    if criteria.not_any_ is not None:
        yield column.not_in(criteria.not_any_)
    if isinstance(criteria, f.FilterOptionalIds) and criteria.is_null_ is not None:
        yield column.is_(None) if criteria.is_null_ else column.is_not(None)


def _names(column: Any, criteria: f.FilterNames | None) -> Iterable[ColumnElement[bool]]:
    if criteria is None:
        return
    if criteria.any_ is not None:
        yield column.in_(criteria.any_)
    if criteria.like_ is not None:
        yield column.ilike(f"%{criteria.like_}%")


def _strings(column: Any, criteria: f.FilterStrings | None) -> Iterable[ColumnElement[bool]]:
    if criteria is not None and criteria.any_ is not None:
        yield column.in_(criteria.any_)


def _times(column: Any, criteria: f.FilterTime | None) -> Iterable[ColumnElement[bool]]:
    if criteria is None:
        return
    if criteria.before_ is not None:
        yield column <= criteria.before_
    if criteria.after_ is not None:
        yield column >= criteria.after_
    if criteria.is_null_ is not None:
        yield column.is_(None) if criteria.is_null_ else column.is_not(None)


def _has_tag(column: InstrumentedAttribute[Any], tag: str, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB  # not loaded for SQLite (start-up)

        return column.op("@>")(func.cast(literal(f'["{_json_escape(tag)}"]'), JSONB))
    each = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(each).where(each.c.value == tag))


def _json_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _tags(
    column: Any, criteria: f.FilterTags | None, dialect: str
) -> Iterable[ColumnElement[bool]]:
    if criteria is None:
        return
    if criteria.all_:
        yield and_(*(_has_tag(column, tag, dialect) for tag in criteria.all_))
    if criteria.any_ is not None:
        if not criteria.any_:
            yield false()
        elif dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import array

            yield column.op("?|")(array(criteria.any_))
        else:
            yield or_(*(_has_tag(column, tag, dialect) for tag in criteria.any_))
    if criteria.is_null_ is not None:
        empty = func.json_array_length(column) == 0
        if dialect == "postgresql":
            empty = func.jsonb_array_length(column) == 0
        yield empty if criteria.is_null_ else ~empty


def _state(model: Any, criteria: f.FilterState | None) -> Iterable[ColumnElement[bool]]:
    if criteria is None:
        return
    clauses: list[ColumnElement[bool]] = []
    if criteria.type is not None:
        if criteria.type.any_ is not None:
            clauses.append(model.state_type.in_([t.value for t in criteria.type.any_]))
        if criteria.type.not_any_ is not None:
            clauses.append(
                or_(
                    model.state_type.is_(None),
                    model.state_type.not_in([t.value for t in criteria.type.not_any_]),
                )
            )
    if criteria.name is not None:
        if criteria.name.any_ is not None:
            clauses.append(model.state_name.in_(criteria.name.any_))
        if criteria.name.not_any_ is not None:
            clauses.append(
                or_(model.state_name.is_(None), model.state_name.not_in(criteria.name.not_any_))
            )
    yield _combine(criteria.operator, clauses)


def flow_clause(criteria: f.FlowFilter, dialect: str) -> ColumnElement[bool]:
    m = orm.Flow
    return _combine(
        criteria.operator,
        [
            *_ids(m.id, criteria.id),
            *_names(m.name, criteria.name),
            *_tags(m.tags, criteria.tags, dialect),
        ],
    )


def flow_run_clause(criteria: f.FlowRunFilter, dialect: str) -> ColumnElement[bool]:
    m = orm.FlowRun
    return _combine(
        criteria.operator,
        [
            *_ids(m.id, criteria.id),
            *_names(m.name, criteria.name),
            *_tags(m.tags, criteria.tags, dialect),
            *_ids(m.flow_id, criteria.flow_id),
            *_ids(m.deployment_id, criteria.deployment_id),
            *_strings(m.work_queue_name, criteria.work_queue_name),
            *_state(m, criteria.state),
            *_strings(m.flow_version, criteria.flow_version),
            *_times(m.start_time, criteria.start_time),
            *_times(m.end_time, criteria.end_time),
            *_times(m.expected_start_time, criteria.expected_start_time),
            *_times(m.next_scheduled_start_time, criteria.next_scheduled_start_time),
            *_ids(m.parent_flow_run_id, criteria.parent_flow_run_id),
            *_ids(m.parent_task_run_id, criteria.parent_task_run_id),
            *_strings(m.idempotency_key, criteria.idempotency_key),
        ],
    )


def task_run_clause(criteria: f.TaskRunFilter, dialect: str) -> ColumnElement[bool]:
    m = orm.TaskRun
    return _combine(
        criteria.operator,
        [
            *_ids(m.id, criteria.id),
            *_names(m.name, criteria.name),
            *_tags(m.tags, criteria.tags, dialect),
            *_strings(m.task_key, criteria.task_key),
            *_state(m, criteria.state),
            *_times(m.start_time, criteria.start_time),
            *_times(m.expected_start_time, criteria.expected_start_time),
            *_ids(m.flow_run_id, criteria.flow_run_id),
        ],
    )


def _bool(column: Any, criteria: f.FilterBool | None) -> Iterable[ColumnElement[bool]]:
    if criteria is not None and criteria.eq_ is not None:
        yield column.is_(True) if criteria.eq_ else column.is_(False)


def deployment_clause(criteria: f.DeploymentFilter, dialect: str) -> ColumnElement[bool]:
    m = orm.Deployment
    clauses = [
        *_ids(m.id, criteria.id),
        *_names(m.name, criteria.name),
        *_bool(m.paused, criteria.paused),
        *_tags(m.tags, criteria.tags, dialect),
        *_strings(m.work_queue_name, criteria.work_queue_name),
        *_strings(m.work_pool_name, criteria.work_pool_name),
    ]
    if criteria.flow_or_deployment_name is not None:
        like = criteria.flow_or_deployment_name.like_
        if like is not None:
            flows = select(orm.Flow.id).where(orm.Flow.name.ilike(f"%{like}%"))
            clauses.append(or_(m.name.ilike(f"%{like}%"), m.flow_id.in_(flows)))
        if criteria.flow_or_deployment_name.any_ is not None:
            names = criteria.flow_or_deployment_name.any_
            flows = select(orm.Flow.id).where(orm.Flow.name.in_(names))
            clauses.append(or_(m.name.in_(names), m.flow_id.in_(flows)))
    return _combine(criteria.operator, clauses)


def work_pool_clause(criteria: f.WorkPoolFilter) -> ColumnElement[bool]:
    m = orm.WorkPool
    return _combine(
        criteria.operator,
        [
            *_ids(m.id, criteria.id),
            *_names(m.name, criteria.name),
            *_strings(m.type, criteria.type),
        ],
    )


def work_queue_clause(criteria: f.WorkQueueFilter) -> ColumnElement[bool]:
    m = orm.WorkQueue
    return _combine(criteria.operator, [*_ids(m.id, criteria.id), *_names(m.name, criteria.name)])


def worker_clause(criteria: f.WorkerFilter) -> ColumnElement[bool]:
    m = orm.Worker
    return _combine(
        criteria.operator,
        [
            *_names(m.name, criteria.name),
            *_times(m.last_heartbeat_time, criteria.last_heartbeat_time),
            *_strings(m.status, criteria.status),
        ],
    )


def log_clause(criteria: f.LogFilter) -> ColumnElement[bool]:
    m = orm.Log
    clauses: list[ColumnElement[bool]] = [
        *_times(m.timestamp, criteria.timestamp),
        *_ids(m.flow_run_id, criteria.flow_run_id),
        *_ids(m.task_run_id, criteria.task_run_id),
    ]
    if criteria.level is not None:
        if criteria.level.ge_ is not None:
            clauses.append(m.level >= criteria.level.ge_)
        if criteria.level.le_ is not None:
            clauses.append(m.level <= criteria.level.le_)
    return _combine(criteria.operator, clauses)


Target = type[orm.Flow] | type[orm.FlowRun] | type[orm.TaskRun]

_SCOPES: dict[tuple[Any, ...], tuple[ColumnElement[bool], ...]] = {}
_SCOPES_SIZE = 512


def run_scope(
    dialect: str,
    *,
    flows: f.FlowFilter | None = None,
    flow_runs: f.FlowRunFilter | None = None,
    task_runs: f.TaskRunFilter | None = None,
    deployments: f.DeploymentFilter | None = None,
    target: Target,
) -> list[ColumnElement[bool]]:
    """Clauses restricting ``target`` by filters on itself and on related objects.

    Related filters become ``EXISTS``/``IN`` sub-queries, so no join changes
    the row count of the target.

    The clauses depend on the filters' values alone, so the same filters get
    the same clause objects back (a bounded memory, emptied when full).
    Building them, and SQLAlchemy's cache key for a new statement around
    them, cost a tenth of a 200-run listing; a statement built from the same
    objects can be kept too (``models._run_json``).
    """
    filters = (flows, flow_runs, task_runs, deployments)
    key = (dialect, target, *(None if x is None else x.model_dump_json() for x in filters))
    found = _SCOPES.get(key)
    if found is None:
        found = tuple(_run_scope(dialect, flows, flow_runs, task_runs, deployments, target))
        if len(_SCOPES) >= _SCOPES_SIZE:
            _SCOPES.clear()
        _SCOPES[key] = found
    return list(found)


def _run_scope(
    dialect: str,
    flows: f.FlowFilter | None,
    flow_runs: f.FlowRunFilter | None,
    task_runs: f.TaskRunFilter | None,
    deployments: f.DeploymentFilter | None,
    target: Target,
) -> list[ColumnElement[bool]]:
    clauses: list[ColumnElement[bool]] = []
    flow_ids = None
    if flows is not None:
        flow_ids = select(orm.Flow.id).where(flow_clause(flows, dialect))
    run_ids = None
    if flow_runs is not None:
        run_ids = select(orm.FlowRun.id).where(flow_run_clause(flow_runs, dialect))
    if deployments is not None:
        deployment_ids = select(orm.Deployment.id).where(deployment_clause(deployments, dialect))
        if target is orm.FlowRun:
            clauses.append(orm.FlowRun.deployment_id.in_(deployment_ids))
        elif target is orm.TaskRun:
            clauses.append(
                orm.TaskRun.flow_run_id.in_(
                    select(orm.FlowRun.id).where(orm.FlowRun.deployment_id.in_(deployment_ids))
                )
            )
    if target is orm.Flow:
        if deployments is not None:
            clauses.append(
                orm.Flow.id.in_(
                    select(orm.Deployment.flow_id).where(deployment_clause(deployments, dialect))
                )
            )
        if flow_ids is not None:
            clauses.append(orm.Flow.id.in_(flow_ids))
        if run_ids is not None:
            clauses.append(
                orm.Flow.id.in_(select(orm.FlowRun.flow_id).where(orm.FlowRun.id.in_(run_ids)))
            )
        if task_runs is not None:
            runs_with_tasks = select(orm.TaskRun.flow_run_id).where(
                task_run_clause(task_runs, dialect)
            )
            clauses.append(
                orm.Flow.id.in_(
                    select(orm.FlowRun.flow_id).where(orm.FlowRun.id.in_(runs_with_tasks))
                )
            )
    elif target is orm.FlowRun:
        if flow_runs is not None:
            clauses.append(flow_run_clause(flow_runs, dialect))
        if flow_ids is not None:
            clauses.append(orm.FlowRun.flow_id.in_(flow_ids))
        if task_runs is not None:
            clauses.append(
                orm.FlowRun.id.in_(
                    select(orm.TaskRun.flow_run_id).where(task_run_clause(task_runs, dialect))
                )
            )
    else:
        if task_runs is not None:
            clauses.append(task_run_clause(task_runs, dialect))
        if run_ids is not None:
            clauses.append(orm.TaskRun.flow_run_id.in_(run_ids))
        if flow_ids is not None:
            clauses.append(
                orm.TaskRun.flow_run_id.in_(
                    select(orm.FlowRun.id).where(orm.FlowRun.flow_id.in_(flow_ids))
                )
            )
    return clauses
