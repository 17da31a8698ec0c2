"""Filtered run reads written straight from SQLite's rows to JSON.

A page of runs (up to a thousand, each with its state) is the API's biggest
answer. Through the contract's models each row is decoded (UUIDs, times,
JSON columns), validated into a model and dumped again, which cost several
times the query itself. On SQLite the stored text is already nearly the
answer: a UUID needs its dashes, a timestamp its ``T`` and ``Z``, a JSON
column is embedded as it is (``orjson.Fragment``). :class:`RunJson` builds
those conversions once per schema, from the schema's fields and the table's
column types, so the output is the JSON that dumping the schema would give
(``tests/server/models/test_run_json.py`` checks the two agree). PostgreSQL,
whose driver returns decoded values, goes through the models.
"""

from __future__ import annotations

import datetime as dt
import functools
import typing
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from pydantic import BaseModel, TypeAdapter
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    ColumnElement,
    Interval,
    Select,
    Uuid,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from podium.schemas import core
from podium.schemas._base import PodiumModel
from podium.schemas.states import State
from podium.server.database import orm
from podium.server.database.types import Timestamp
from podium.server.models._runs import read_runs

Convert = Callable[[Any], Any]
RunModel = type[orm.FlowRun] | type[orm.TaskRun]

_EPOCH = dt.datetime(1970, 1, 1)
_ZERO = dt.timedelta(0)


def _uuid(text: str) -> str:
    """``0123...`` (SQLite's 32 hex digits) as ``01234567-89ab-...``."""
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _timestamp(text: str) -> str:
    """``2026-01-02 03:04:05.000006`` as ``2026-01-02T03:04:05.000006Z`` (no zero fraction)."""
    if text.endswith(".000000"):
        return f"{text[:10]}T{text[11:19]}Z"
    return f"{text[:10]}T{text[11:]}Z"


def _interval_seconds(text: str) -> float:
    """SQLAlchemy keeps an interval on SQLite as the epoch plus the interval."""
    return (dt.datetime.fromisoformat(text) - _EPOCH).total_seconds()


def _bool(value: int) -> bool:
    return bool(value)


def _fragment(text: str) -> orjson.Fragment:
    return orjson.Fragment(text)


def _utc_text(value: Any) -> Any:
    """A datetime written by orjson (``+00:00``) in the schema's form (``Z``)."""
    if isinstance(value, str) and value.endswith("+00:00"):
        return value[:-6] + "Z"
    return value


def _is_datetime(annotation: Any) -> bool:
    """``datetime``, optionally annotated (``UtcDateTime``) or in a union with None."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_datetime(typing.get_args(annotation)[0])
    if annotation is dt.datetime:
        return True
    return any(_is_datetime(arg) for arg in typing.get_args(annotation) if arg is not annotation)


def _nested(schema: type[BaseModel]) -> Convert:
    """A JSON column holding a model: its defaults filled in, its datetimes as ``Z``."""
    defaults = schema().model_dump(mode="json")
    times = [name for name, field in schema.model_fields.items() if _is_datetime(field.annotation)]

    def convert(text: str) -> dict[str, Any]:
        values = {**defaults, **orjson.loads(text)}
        for name in times:
            values[name] = _utc_text(values[name])
        return values

    return convert


def _converter(column: Column[Any], annotation: Any) -> Convert | None:
    """How to turn the stored value of ``column`` into the schema's JSON (None: as it is)."""
    kind = column.type
    if isinstance(kind, Uuid):
        return _uuid
    if isinstance(kind, Timestamp):
        return _timestamp
    if isinstance(kind, Interval):
        return _interval_seconds
    if isinstance(kind, Boolean):
        return _bool
    if isinstance(kind, JSON):
        if isinstance(annotation, type) and issubclass(annotation, PodiumModel):
            return _nested(annotation)
        return _fragment
    return None


