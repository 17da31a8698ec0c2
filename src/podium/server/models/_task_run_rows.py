"""The rows a task-run batch writes: its new runs and the states it accepts.

A batch from the engine holds thousands of runs, each with two states. Through
SQLAlchemy's typed inserts every value of every row goes through its column
type's processing (UUIDs, timestamps, JSON, intervals), which cost more than
deciding the states. On SQLite the rows are built here already in stored form,
the same text the column types write (``Timestamp``'s naive UTC text, UUIDs as
32 hex digits, compact JSON, SQLAlchemy's own interval), and each table gets
multi-row ``INSERT`` statements. PostgreSQL keeps the typed Core inserts.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Collection, Iterable
from itertools import chain
from typing import Any, cast
from uuid import UUID

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from podium._ids import hex_of_int, new_uuid_int, uuid_of_int
from podium.schemas import actions
from podium.schemas.core import TaskRunPolicy
from podium.schemas.states import (
    DEFAULT_STATE_NAMES,
    TERMINAL_STATES,
    State,
    StateCreate,
    StateDetails,
    StateType,
    state_from_create,
)
from podium.server.database import orm
from podium.server.database.prepared import sqlite_driver
from podium.server.database.types import json_dumps, sqlite_interval, sqlite_timestamp
from podium.server.models.states import Decided, decide, details_for_run, state_row
from podium.server.orchestration import RunTimes, account, may_object
from podium.server.orchestration.policy import RETRYING

FLOW_RUN_TABLE = cast(Table, orm.FlowRun.__table__)
TASK_RUN_TABLE = cast(Table, orm.TaskRun.__table__)
TASK_RUN_STATE_TABLE = cast(Table, orm.TaskRunState.__table__)

_NO_TIME = dt.timedelta(0)

Record = actions.TaskRunCreate | actions.TaskRunBatchRun
"""A new run as the API took it: alone, or in a batch (where empty parts are None)."""

Proposed = actions.TaskRunBatchState | StateCreate
"""A proposed state: in a batch, or alone."""

_NO_POLICY = TaskRunPolicy()


class BatchState:
    """A state a batch accepted as proposed for one of its new runs.

    Most of a batch's states are ones no rule of the policy concerns (a task's
    Running, then Completed): they are accepted as proposed, and building the
    contract's :class:`State` for each cost more than the rest of deciding it.
    This holds what the state's row and the policy's bookkeeping read;
    :meth:`to_state` builds the :class:`State` when one is needed (a rule
    judging the next proposal, the answer to a refusal, PostgreSQL's typed rows).
    """

    __slots__ = ("_id", "data", "details", "hex", "message", "name", "timestamp", "type")

    def __init__(self, proposal: Proposed, now: dt.datetime) -> None:
        # The id as stored (32 hex digits); the UUID only when asked for.
        self.hex = hex_of_int(new_uuid_int())
        self._id: UUID | None = None
        self.type = proposal.type
        self.name = proposal.name or DEFAULT_STATE_NAMES[proposal.type]
        timestamp = proposal.timestamp or now
        if timestamp.tzinfo is None:  # taken as UTC (see ``TaskRunBatchState``)
            timestamp = timestamp.replace(tzinfo=dt.UTC)
        self.timestamp = timestamp
        self.message = proposal.message
        self.details = proposal.state_details
        self.data = proposal.data

    @property
    def id(self) -> UUID:
        found = self._id
        if found is None:
            found = self._id = uuid_of_int(int(self.hex, 16))
        return found

    @property
    def state_details(self) -> StateDetails:
        return self.details or _NO_DETAILS

    def to_state(self, run_id: UUID) -> State:
        """The contract's state, with the run's id in its details."""
        details = details_for_run("task_run", run_id, self.details)
        return state_from_create(self, self.timestamp, details, state_id=self.id)


_NO_DETAILS = StateDetails()

AnyState = State | BatchState


class NewRun:
    """A task run a batch creates: its record, and its columns as its states change.

    :func:`~podium.server.models.states.decide` reads it like a run row.
    """

    __slots__ = ("empirical_policy", "id", "later", "policy_json", "record", "state", "times")

    def __init__(self, record: Record, run_id: UUID, policy: tuple[dict[str, Any], str]) -> None:
        self.record = record
        self.id = run_id
        self.empirical_policy, self.policy_json = policy
        self.times = _NO_TIMES
        self.state: AnyState | None = None
        # The batch's proposals for this run, with their index in the batch.
        self.later: list[tuple[int, actions.TaskRunBatchProposal]] = []

    @property
    def first(self) -> Proposed:
        """The state the run is created in (Pending unless its record says otherwise)."""
        return self.record.state or _PENDING

    def is_plain(self) -> bool:
        """Whether every state the batch gives this run is accepted as proposed.

        True when no rule concerns any of its transitions (or the proposal is
        forced), and none is Scheduled (whose times come from its details):
        a task's Running, then Completed or Failed.
        :func:`write_rows` writes such runs without deciding state by state.
        """
        kind = self.first.type
        if kind is _SCHEDULED or may_object("task_run", None, kind):
            return False
        for _, proposal in self.later:
            previous, kind = kind, proposal.state.type
            if kind is _SCHEDULED or (
                not proposal.force and may_object("task_run", previous, kind)
            ):
                return False
        return True

    def propose(
        self, proposal: Proposed, *, force: bool = False, now: dt.datetime
    ) -> AnyState | Decided:
        """Judge ``proposal`` and take it if accepted: the accepted state, or the verdict.

        A proposal that no rule concerns is accepted as it is, as
        :func:`~podium.server.models.states.decide` would, without building
        the policy's transition.
        """
        initial = self.state
        initial_type = None if initial is None else initial.type
        if force or not may_object("task_run", initial_type, proposal.type):
            accepted: AnyState = BatchState(proposal, now)
            self.times = account(self.times, initial, accepted, now)
        else:
            decided = decide("task_run", self, proposal, initial=self.current_state(), now=now)
            if decided.times is None or decided.state is None:
                return decided
            accepted, self.times = decided.state, decided.times
        self.state = accepted
        return accepted

    def current_state(self) -> State | None:
        """The run's state as the contract's :class:`State`."""
        state = self.state
        if isinstance(state, BatchState):
            state = self.state = state.to_state(self.id)
        return state

    # The columns ``decide`` reads from a run row.
    @property
    def run_count(self) -> int:
        return self.times.run_count

    @property
    def start_time(self) -> dt.datetime | None:
        return self.times.start_time

    @property
    def end_time(self) -> dt.datetime | None:
        return self.times.end_time

    @property
    def total_run_time(self) -> dt.timedelta:
        return self.times.total_run_time

    @property
    def expected_start_time(self) -> dt.datetime | None:
        return self.times.expected_start_time

    @property
    def next_scheduled_start_time(self) -> dt.datetime | None:
        return self.times.next_scheduled_start_time


_NO_TIMES = RunTimes(0, None, None, _NO_TIME, None, None)
_PENDING = actions.TaskRunBatchState(type=StateType.PENDING)
_SCHEDULED, _RUNNING = StateType.SCHEDULED, StateType.RUNNING


class Policies:
    """Each distinct retry policy of a batch as stored JSON, computed once.

    The runs of one task share their policy; dumping it per run cost more
    than the rest of building the run's row.
    """

    def __init__(self) -> None:
        self._seen: dict[Any, tuple[dict[str, Any], str]] = {}
        self._default: tuple[dict[str, Any], str] | None = None

    def of(self, record: Record) -> tuple[dict[str, Any], str]:
        policy = record.empirical_policy
        if policy is None:
            if self._default is None:
                self._default = self._of_policy(_NO_POLICY)
            return self._default
        return self._of_policy(policy)

    def _of_policy(self, policy: TaskRunPolicy) -> tuple[dict[str, Any], str]:
        delay, jitter = policy.retry_delay, policy.retry_jitter_factor
        if delay is None and jitter is None:
            # The engine's policy of a task without retry delays (``{"retries": 0}``
            # for most) is known by its one number.
            key: Any = policy.retries
        else:
            # By text: equal floats may still be written differently (0.0, -0.0).
            key = (policy.retries, repr(delay), repr(jitter))
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
    by_hex = {hex_of_int(run_id.int): run_id for run_id in ids}
    found: set[UUID] = set()
    hexes = list(by_hex)
    driver = sqlite_driver(connection)
    for start in range(0, len(hexes), _MAX_PARAMETERS):
        chunk = hexes[start : start + _MAX_PARAMETERS]
        query = f"SELECT id FROM {table.name} WHERE id IN ({', '.join('?' * len(chunk))})"
        found.update(by_hex[row[0]] for row in driver.execute(query, tuple(chunk)))
    return found


# Below SQLite's limit on the parameters of one statement (32766 since 3.32).
_MAX_PARAMETERS = 10_000


def writes_plain(session: Session) -> bool:
    """Whether :func:`write_rows` takes plain runs (see :meth:`NewRun.is_plain`) on this database.

    SQLite only: there the rows are built in stored form, and a plain run's
    are built straight from its proposals. PostgreSQL's typed rows are built
    from runs decided state by state.
    """
    return bool(session.get_bind().dialect.name == "sqlite")


class Ticks:
    """Strictly increasing times for a batch's decisions, from the clock.

    Each decision gets its own, strictly later, time, so that a run's state
    history keeps the batch's order even within one microsecond.
    """

    __slots__ = ("last",)

    def __init__(self, start: dt.datetime) -> None:
        self.last = start

    def __call__(self) -> dt.datetime:
        moment = _clock(dt.UTC)
        last = self.last
        self.last = moment if moment > last else last + _ONE_MICROSECOND
        return self.last


_clock = dt.datetime.now
_ONE_MICROSECOND = dt.timedelta(microseconds=1)


def write_rows(
    session: Session,
    runs: Iterable[NewRun],
    states: list[tuple[UUID, AnyState]],
    now: dt.datetime,
    *,
    plain: Collection[NewRun] = (),
    ticks: Ticks | None = None,
) -> None:
    """Insert the batch's new runs, then the states it accepted (``(run id, state)``).

    ``runs`` were decided state by state; ``plain`` runs (where
    :func:`writes_plain`) are written with every state the batch gives them,
    their times taken from ``ticks`` where a state has none.
    """
    if session.get_bind().dialect.name == "sqlite":
        _write_sqlite(session, runs, states, now, plain, ticks or Ticks(now))
    elif plain:
        raise ValueError("plain runs are written on SQLite only; decide them state by state")
    else:
        _write_typed(session, runs, states, now)


# --- the typed path (PostgreSQL) ------------------------------------------------


def _write_typed(
    session: Session, runs: Iterable[NewRun], states: list[tuple[UUID, AnyState]], now: dt.datetime
) -> None:
    # Core inserts (one executemany each): the ORM's bulk path adds per-row
    # bookkeeping that a batch of thousands of plain rows does not need.
    rows = [run_values(run, now) for run in runs]
    if rows:
        session.execute(insert(TASK_RUN_TABLE), rows)
    if states:
        rows = [
            state_row(
                "task_run",
                run_id,
                state.to_state(run_id) if isinstance(state, BatchState) else state,
            )
            for run_id, state in states
        ]
        session.execute(insert(TASK_RUN_STATE_TABLE), rows)


def run_values(run: NewRun, now: dt.datetime) -> dict[str, Any]:
    """The new run's row, by column, as the column types take it."""
    record, state, times = run.record, run.state, run.times
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
        "tags": record.tags or [],
        "labels": record.labels or {},
        "task_inputs": _task_inputs(record),
        "flow_run_run_count": record.flow_run_run_count,
        "run_count": times.run_count,
        "total_run_time": times.total_run_time,
        "start_time": times.start_time,
        "end_time": times.end_time,
        "expected_start_time": times.expected_start_time,
        "next_scheduled_start_time": times.next_scheduled_start_time,
        "created": now,
        "updated": now,
        "state_id": None if state is None else state.id,
        "state_type": None if state is None else state.type.value,
        "state_name": None if state is None else state.name,
        "state_timestamp": None if state is None else state.timestamp,
    }


