"""A task-run batch's rows in the form SQLite stores them, and their inserts.

Through SQLAlchemy's typed inserts every value of every row goes through its
column type's processing (UUIDs, timestamps, JSON, intervals), which cost more
than deciding the states. On SQLite the rows are built here already in stored
form, the same text the column types write (``Timestamp``'s naive UTC text, UUIDs
as 32 hex digits, compact JSON, SQLAlchemy's own interval), and each table gets
multi-row ``INSERT`` statements. Plain runs (:meth:`NewRun.is_plain`) are built
straight from their proposals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Iterable
from itertools import chain
from typing import Any
from uuid import UUID

from sqlalchemy.orm import Session

from podium._ids import hex_of_int, new_hexes
from podium.schemas.actions import EndedRun
from podium.schemas.states import DEFAULT_STATE_NAMES, TERMINAL_STATES, StateDetails, StateType
from podium.server.database.types import json_dumps, sqlite_interval, sqlite_timestamp
from podium.server.models._multirow import MultiRowInsert, TemplateInsert
from podium.server.models._task_run_rows import (
    TASK_RUN_STATE_TABLE,
    TASK_RUN_TABLE,
    AnyState,
    BatchState,
    NewRun,
    Ticks,
    run_name,
    task_inputs,
)
from podium.server.models.states import details_for_run
from podium.server.orchestration.policy import RETRYING

__all__ = ["write_stored", "writes_stored"]

_NO_TIME = dt.timedelta(0)
_RUNNING = StateType.RUNNING


def writes_stored(session: Session) -> bool:
    """Whether the session's database takes rows in stored form (SQLite)."""
    return bool(session.get_bind().dialect.name == "sqlite")


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


_insert_runs = MultiRowInsert(TASK_RUN_TABLE.name, _RUN_COLUMNS)
_insert_states = MultiRowInsert(TASK_RUN_STATE_TABLE.name, _STATE_COLUMNS)

# An ended run's row (see :func:`_ended_rows`): its id, flow run, name, task key,
# dynamic key, policy, flow run's run count, total time, start, end, and final
# state's id, type and name; ``?1`` is the batch's time of creation. No cache fields,
# version, tags, labels or inputs; run count 1; expected to start when it started.
_insert_ended_runs = TemplateInsert(
    TASK_RUN_TABLE.name,
    _RUN_COLUMNS,
    "({0}, {1}, {2}, {3}, {4}, NULL, NULL, NULL, {5}, '[]', '{{}}', '{{}}', {6}, 1, {7}, {8},"
    " {9}, {8}, NULL, ?1, ?1, {10}, {11}, {12}, {9})",
    width=13,
    shared=1,
)
# Its two states: Running at its start, then its final state; the run's id and the
# states' details (the same for both) are bound once.
_insert_ended_states = TemplateInsert(
    TASK_RUN_STATE_TABLE.name,
    _STATE_COLUMNS,
    "({0}, {1}, 'RUNNING', 'Running', {2}, NULL, {3}, 'null'),"
    " ({0}, {4}, {5}, {6}, {7}, NULL, {3}, 'null')",
    width=8,
    shared=0,
)


_ZERO_INTERVAL = sqlite_interval(_NO_TIME)
# ``%`` formatting: half the cost of a format spec in an f-string (``{x:06d}``).
_MICROSECONDS = "%06d"


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
            found = self._seen[id(value)] = (value, self.text(value))
        return found[1]

    def interval(self, value: dt.timedelta) -> str:
        """:func:`sqlite_interval` of a run's total time: its whole seconds' text is kept."""
        if not value:
            return _ZERO_INTERVAL
        whole = (value.days, value.seconds)
        head = self._intervals.get(whole)
        if head is None:
            head = self._intervals[whole] = sqlite_interval(value)[:19] + "."
        return head + _MICROSECONDS % value.microseconds

    def text(self, value: dt.datetime) -> str:
        """The stored text of a time read once (:meth:`of` keeps it for the next reads)."""
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
            head = self._seconds[second] = sqlite_timestamp(value)[:19] + "."
        return head + _MICROSECONDS % value.microsecond


def write_stored(
    session: Session,
    runs: Iterable[NewRun],
    states: list[tuple[UUID, AnyState]],
    now: dt.datetime,
    plain: Collection[NewRun] = (),
    ticks: Ticks | None = None,
    ended: Collection[EndedRun] = (),
    policy_of: Callable[[int | None], tuple[Any, str]] | None = None,
) -> None:
    """Insert the batch's new runs, then the states it accepted (``(run id, state)``).

    ``runs`` were decided state by state; ``plain`` runs are written with every
    state the batch gives them, their times taken from ``ticks`` where a state
    has none; ``ended`` runs with their two states, and the policy ``policy_of``
    gives for their retries.
    """
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
        times = run.times
        next_start = times.next_scheduled_start_time
        append(
            _run_row(
                run,
                hex_of(run.id),
                (
                    times.run_count,
                    texts.interval(times.total_run_time),
                    text(times.start_time),
                    text(times.end_time),
                    text(times.expected_start_time),
                    None if next_start is None else text(next_start),
                ),
                head,
                created,
                texts,
                hex_of,
            )
        )
    state_rows = (
        _plain_rows(plain, ticks or Ticks(now), run_rows, created, texts, hex_of) if plain else []
    )
    if run_rows:
        _insert_runs(connection, run_rows)
    if ended:
        assert policy_of is not None
        ended_runs, ended_states = _ended_rows(ended, policy_of, texts, hex_of)
        _insert_ended_runs(connection, ended_runs, (created,))
        _insert_ended_states(connection, ended_states)
    if states:
        state_rows.extend(_stored_states(states, hex_of, text))
    if state_rows:
        _insert_states(connection, state_rows)