class _Shape:
    """One schema over one table: per field, where its value comes from.

    A field with a column takes the row's value at ``index`` through its
    converter; a field the table lacks always has its default (``constant``).
    """

    def __init__(self, schema: type[BaseModel], columns: list[Any], offset: int) -> None:
        by_name = {column.name: (offset + i, column) for i, column in enumerate(columns)}
        self.fields: list[tuple[str, int, Convert | None, orjson.Fragment | None]] = []
        for name, field in schema.model_fields.items():
            if name == "state":
                continue
            if name in by_name:
                index, column = by_name[name]
                self.fields.append((name, index, _converter(column, field.annotation), None))
            else:
                default = field.get_default(call_default_factory=True)
                adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)  # type: ignore[arg-type]
                constant = orjson.Fragment(adapter.dump_json(default))
                self.fields.append((name, -1, None, constant))

    def build(self, row: Sequence[Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, index, convert, constant in self.fields:
            if index < 0:
                values[name] = constant
                continue
            value = row[index]
            values[name] = value if convert is None or value is None else convert(value)
        return values


class RunJson:
    """Rows of a run table joined to its state, and their JSON in ``schema``'s shape."""

    def __init__(self, model: RunModel, schema: type[BaseModel], state_schema: type[BaseModel]):
        state_model = orm.FlowRunState if model is orm.FlowRun else orm.TaskRunState
        runs, states = model.__table__, state_model.__table__
        run_columns, state_columns = list(runs.columns), list(states.columns)
        # Raw columns (no result processing): the stored text is what we convert.
        raw = [type_coerce(c, NullType()) for c in [*run_columns, *state_columns]]
        joined = runs.outerjoin(states, states.c.id == runs.c.state_id)
        self.query: Select[Any] = select(*raw).select_from(joined)  # type: ignore[assignment]
        self.id_column = runs.c.id
        self.run = _Shape(schema, run_columns, 0)
        self.state = _Shape(state_schema, state_columns, len(run_columns))
        self.state_id = len(run_columns) + [c.name for c in state_columns].index("id")
        self.with_state = "state" in schema.model_fields
        index = {c.name: i for i, c in enumerate(run_columns)}
        self.total_run_time = index.get("total_run_time")
        self.start_time = index.get("start_time")
        self.expected_start_time = index.get("expected_start_time")
        self.model, self.schema = model, schema

    def build(self, row: Sequence[Any]) -> dict[str, Any]:
        values = self.run.build(row)
        if self.with_state:
            values["state"] = None if row[self.state_id] is None else self.state.build(row)
        if self.total_run_time is not None:
            values["estimated_run_time"] = values["total_run_time"]
            values["estimated_start_time_delta"] = self._start_delta(row)
        return values

    def _start_delta(self, row: Sequence[Any]) -> float:
        assert self.start_time is not None and self.expected_start_time is not None
        started, expected = row[self.start_time], row[self.expected_start_time]
        if started is None or expected is None:
            return 0.0
        delta = dt.datetime.fromisoformat(started) - dt.datetime.fromisoformat(expected)
        return max(delta, _ZERO).total_seconds()

    def read(
        self,
        session: Session,
        where: list[ColumnElement[bool]],
        order_by: tuple[Any, ...],
        *,
        limit: int,
        offset: int,
    ) -> bytes:
        """The runs matching ``where``, ordered, one page of them, as a JSON array."""
        if session.get_bind().dialect.name != "sqlite":
            return self._read_validated(session, where, order_by, limit=limit, offset=offset)
        # The page's ids first, then their rows: sorting ids is much cheaper
        # than sorting every matching row joined to its state.
        page = (
            select(self.id_column)
            .where(*where)
            .order_by(*order_by, self.id_column)
            .limit(limit)
            .offset(offset)
            .correlate(None)
        )
        query = self.query.where(self.id_column.in_(page)).order_by(*order_by, self.id_column)
        rows = session.connection().execute(query).all()
        return orjson.dumps([self.build(row) for row in rows])

    def _read_validated(
        self,
        session: Session,
        where: list[ColumnElement[bool]],
        order_by: tuple[Any, ...],
        *,
        limit: int,
        offset: int,
    ) -> bytes:
        runs = read_runs(session, self.model, where, order_by, limit=limit, offset=offset)
        return self.many.dump_json(self.many.validate_python(runs))

    @functools.cached_property
    def many(self) -> TypeAdapter[list[Any]]:
        return TypeAdapter(list[self.schema])  # type: ignore[name-defined]


@functools.cache
def run_json(model: RunModel) -> RunJson:
    """The converter for a run table, built on first use."""
    schema = core.FlowRun if model is orm.FlowRun else core.TaskRun
    return RunJson(model, schema, State)
