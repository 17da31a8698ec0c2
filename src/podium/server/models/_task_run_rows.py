"""The rows a task-run batch writes: its new runs and the states it accepts.

A batch from the engine holds thousands of runs, each with two states. Through
SQLAlchemy's typed inserts every value of every row goes through its column
type's processing (UUIDs, timestamps, JSON, intervals), which cost more than
deciding the states. On SQLite the rows are built here already in stored form,
the same text the column types write (``Timestamp``'s naive UTC text, UUIDs as
32 hex digits, compact JSON, SQLAlchemy's own interval), and each table gets
one prepared ``executemany``. PostgreSQL keeps the typed Core inserts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from podium.schemas import actions
from podium.schemas.states import State
from podium.server.database import orm
from podium.server.database.types import json_dumps, sqlite_timestamp
from podium.server.models.states import state_row
from podium.server.orchestration import RunTimes

FLOW_RUN_TABLE = cast(Table, orm.FlowRun.__table__)
TASK_RUN_TABLE = cast(Table, orm.TaskRun.__table__)
TASK_RUN_STATE_TABLE = cast(Table, orm.TaskRunState.__table__)

_NO_TIME = dt.timedelta(0)


class NewRun:
    """A task run a batch creates: its record, and its columns as its states change.

    :func:`~podium.server.models.states.decide` reads it like a run row.
    """

    __slots__ = (
        "empirical_policy",
        "end_time",
        "expected_start_time",
        "id",
        "next_scheduled_start_time",
        "policy_json",
        "record",
        "run_count",
        "start_time",
        "state",
        "total_run_time",
    )

    def __init__(
        self, record: actions.TaskRunCreate, run_id: UUID, policy: tuple[dict[str, Any], str]
    ) -> None:
        self.record = record
        self.id = run_id
        self.empirical_policy, self.policy_json = policy
        self.run_count = 0
        self.start_time: dt.datetime | None = None
        self.end_time: dt.datetime | None = None
        self.total_run_time = _NO_TIME
        self.expected_start_time: dt.datetime | None = None
        self.next_scheduled_start_time: dt.datetime | None = None
        self.state: State | None = None

    def take(self, state: State, times: RunTimes) -> None:
        """Record an accepted state and the counters and times it gives the run."""
        self.state = state
        (
            self.run_count,
            self.start_time,
            self.end_time,
            self.total_run_time,
            self.expected_start_time,
            self.next_scheduled_start_time,
        ) = times


class Policies:
    """Each distinct retry policy of a batch as stored JSON, computed once.

    The runs of one task share their policy; dumping it per run cost more
    than the rest of building the run's row.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[Any, ...], tuple[dict[str, Any], str]] = {}

    def of(self, record: actions.TaskRunCreate) -> tuple[dict[str, Any], str]:
        policy = record.empirical_policy
        # By text: equal floats may still be written differently (0.0, -0.0).
        key = (policy.retries, repr(policy.retry_delay), repr(policy.retry_jitter_factor))
        found = self._seen.get(key)
        if found is None:
            dumped = policy.model_dump(mode="json")
            found = self._seen[key] = (dumped, json_dumps(dumped))
        return found


def present_ids(session: Session, table: Table, ids: Collection[UUID]) -> set[UUID]:
    """The ids among ``ids`` that ``table`` holds."""
    if not ids:
        return set()
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        column = table.c.id
        return set(connection.execute(select(column).where(column.in_(list(ids)))).scalars())
    # Stored ids are 32 hex digits: ask in that form and compare in it, instead
    # of converting every parameter and every answer through the UUID type.
    by_hex = {run_id.hex: run_id for run_id in ids}
    found: set[UUID] = set()
    hexes = list(by_hex)
    for start in range(0, len(hexes), _MAX_PARAMETERS):
        chunk = hexes[start : start + _MAX_PARAMETERS]
        query = f"SELECT id FROM {table.name} WHERE id IN ({', '.join('?' * len(chunk))})"
        found.update(by_hex[row[0]] for row in connection.exec_driver_sql(query, tuple(chunk)))
    return found


# Below SQLite's limit on the parameters of one statement (32766 since 3.32).
_MAX_PARAMETERS = 10_000


def write_rows(
    session: Session,
    runs: Iterable[NewRun],
    states: list[tuple[UUID, State]],
    now: dt.datetime,
) -> None:
    """Insert the batch's new runs, then the states it accepted (``(run id, state)``)."""
    if session.get_bind().dialect.name == "sqlite":
        _write_sqlite(session, runs, states, now)
    else:
        _write_typed(session, runs, states, now)


# --- the typed path (PostgreSQL) ------------------------------------------------


def _write_typed(
    session: Session, runs: Iterable[NewRun], states: list[tuple[UUID, State]], now: dt.datetime
) -> None:
    # Core inserts (one executemany each): the ORM's bulk path adds per-row
    # bookkeeping that a batch of thousands of plain rows does not need.
    rows = [run_values(run, now) for run in runs]
    if rows:
        session.execute(insert(TASK_RUN_TABLE), rows)
    if states:
        session.execute(insert(TASK_RUN_STATE_TABLE), [state_row("task_run", *s) for s in states])