def _name(record: Record) -> str:
    return record.name or f"{record.task_key}-{record.dynamic_key}"


def _task_inputs(record: Record) -> dict[str, Any]:
    inputs = record.task_inputs or {}
    return {k: [i.model_dump(mode="json") for i in v] for k, v in inputs.items()}


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


class _Insert:
    """Rows into one table, many rows per statement, in statements of a few sizes.

    One statement of a few hundred rows costs SQLite less than as many steps of a
    prepared one-row statement (``executemany``), and releases the GIL once instead
    of once per row. The statements have one of the sizes of :data:`_STATEMENT_ROWS`
    (a batch of 733 rows is 500 + 2 x 100 + 20 + 5 + 5 + 3 x 1), so that the
    driver's statement cache (128 per connection) keeps them: a statement of a size
    of its own was compiled for its batch alone, and compiling a multi-row insert
    cost more than running it (about 10 against 4.5 us a task-run row).
    """

    def __init__(self, table: str, columns: tuple[str, ...]) -> None:
        self._head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
        self._row = f"({', '.join('?' * len(columns))})"
        self._width = len(columns)
        self._sql: dict[int, str] = {}

    def __call__(self, connection: Any, rows: list[tuple[Any, ...]]) -> None:
        driver = sqlite_driver(connection)
        limit = driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        start, end = 0, len(rows)
        for size in _STATEMENT_ROWS:
            if size > 1 and size * self._width > limit:
                continue
            while end - start >= size:
                chunk = rows[start : start + size]
                driver.execute(self._statement(size), tuple(chain.from_iterable(chunk)))
                start += size

    def _statement(self, size: int) -> str:
        sql = self._sql.get(size)
        if sql is None:
            sql = self._sql[size] = self._head + ", ".join([self._row] * size)
        return sql


