"""Queries that flow runs and task runs share, written once for both tables.

A filtered read returns up to a thousand runs with their current states.
Through the ORM each row costs two mapped objects and an identity-map
entry; :func:`read_runs` runs one Core query instead and returns plain
values, the run's state coming from an outer join as a nested mapping,
ready for the contract's models.
"""

from __future__ import annotations

import functools
from collections.abc import Collection
from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import ColumnElement, CursorResult, Select, bindparam, delete, func, select
from sqlalchemy.orm import Session

from podium.server.database import orm
from podium.server.database.prepared import Prepared
from podium.server.errors import NotFound

RunModel = type[orm.FlowRun] | type[orm.TaskRun]

_STATE_PREFIX = "state__"


class RunValues(dict[str, Any]):
    """A run's column values (and ``state``, a nested mapping), readable as attributes.

    What the hot write paths work on instead of ORM rows: a run read with
    :func:`read_run_values`, or one being created. The policy and
    :func:`~podium.server.models.states.decide` read it like a row.
    """

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@functools.cache
def _select_runs(model: RunModel) -> tuple[Select[Any], list[str], list[str]]:
    """The run table outer-joined to its current state, with both sets of column names."""
    state_model = orm.FlowRunState if model is orm.FlowRun else orm.TaskRunState
    runs = model.__table__
    states = state_model.__table__
    state_columns = [c.label(_STATE_PREFIX + c.name) for c in states.columns]
    query = select(runs, *state_columns).select_from(
        runs.outerjoin(states, states.c.id == runs.c.state_id)
    )
    return query, [c.name for c in runs.columns], [c.name for c in states.columns]


@functools.cache
def _select_run(model: RunModel, lock: bool) -> Prepared:
    """One run by the ``run_id`` parameter: built once, so each read only binds it."""
    query = _select_runs(model)[0].where(model.__table__.c.id == bindparam("run_id"))
    return Prepared(query.with_for_update(of=model.__table__) if lock else query)


def _as_values(row: Any, names: list[str], state_names: list[str]) -> RunValues:
    values = tuple(row)
    run = RunValues(zip(names, values[: len(names)], strict=True))
    state = dict(zip(state_names, values[len(names) :], strict=True))
    run["state"] = state if state["id"] is not None else None
    return run


def page_order(order_by: tuple[Any, ...], id_column: Any) -> tuple[Any, ...]:
    """``order_by`` made total with the run's id, unless it already ends with the id.

    A second ``id`` key after ``id DESC`` changes nothing in the order but
    keeps SQLite from reading an index on ``(state_type, id)`` in order.
    """
    last = getattr(order_by[-1], "element", None) if order_by else None
    if last is not None and last.compare(id_column):
        return order_by
    return (*order_by, id_column)


def read_runs(
    session: Session,
    model: RunModel,
    where: list[ColumnElement[bool]],
    order_by: tuple[Any, ...],
    *,
    limit: int,
    offset: int,
) -> list[RunValues]:
    """Runs matching ``where``, each a mapping of its columns plus ``state``."""
    query, names, state_names = _select_runs(model)
    runs = model.__table__
    query = query.where(*where).order_by(*page_order(order_by, runs.c.id))
    query = query.limit(limit).offset(offset)
    return [_as_values(row, names, state_names) for row in session.execute(query)]


def read_run_values(
    session: Session, model: RunModel, run_id: UUID, *, lock: bool = False
) -> RunValues | None:
    """One run as :class:`RunValues`, or None; ``lock`` takes its row lock (PostgreSQL)."""
    _, names, state_names = _select_runs(model)
    row = _select_run(model, lock).first(session, {"run_id": run_id})
    return None if row is None else _as_values(row, names, state_names)


def read_runs_by_id(
    session: Session, model: RunModel, run_ids: Collection[UUID], *, lock: bool = False
) -> dict[UUID, RunValues]:
    """The runs among ``run_ids`` that exist, by id; ``lock`` takes their row locks."""
    query, names, state_names = _select_runs(model)
    table = model.__table__
    query = query.where(table.c.id.in_(list(run_ids)))
    if lock:
        query = query.with_for_update(of=table)
    found = (_as_values(row, names, state_names) for row in session.execute(query))
    return {run.id: run for run in found}


def _label(model: RunModel) -> str:
    return "Flow run" if model is orm.FlowRun else "Task run"


def read_run(session: Session, model: RunModel, run_id: UUID) -> Any:
    """One run with its state; 404 naming the id if there is none."""
    row = session.execute(select(model).where(model.id == run_id)).unique().scalar()
    if row is None:
        raise NotFound.of(_label(model), run_id)
    return row


def count_runs(session: Session, model: RunModel, where: list[ColumnElement[bool]]) -> int:
    query = select(func.count()).select_from(model).where(*where)
    return int(session.execute(query).scalar_one())


def update_run(session: Session, model: RunModel, run_id: UUID, update: BaseModel) -> Any:
    """Set the fields the update names (and only those)."""
    row = read_run(session, model, run_id)
    for field, value in update.model_dump(exclude_unset=True, mode="json").items():
        setattr(row, field, value)
    return row


def delete_run(session: Session, model: RunModel, run_id: UUID) -> None:
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        delete(model).where(model.id == run_id)
    )
    if result.rowcount == 0:
        raise NotFound.of(_label(model), run_id)