def run_values(run: NewRun, now: dt.datetime) -> dict[str, Any]:
    """The new run's row, by column, as the column types take it."""
    record, state = run.record, run.state
    return {
        "id": run.id,
        "flow_run_id": record.flow_run_id,
        "name": _name(record),
        "task_key": record.task_key,
        "dynamic_key": record.dynamic_key,
        "cache_key": record.cache_key,
        "cache_expiration": record.cache_expiration,
        "task_version": record.task_version,
        "empirical_policy": run.empirical_policy,
        "tags": record.tags,
        "labels": record.labels,
        "task_inputs": _task_inputs(record),
        "flow_run_run_count": record.flow_run_run_count,
        "run_count": run.run_count,
        "total_run_time": run.total_run_time,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "expected_start_time": run.expected_start_time,
        "next_scheduled_start_time": run.next_scheduled_start_time,
        "created": now,
        "updated": now,
        "state_id": None if state is None else state.id,
        "state_type": None if state is None else state.type.value,
        "state_name": None if state is None else state.name,
        "state_timestamp": None if state is None else state.timestamp,
    }


def _name(record: actions.TaskRunCreate) -> str:
    return record.name or f"{record.task_key}-{record.dynamic_key}"


def _task_inputs(record: actions.TaskRunCreate) -> dict[str, Any]:
    return {k: [i.model_dump(mode="json") for i in v] for k, v in record.task_inputs.items()}


# --- the stored-form path (SQLite) ----------------------------------------------

_RUN_COLUMNS = (
    "id",
    "flow_run_id",
    "name",
    "task_key",
    "dynamic_key",
    "cache_key",
    "cache_expiration",
    "task_version",
    "empirical_policy",
    "tags",
    "labels",
    "task_inputs",
    "flow_run_run_count",
    "run_count",
    "total_run_time",
    "start_time",
    "end_time",
    "expected_start_time",
    "next_scheduled_start_time",
    "created",
    "updated",
    "state_id",
    "state_type",
    "state_name",
    "state_timestamp",
)
_STATE_COLUMNS = (
    "task_run_id",
    "id",
    "type",
    "name",
    "timestamp",
    "message",
    "state_details",
    "data",
)


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


_INSERT_RUN = _insert_sql(TASK_RUN_TABLE.name, _RUN_COLUMNS)
_INSERT_STATE = _insert_sql(TASK_RUN_STATE_TABLE.name, _STATE_COLUMNS)


def _json(value: Any) -> str:
    # Empty collections are the common case; their JSON is a constant.
    return json_dumps(value) if value else ("[]" if isinstance(value, list) else "{}")


class _Texts:
    """Stored text of the batch's timestamps: a run's times are its states' times."""

    def __init__(self) -> None:
        self._seen: dict[dt.datetime, str] = {}

    def of(self, value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        text = self._seen.get(value)
        if text is None:
            # Keyed by instant: equal datetimes in other zones store the same text.
            text = self._seen[value] = sqlite_timestamp(value)
        return text


def _write_sqlite(
    session: Session, runs: Iterable[NewRun], states: list[tuple[UUID, State]], now: dt.datetime
) -> None:
    connection = session.connection()
    dialect = connection.dialect
    # SQLAlchemy's own processor for the dialect: an interval is a datetime after the epoch.
    interval = TASK_RUN_TABLE.c.total_run_time.type.dialect_impl(dialect).bind_processor(dialect)
    assert interval is not None
    zero_interval = interval(_NO_TIME)
    texts = _Texts()
    created = texts.of(now)
    rows = []
    for run in runs:
        record, state = run.record, run.state
        flow_run_id = record.flow_run_id
        total = run.total_run_time
        rows.append(
            (
                run.id.hex,
                None if flow_run_id is None else flow_run_id.hex,
                _name(record),
                record.task_key,
                record.dynamic_key,
                record.cache_key,
                texts.of(record.cache_expiration),
                record.task_version,
                run.policy_json,
                _json(record.tags),
                _json(record.labels),
                _json(_task_inputs(record)) if record.task_inputs else "{}",
                record.flow_run_run_count,
                run.run_count,
                zero_interval if not total else interval(total),
                texts.of(run.start_time),
                texts.of(run.end_time),
                texts.of(run.expected_start_time),
                texts.of(run.next_scheduled_start_time),
                created,
                created,
                None if state is None else state.id.hex,
                None if state is None else state.type._value_,
                None if state is None else state.name,
                None if state is None else texts.of(state.timestamp),
            )
        )
    if rows:
        connection.exec_driver_sql(_INSERT_RUN, rows)
    if states:
        connection.exec_driver_sql(
            _INSERT_STATE, [_stored_state(run_id, state, texts) for run_id, state in states]
        )


_ONLY_RUN_ID = frozenset({"task_run_id"})


def _stored_state(run_id: UUID, state: State, texts: _Texts) -> tuple[Any, ...]:
    run_hex = run_id.hex
    details = state.state_details
    if details.__pydantic_fields_set__ <= _ONLY_RUN_ID:
        # Only the run's id differs from the defaults (the engine's states):
        # the JSON the full dump below would give, without dumping.
        given = details.task_run_id
        if given is None:
            stored_details = "{}"
        else:
            text = _dashed(run_hex) if given is run_id else str(given)
            stored_details = f'{{"task_run_id":"{text}"}}'
    else:
        stored_details = json_dumps(details.model_dump(exclude_defaults=True))
    data = state.data
    return (
        run_hex,
        state.id.hex,
        state.type._value_,
        state.name,
        texts.of(state.timestamp),
        state.message,
        stored_details,
        "null" if data is None else json_dumps(data),
    )


def _dashed(hex_: str) -> str:
    """``str(uuid)`` from the UUID's hex digits, without formatting its integer again."""
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"