# Beyond a few hundred rows a statement saved nothing more (measured on batches of
# 1,000); below, each size saves most of what the next larger one would.
_STATEMENT_ROWS = (500, 100, 20, 5, 1)

_insert_runs = _Insert(TASK_RUN_TABLE.name, _RUN_COLUMNS)
_insert_states = _Insert(TASK_RUN_STATE_TABLE.name, _STATE_COLUMNS)


_ZERO_INTERVAL = sqlite_interval(_NO_TIME)


class _Texts:
    """Stored text of the batch's timestamps: a run's times are its states' times.

    A batch's times share their date and second far more often than not: the text
    of those is kept, and each time adds its microseconds to it. Formatting the
    whole time (``isoformat``) cost twice as much, two or three times per run.
    """

    def __init__(self) -> None:
        # By object: a run's times are its states' timestamp objects, each read two
        # or three times, and hashing an aware datetime asks its zone for the offset.
        # The value is kept with its text, so its id is not reused meanwhile.
        self._seen: dict[int, tuple[dt.datetime, str]] = {}
        self._seconds: dict[tuple[int, ...], str] = {}
        self._intervals: dict[tuple[int, int], str] = {}
        # Zones at offset zero at every instant (the batch's times share pydantic's).
        self._utc_zones: set[dt.tzinfo] = {dt.UTC}

    def of(self, value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        found = self._seen.get(id(value))
        if found is None:
            found = self._seen[id(value)] = (value, self._text(value))
        return found[1]

    def interval(self, value: dt.timedelta) -> str:
        """:func:`sqlite_interval` of a run's total time: its whole seconds' text is kept."""
        if not value:
            return _ZERO_INTERVAL
        whole = (value.days, value.seconds)
        head = self._intervals.get(whole)
        if head is None:
            head = self._intervals[whole] = sqlite_interval(value)[:19]
        return f"{head}.{value.microseconds:06d}"

    def _text(self, value: dt.datetime) -> str:
        zone = value.tzinfo
        if zone not in self._utc_zones:
            # ``utcoffset(None)`` answers only for a fixed offset (not for a zone
            # with daylight saving time, whose offset depends on the instant).
            if zone is None or zone.utcoffset(None) != _NO_TIME:
                return sqlite_timestamp(value)  # naive, or another offset
            self._utc_zones.add(zone)
        if value.year < 1000:
            return sqlite_timestamp(value)  # strftime's year without leading zeros
        second = (value.year, value.month, value.day, value.hour, value.minute, value.second)
        head = self._seconds.get(second)
        if head is None:
            head = self._seconds[second] = sqlite_timestamp(value)[:19]
        return f"{head}.{value.microsecond:06d}"


def _write_sqlite(
    session: Session,
    runs: Iterable[NewRun],
    states: list[tuple[UUID, AnyState]],
    now: dt.datetime,
    plain: Collection[NewRun],
    ticks: Ticks,
) -> None:
    connection = session.connection()
    texts = _Texts()
    text = texts.of
    created = text(now)
    hex_of = _Hexes().of
    run_rows: list[tuple[Any, ...]] = []
    append = run_rows.append
    for run in runs:
        state = run.state
        head = (
            _NO_STATE
            if state is None
            else (_hex_id(state), state.type._value_, state.name, text(state.timestamp))
        )
        append(_run_row(run, hex_of(run.id), run.times, head, created, texts, hex_of))
    state_rows = _plain_rows(plain, ticks, run_rows, created, texts, hex_of) if plain else []
    if run_rows:
        _insert_runs(connection, run_rows)
    if states:
        state_rows.extend(_stored_states(states, hex_of, text))
    if state_rows:
        _insert_states(connection, state_rows)


_NO_STATE = (None, None, None, None)


def _run_row(
    run: NewRun,
    run_hex: str,
    times: RunTimes,
    state: tuple[str | None, str | None, str | None, str | None],
    created: str | None,
    texts: _Texts,
    hex_of: Callable[[UUID], str],
) -> tuple[Any, ...]:
    """A new run's row in stored form; ``state`` is its state's id, type, name and time."""
    record = run.record
    flow_run_id = record.flow_run_id
    text = texts.of
    tags, labels, expiration = record.tags, record.labels, record.cache_expiration
    next_start = times.next_scheduled_start_time
    return (
        run_hex,
        None if flow_run_id is None else hex_of(flow_run_id),
        _name(record),
        record.task_key,
        record.dynamic_key,
        record.cache_key,
        None if expiration is None else text(expiration),
        record.task_version,
        run.policy_json,
        json_dumps(tags) if tags else "[]",
        json_dumps(labels) if labels else "{}",
        json_dumps(_task_inputs(record)) if record.task_inputs else "{}",
        record.flow_run_run_count,
        times.run_count,
        texts.interval(times.total_run_time),
        text(times.start_time),
        text(times.end_time),
        text(times.expected_start_time),
        None if next_start is None else text(next_start),
        created,
        created,
        *state,
    )


def _plain_rows(
    runs: Iterable[NewRun],
    ticks: Ticks,
    run_rows: list[tuple[Any, ...]],
    created: str | None,
    texts: _Texts,
    hex_of: Callable[[UUID], str],
) -> list[tuple[Any, ...]]:
    """Append plain runs' rows to ``run_rows``; return the rows of their states.

    Every state is accepted as proposed, so this is what deciding them one by
    one gives (:func:`~podium.server.orchestration.account` for the run's
    times), without a state object per state: for the engine's batches,
    deciding and building the rows this way costs about a fifth less. No state here
    is Scheduled, so nothing is scheduled next.
    """
    text = texts.of
    state_rows: list[tuple[Any, ...]] = []
    append = state_rows.append
    for run in runs:
        run_id = run.id
        run_hex = hex_of(run_id)
        own_details = f'{{"task_run_id":"{_dashed(run_hex)}"}}'
        run_count = 0
        start = end = expected = None
        total = _NO_TIME
        previous: StateType | None = None
        previous_time = _NO_DATE
        for proposed in chain((run.first,), [p.state for _, p in run.later]):
            kind = proposed.type
            timestamp = proposed.timestamp or ticks()
            if timestamp.tzinfo is None:  # taken as UTC (see ``TaskRunBatchState``)
                timestamp = timestamp.replace(tzinfo=dt.UTC)
            name = proposed.name or DEFAULT_STATE_NAMES[kind]
            if previous is _RUNNING and timestamp > previous_time:
                total += timestamp - previous_time
            if kind is _RUNNING:
                if previous is not _RUNNING or name == RETRYING:
                    run_count += 1
                if start is None:
                    start = timestamp
                end = None
            elif kind in TERMINAL_STATES:
                end = timestamp
            if expected is None:
                expected = timestamp
            state_hex = hex_of_int(new_uuid_int())
            stamp = text(timestamp)
            details, data = proposed.state_details, proposed.data
            append(
                (
                    run_hex,
                    state_hex,
                    kind._value_,
                    name,
                    stamp,
                    proposed.message,
                    own_details if details is None else _details_text(run_id, run_hex, details),
                    "null" if data is None else json_dumps(data),
                )
            )
            previous, previous_time = kind, timestamp
        times = RunTimes(run_count, start, end, total, expected, None)
        head = (state_hex, kind._value_, name, stamp)
        run_rows.append(_run_row(run, run_hex, times, head, created, texts, hex_of))
    return state_rows


_NO_DATE = dt.datetime.min.replace(tzinfo=dt.UTC)


def _stored_states(
    states: list[tuple[UUID, AnyState]],
    hex_of: Callable[[UUID], str],
    text: Callable[[dt.datetime], str | None],
) -> list[tuple[Any, ...]]:
    """The rows of the accepted states, in stored form."""
    rows: list[tuple[Any, ...]] = []
    append = rows.append
    for run_id, state in states:
        run_hex = hex_of(run_id)
        data = state.data
        append(
            (
                run_hex,
                _hex_id(state),
                state.type._value_,
                state.name,
                text(state.timestamp),
                state.message,
                _stored_details(run_id, run_hex, state),
                "null" if data is None else json_dumps(data),
            )
        )
    return rows


class _Hexes:
    """Stored text of the batch's run ids: each is written in its run's and its states' rows."""

    def __init__(self) -> None:
        self._seen: dict[int, str] = {}

    def of(self, value: UUID) -> str:
        # By the integer: hashing a UUID runs Python code (``UUID.__hash__``).
        number = value.int
        text = self._seen.get(number)
        if text is None:
            text = self._seen[number] = hex_of_int(number)
        return text


_ONLY_RUN_ID = frozenset({"task_run_id"})


def _hex_id(state: AnyState) -> str:
    return state.hex if type(state) is BatchState else state.id.hex


def _stored_details(run_id: UUID, run_hex: str, state: AnyState) -> str:
    """The state's details as stored: with the run's id, as ``decide`` gives them."""
    if type(state) is BatchState:
        return _details_text(run_id, run_hex, state.details)
    return _dumped_details(run_id, run_hex, state.state_details)


def _details_text(run_id: UUID, run_hex: str, details: StateDetails | None) -> str:
    """Proposed details (None: the defaults) as stored, with the run's id."""
    if details is None:
        return f'{{"task_run_id":"{_dashed(run_hex)}"}}'
    return _dumped_details(run_id, run_hex, details_for_run("task_run", run_id, details))


def _dumped_details(run_id: UUID, run_hex: str, details: StateDetails) -> str:
    if details.__pydantic_fields_set__ <= _ONLY_RUN_ID:
        # Only the run's id differs from the defaults (the engine's states):
        # the JSON the full dump below would give, without dumping.
        given = details.task_run_id
        if given is None:
            return "{}"
        text = _dashed(run_hex) if given is run_id else str(given)
        return f'{{"task_run_id":"{text}"}}'
    return json_dumps(details.model_dump(exclude_defaults=True))


def _dashed(hex_: str) -> str:
    """``str(uuid)`` from the UUID's hex digits, without formatting its integer again."""
    return f"{hex_[:8]}-{hex_[8:12]}-{hex_[12:16]}-{hex_[16:20]}-{hex_[20:]}"
