"""A task-run batch's new runs and the states it accepts, as decided, and their typed rows.

A batch from the engine holds thousands of runs, each with two states. Here are
what deciding them keeps (:class:`NewRun`, :class:`BatchState`, :class:`Ticks`)
and the typed Core inserts PostgreSQL uses (:func:`write_typed`). On SQLite the
rows are built in stored form instead (:mod:`._task_run_stored`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
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
from podium.server.database.types import json_dumps
from podium.server.models.states import Decided, decide, details_for_run, state_row
from podium.server.orchestration import RunTimes, account, may_object

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
        :func:`~podium.server.models._task_run_stored.write_stored` writes such
        runs without deciding state by state.
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
_SCHEDULED = StateType.SCHEDULED
_RUNNING = StateType.RUNNING


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
            return self.of_default()
        return self._of_policy(policy)

    def of_default(self) -> tuple[dict[str, Any], str]:
        """The policy of a run that gives none."""
        if self._default is None:
            self._default = self._of_policy(_NO_POLICY)
        return self._default

    def of_retries(self, retries: int | None) -> tuple[dict[str, Any], str]:
        """The policy of an ended run: its number of retries alone (none if None)."""
        if retries is None:
            return self.of_default()
        found = self._seen.get(retries)  # the key :meth:`_of_policy` gives it
        if found is None:
            found = self._of_policy(TaskRunPolicy(retries=retries))
        return found

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


def creation_of(run: actions.EndedRun) -> actions.TaskRunBatchRun:
    """The creation an ended run stands for: its fields, started Running."""
    run_id, flow_run_id, task_key, dynamic_key, name, run_count, retries, started, _, _ = run
    return actions.TaskRunBatchRun.model_construct(
        task_key=task_key,
        dynamic_key=dynamic_key,
        id=run_id,
        name=name,
        flow_run_id=flow_run_id,
        flow_run_run_count=run_count,
        empirical_policy=None if retries is None else TaskRunPolicy(retries=retries),
        state=actions.TaskRunBatchState.model_construct(type=_RUNNING, timestamp=started),
    )


def final_proposal(run: actions.EndedRun) -> actions.TaskRunBatchProposal:
    """The proposal of an ended run's final state."""
    state = actions.TaskRunBatchState.model_construct(type=run[-1], timestamp=run[-2])
    return actions.TaskRunBatchProposal.model_construct(task_run_id=run[0], state=state)


def ended_plainly() -> frozenset[StateType]:
    """The final states an ended run may reach with every state accepted as proposed.

    None when a rule concerns a new run's Running; otherwise those of the final
    states no rule concerns after Running.
    """
    if may_object("task_run", None, _RUNNING):
        return frozenset()
    return frozenset(kind for kind in TERMINAL_STATES if not may_object("task_run", _RUNNING, kind))


def present_ids(session: Session, table: Table, ids: Collection[UUID]) -> set[UUID]:
    """The ids among ``ids`` that ``table`` holds."""
    if not ids:
        return set()
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        column = table.c.id
        return set(connection.execute(select(column).where(column.in_(list(ids)))).scalars())
    # Stored ids are 32 hex digits: ask in that form and compare in it, instead
    # of converting every parameter and every answer through the UUID type. The
    # ids go as one JSON array: one statement for every batch size, which the
    # driver's statement cache keeps (a statement per size of batch was compiled
    # for it and pushed the batch's inserts out of the cache), and one bound value
    # instead of one per id.
    by_hex = {hex_of_int(run_id.int): run_id for run_id in ids}
    driver = sqlite_driver(connection)
    query = f"SELECT id FROM {table.name} WHERE id IN (SELECT value FROM json_each(?))"
    listed = '["' + '","'.join(by_hex) + '"]'  # hex digits need no escaping
    return {by_hex[row[0]] for row in driver.execute(query, (listed,))}


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


# --- the typed path (PostgreSQL) ------------------------------------------------


def write_typed(
    session: Session, runs: Iterable[NewRun], states: list[tuple[UUID, AnyState]], now: dt.datetime
) -> None:
    """Insert the decided runs and the accepted states through the column types."""
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
        "name": run_name(record),
        "task_key": record.task_key,
        "dynamic_key": record.dynamic_key,
        "cache_key": record.cache_key,
        "cache_expiration": record.cache_expiration,
        "task_version": record.task_version,
        "empirical_policy": run.empirical_policy,
        "tags": record.tags or [],
        "labels": record.labels or {},
        "task_inputs": task_inputs(record),
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


def run_name(record: Record) -> str:
    """The run's name: given, or its task key and dynamic key."""
    return record.name or f"{record.task_key}-{record.dynamic_key}"


def task_inputs(record: Record) -> dict[str, Any]:
    """The run's inputs as stored JSON."""
    inputs = record.task_inputs or {}
    return {k: [i.model_dump(mode="json") for i in v] for k, v in inputs.items()}
