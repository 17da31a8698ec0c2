"""Filtered run reads written straight from SQLite's rows to JSON.

A page of runs (up to a thousand, each with its state) is the API's biggest
answer. Through the contract's models each row is decoded (UUIDs, times,
JSON columns), validated into a model and dumped again, which cost several
times the query itself. On SQLite the stored text is already nearly the
answer: a UUID needs its dashes, a timestamp is parsed in C
(``fromisoformat``) and written by orjson in the schema's form, a JSON
column is embedded as it is (``orjson.Fragment``). :class:`RunJson` writes,
once per schema, a function that turns one row into the schema's fields
(from the schema's fields and the table's column types), so the output is
the JSON that dumping the schema would give (``tests/server/models/
test_run_json.py`` checks the two agree). PostgreSQL, whose driver returns
decoded values, goes through the models.

Why a generated function: a loop over per-field converters spent most of its
time on the loop itself (about fifty fields a row, a thousand rows a page).
Building the same work as one dict display, with the conversions written in
line, halves the time per row. Making SQLite write the JSON instead was
slower still: its string functions cost more per field than Python's.
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
from podium.server.database.types import JSONOrJSONB, Timestamp
from podium.server.models._runs import page_order, read_runs

RunModel = type[orm.FlowRun] | type[orm.TaskRun]
Build = Callable[[Sequence[Any]], dict[str, Any]]

_COMPUTED = ("estimated_run_time", "estimated_start_time_delta")
_NESTED_CACHE_SIZE = 4096
_QUERIES_SIZE = 512
# Stored times are naive UTC; orjson writes them as the schema does (``Z``,
# no fraction when it is zero).
_DUMP_OPTIONS = orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


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


def _nested(schema: type[BaseModel]) -> Callable[[str], orjson.Fragment]:
    """A JSON column holding a model: its defaults filled in, its datetimes as ``Z``.

    The result depends on the stored text alone, so it is remembered: most
    runs share their policy's text, and a listing polled again meets the
    same states. The memory is bounded by emptying it when full.
    """
    defaults = schema().model_dump(mode="json")
    times = [name for name, field in schema.model_fields.items() if _is_datetime(field.annotation)]
    seen: dict[str, orjson.Fragment] = {}

    def convert(text: str) -> orjson.Fragment:
        found = seen.get(text)
        if found is None:
            values = {**defaults, **orjson.loads(text)}
            for name in times:
                values[name] = _utc_text(values[name])
            found = orjson.Fragment(orjson.dumps(values))
            if len(seen) >= _NESTED_CACHE_SIZE:
                seen.clear()
            seen[text] = found
        return found

    return convert


class _Writer:
    """The source of one generated builder: per field, a Python expression of the row."""

    def __init__(self) -> None:
        self.names: dict[str, Any] = {
            "Fragment": orjson.Fragment,
            "parse_time": dt.datetime.fromisoformat,
            "EPOCH": dt.datetime(1970, 1, 1),
            "ZERO": dt.timedelta(0),
        }
        self.columns: list[ColumnElement[Any]] = []
        self.locals: list[str] = []

    def let(self, name: str, expression: str) -> str:
        """Compute ``expression`` once per row, before the fields, as ``name``."""
        self.locals.append(f"{name} = {expression}")
        return name

    def column(self, column: ColumnElement[Any]) -> str:
        """The local variable holding ``column``'s stored value in the row."""
        # By identity: ``==`` on columns builds SQL.
        found = [i for i, known in enumerate(self.columns) if known is column]
        if not found:
            self.columns.append(column)
        return f"v{found[0] if found else len(self.columns) - 1}"

    def constant(self, value: Any) -> str:
        name = f"k{len(self.names)}"
        self.names[name] = value
        return name

    def value(self, column: ColumnElement[Any], annotation: Any) -> str:
        """The expression turning ``column``'s stored value into the schema's JSON value."""
        v, kind = self.column(column), column.type
        if isinstance(kind, Uuid):  # SQLite keeps 32 hex digits
            text = f'f"{{{v}[:8]}}-{{{v}[8:12]}}-{{{v}[12:16]}}-{{{v}[16:20]}}-{{{v}[20:]}}"'
        elif isinstance(kind, Timestamp):  # ``2026-01-02 03:04:05.000006``, naive UTC
            text = f"parse_time({v})"
        elif isinstance(kind, Interval):  # kept on SQLite as the epoch plus the interval
            text = f"(parse_time({v}) - EPOCH).total_seconds()"
        elif isinstance(kind, Boolean):
            text = f"bool({v})"
        elif isinstance(kind, JSON | JSONOrJSONB):
            if isinstance(annotation, type) and issubclass(annotation, PodiumModel):
                text = f"{self.constant(_nested(annotation))}({v})"
            else:
                text = f"Fragment({v})"
        else:
            return v
        return f"(None if {v} is None else {text})"

    def default(self, field: Any) -> str:
        """A field the table lacks: its default, written once."""
        adapter: TypeAdapter[Any] = TypeAdapter(field.annotation)
        default = field.get_default(call_default_factory=True)
        return self.constant(orjson.Fragment(adapter.dump_json(default)))

    def fields(
        self,
        schema: type[BaseModel],
        table: Any,
        given: dict[str, str],
        computed: dict[str, str] | None = None,
    ) -> str:
        """A dict display with ``schema``'s fields, in order, then its computed fields."""
        items = []
        for name, field in schema.model_fields.items():
            if name in given:
                expression = given[name]
            elif name in table.c:
                expression = self.value(table.c[name], field.annotation)
            else:
                expression = self.default(field)
            items.append(f"{name!r}: {expression}")
        for name in schema.model_computed_fields:
            items.append(f"{name!r}: {(computed or {})[name]}")
        return "{" + ", ".join(items) + "}"