_NO_STATE = (None, None, None, None)


def _run_row(
    run: NewRun,
    run_hex: str,
    times: tuple[int, str, str | None, str | None, str | None, str | None],
    state: tuple[str | None, str | None, str | None, str | None],
    created: str | None,
    texts: _Texts,
    hex_of: Callable[[UUID], str],
) -> tuple[Any, ...]:
    """A new run's row in stored form.

    ``times`` is its run count, then its total run time, start, end, expected
    start and next scheduled start as stored text; ``state`` is its state's id,
    type, name and time.
    """
    record = run.record
    flow_run_id = record.flow_run_id
    tags, labels, expiration = record.tags, record.labels, record.cache_expiration
    return (
        run_hex,
        None if flow_run_id is None else hex_of(flow_run_id),
        run_name(record),
        record.task_key,
        record.dynamic_key,
        record.cache_key,
        None if expiration is None else texts.of(expiration),
        record.task_version,
        run.policy_json,
        json_dumps(tags) if tags else "[]",
        json_dumps(labels) if labels else "{}",
        json_dumps(task_inputs(record)) if record.task_inputs else "{}",
        record.flow_run_run_count,
        *times,
        created,
        created,
        *state,
    )


def _plain_rows(
    runs: Collection[NewRun],
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

    Most runs are a task's life as the engine reports it: Running, then one
    final state, each with a type and a time and nothing else. Those are
    written by the first branch below, any other run by the general one; the
    states' ids are made for the whole batch at once (:func:`new_hexes`).
    """
    text = texts.of
    fresh = texts.text
    interval = texts.interval
    state_rows: list[tuple[Any, ...]] = []
    append = state_rows.append
    append_run = run_rows.append
    state_ids = new_hexes(sum(1 + len(run.later) for run in runs))
    next_id = state_ids.pop
    for run in runs:
        run_id = run.id
        run_hex = hex_of(run_id)
        own_details = f'{{"task_run_id":"{_dashed(run_hex)}"}}'
        later = run.later
        first = run.record.state
        if len(later) == 1 and first is not None:
            last = later[0][1].state
            start, end = first.timestamp, last.timestamp
            if (
                first.type is _RUNNING
                and last.type in TERMINAL_STATES
                and first.__pydantic_fields_set__ == _TYPE_AND_TIME
                and last.__pydantic_fields_set__ == _TYPE_AND_TIME
                and start is not None
                and end is not None
                and start.tzinfo is not None
                and end.tzinfo is not None
            ):
                start_text, end_text = fresh(start), fresh(end)
                final = last.type._value_
                final_name = DEFAULT_STATE_NAMES[last.type]
                final_hex = next_id()
                append(
                    (
                        run_hex,
                        next_id(),
                        _RUNNING_TEXT,
                        _RUNNING_NAME,
                        start_text,
                        None,
                        own_details,
                        "null",
                    )
                )
                append((run_hex, final_hex, final, final_name, end_text, None, own_details, "null"))
                # Run count 1; total time, start, end, expected start; nothing next.
                total_text = interval(end - start if end > start else _NO_TIME)
                append_run(
                    _run_row(
                        run,
                        run_hex,
                        (1, total_text, start_text, end_text, start_text, None),
                        (final_hex, final, final_name, end_text),
                        created,
                        texts,
                        hex_of,
                    )
                )
                continue
        run_count = 0
        start = end = expected = None
        total = _NO_TIME
        previous: StateType | None = None
        previous_time = _NO_DATE
        for proposed in chain((run.first,), [p.state for _, p in later]):
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
            state_hex = next_id()
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
        times = (run_count, interval(total), text(start), text(end), text(expected), None)
        head = (state_hex, kind._value_, name, stamp)
        append_run(_run_row(run, run_hex, times, head, created, texts, hex_of))
    return state_rows


def _ended_rows(
    runs: Collection[EndedRun],
    policy_of: Callable[[int | None], tuple[Any, str]],
    texts: _Texts,
    hex_of: Callable[[UUID], str],
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The parameters of ended runs' rows and of their states' rows, per run.

    For :data:`_insert_ended_runs` and :data:`_insert_ended_states`: the rows the
    first branch of :func:`_plain_rows` writes for a creation and its final state,
    from the arrays as they were validated, with no record or state object.
    """
    fresh = texts.text
    interval = texts.interval
    run_rows: list[tuple[Any, ...]] = []
    state_rows: list[tuple[Any, ...]] = []
    append_run = run_rows.append
    append_states = state_rows.append
    state_ids = new_hexes(2 * len(runs))
    next_id = state_ids.pop
    for run_id, flow_run_id, key, dynamic_key, name, flow_count, retries, start, end, final in runs:
        run_hex = hex_of_int(run_id.int)
        start_text, end_text = fresh(start), fresh(end)
        final_type = final._value_
        final_name = DEFAULT_STATE_NAMES[final]
        final_hex = next_id()
        append_run(
            (
                run_hex,
                None if flow_run_id is None else hex_of(flow_run_id),
                name,
                key,
                dynamic_key,
                policy_of(retries)[1],
                flow_count,
                interval(end - start if end > start else _NO_TIME),
                start_text,
                end_text,
                final_hex,
                final_type,
                final_name,
            )
        )
        append_states(
            (
                run_hex,
                next_id(),
                start_text,
                f'{{"task_run_id":"{_dashed(run_hex)}"}}',
                final_hex,
                final_type,
                final_name,
                end_text,
            )
        )
    return run_rows, state_rows


_TYPE_AND_TIME = frozenset({"type", "timestamp"})
_RUNNING_TEXT = StateType.RUNNING.value
_RUNNING_NAME = DEFAULT_STATE_NAMES[StateType.RUNNING]
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
