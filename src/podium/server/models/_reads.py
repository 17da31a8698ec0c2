"""Reading many runs at once without building ORM objects.

A filtered read returns up to a thousand runs with their current states.
Through the ORM each row costs two mapped objects and an identity-map
entry; here one Core query returns plain values, and the run's state comes
from an outer join as a nested mapping, ready for the contract's models.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from podium.server.database import orm

_STATE_PREFIX = "state__"


def read_runs(
    session: Session,
    model: type[orm.FlowRun] | type[orm.TaskRun],
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
