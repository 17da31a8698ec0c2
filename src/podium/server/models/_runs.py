"""Queries that flow runs and task runs share, written once for both tables.

A filtered read returns up to a thousand runs with their current states.
Through the ORM each row costs two mapped objects and an identity-map
entry; :func:`read_runs` runs one Core query instead and returns plain
values, the run's state coming from an outer join as a nested mapping,
ready for the contract's models.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from pydantic import BaseModel
from sqlalchemy import ColumnElement, CursorResult, delete, func, select
from sqlalchemy.orm import Session

from podium.server.database import orm
from podium.server.errors import NotFound

RunModel = type[orm.FlowRun] | type[orm.TaskRun]

_STATE_PREFIX = "state__"


def read_runs(
    session: Session,
    model: RunModel,
    where: list[ColumnElement[bool]],
    order_by: tuple[Any, ...],
    *,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """Runs matching ``where``, each a mapping of its columns plus ``state``."""
    state_model = orm.FlowRunState if model is orm.FlowRun else orm.TaskRunState
    runs = model.__table__
    states = state_model.__table__
    state_columns = [c.label(_STATE_PREFIX + c.name) for c in states.columns]
    query = (
        select(runs, *state_columns)
        .select_from(runs.outerjoin(states, states.c.id == runs.c.state_id))
        .where(*where)
        .order_by(*order_by, runs.c.id)
        .limit(limit)
        .offset(offset)
    )
    names = [c.name for c in runs.columns]
    state_names = [c.name for c in states.columns]
    out = []
    for row in session.execute(query):
        values = tuple(row)
        run = dict(zip(names, values[: len(names)], strict=True))
        state_values = values[len(names) :]
        state = dict(zip(state_names, state_values, strict=True))
        run["state"] = state if state["id"] is not None else None
        out.append(run)
    return out


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