class RunJson:
    """Rows of a run table joined to its state, and their JSON in ``schema``'s shape."""

    def __init__(self, model: RunModel, schema: type[BaseModel], state_schema: type[BaseModel]):
        state_model = orm.FlowRunState if model is orm.FlowRun else orm.TaskRunState
        runs, states = model.__table__, state_model.__table__
        unknown = set(schema.model_computed_fields) - set(_COMPUTED)
        if unknown:
            raise TypeError(
                f"{schema.__name__} has computed fields RunJson cannot write: {unknown}"
            )
        writer = _Writer()
        # Values used twice are computed once. The state's id is the run's
        # ``state_id`` (the join's key); its type, never null, says whether
        # the state row exists.
        given = {
            name: writer.let(name, writer.value(runs.c[name], None))
            for name in ("state_id", "start_time", "expected_start_time", "total_run_time")
        }
        state = writer.fields(state_schema, states, {"id": "state_id"})
        given["state"] = f"(None if {writer.column(states.c.type)} is None else {state})"
        late = "max(start_time - expected_start_time, ZERO).total_seconds()"
        computed = {
            "estimated_run_time": "total_run_time",
            "estimated_start_time_delta": (
                f"(0.0 if start_time is None or expected_start_time is None else {late})"
            ),
        }
        body = writer.fields(schema, runs, given, computed)
        variables = ", ".join(f"v{i}" for i in range(len(writer.columns)))
        lines = [f"{variables}, = row", *writer.locals, f"return {body}"]
        source = "def build(row):\n" + "".join(f"    {line}\n" for line in lines)
        exec(source, writer.names)  # the builder described in the module docstring
        self.build: Build = writer.names["build"]
        self.source = source  # the builder's text, to read when a listing looks wrong
        # Raw columns (no result processing): the stored text is what we convert.
        raw = [type_coerce(c, NullType()) for c in writer.columns]
        joined = runs.outerjoin(states, states.c.id == runs.c.state_id)
        self.query: Select[Any] = select(*raw).select_from(joined)  # type: ignore[assignment]
        self.id_column = runs.c.id
        self._queries: dict[tuple[Any, ...], tuple[tuple[Any, ...], Select[Any]]] = {}
        self.model, self.schema = model, schema

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
        rows = session.connection().execute(self._query(where, order_by, limit, offset)).all()
        build = self.build
        return orjson.dumps([build(row) for row in rows], option=_DUMP_OPTIONS)

    def _query(
        self, where: list[ColumnElement[bool]], order_by: tuple[Any, ...], limit: int, offset: int
    ) -> Select[Any]:
        """The page's ids first, then their rows, kept for clauses seen before.

        Sorting ids is much cheaper than sorting every matching row joined
        to its state. ``run_scope`` gives the same clause objects for the
        same filters, so a statement is found again by their identities (the
        entry holds them, so no other object can take their ids) and
        SQLAlchemy finds its cache key already computed.
        """
        key = (*map(id, where), None, *map(id, order_by), limit, offset)
        found = self._queries.get(key)
        if found is not None:
            return found[1]
        order = page_order(order_by, self.id_column)
        page = (
            select(self.id_column)
            .where(*where)
            .order_by(*order)
            .limit(limit)
            .offset(offset)
            .correlate(None)
        )
        query = self.query.where(self.id_column.in_(page)).order_by(*order)
        if len(self._queries) >= _QUERIES_SIZE:
            self._queries.clear()
        self._queries[key] = ((*where, *order_by), query)
        return query

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
