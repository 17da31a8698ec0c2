"""Setting a run's state: one path for flow runs and task runs.

Reads the run (locked for update on PostgreSQL; SQLite writes are already
serialised), asks the policy for a verdict, and on acceptance records the
new state row and the run's counters and times in the same transaction.

The hot paths (creating a run, proposing a state through the API) work on
:class:`~podium.server.models._runs.RunValues` and write with two Core
statements; the ORM's unit of work cost more than the rest of the request.
Rarer paths that already hold ORM rows (cancellation cascades, the crash
detector) pass those and let the session flush them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import Select, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from podium.schemas.actions import TaskRunBatchState
from podium.schemas.responses import (
    OrchestrationResult,
    SetStateStatus,
    StateAbortDetails,
    StateAcceptDetails,
    StateRejectDetails,
    StateWaitDetails,
)
from podium.schemas.states import (
    State,
    StateCreate,
    StateDetails,
    details_of,
    details_with,
    state_from_create,
)
from podium.server.database import orm
from podium.server.database.prepared import Prepared
from podium.server.models._runs import RunValues, read_run_values
from podium.server.orchestration import RunTimes, Transition, Verdict, account, judge, may_object
from podium.server.orchestration.policy import RunKind

RunRow = orm.FlowRun | orm.TaskRun


def state_of(row: RunRow | RunValues) -> State | None:
    """The run's current state as the contract's model."""
    if isinstance(row, RunValues):
        current = row["state"]
        return None if current is None else State.model_validate(current)
    if row.state is None:
        return None
    return State.model_validate(row.state, from_attributes=True)


def lock_run(
    session: Session, model: type[orm.FlowRun] | type[orm.TaskRun], run_id: UUID
) -> RunValues | None:
    """The run with its current state, row-locked until the transaction ends."""
    return read_run_values(session, model, run_id, lock=True)


class _Writes:
    """A kind's write statements, built once: each write only binds its values."""

    def __init__(self, kind: RunKind) -> None:
        model = orm.FlowRun if kind == "flow_run" else orm.TaskRun
        state_model = orm.FlowRunState if kind == "flow_run" else orm.TaskRunState
        runs: Table = model.__table__  # type: ignore[assignment]
        states: Table = state_model.__table__  # type: ignore[assignment]
        self.insert_run = Prepared(insert(runs))
        self.insert_state = Prepared(insert(states))
        # The SET clause comes from the parameters' keys (the run's new columns).
        self.update_run = Prepared(update(runs).where(runs.c.id == bindparam("run_id")))


_WRITES: dict[str, _Writes] = {"flow_run": _Writes("flow_run"), "task_run": _Writes("task_run")}


def _facts(kind: RunKind, row: Any) -> tuple[int, float, bool]:
    """Retries, first retry delay and whether the run came from a deployment.

    ``empirical_policy`` was validated when the run was created, so its plain
    JSON is read directly here, on the hot path of every transition.
    """
    policy = row.empirical_policy or {}
    retries = policy.get("retries") or 0
    delay = policy.get("retry_delay") or 0
    if isinstance(delay, list):
        delay = delay[0] if delay else 0
    from_deployment = kind == "flow_run" and getattr(row, "deployment_id", None) is not None
    return int(retries), float(delay), from_deployment


_ACCEPTED = StateAcceptDetails()

RUN_STATE_COLUMNS = (
    "state_id",
    "state_type",
    "state_name",
    "state_timestamp",
    "run_count",
    "start_time",
    "end_time",
    "total_run_time",
    "expected_start_time",
    "next_scheduled_start_time",
)
"""The run columns an accepted transition sets (the keys of ``Decided.run_values``)."""


class Decided:
    """A verdict and, if it accepts, what to write: a state row and the run's new columns.

    ``state`` is the run's state after the verdict (the accepted one, or the
    current one the verdict kept); ``times`` holds the run's counters and
    times after an accepted one (None otherwise). The API's ``result`` and
    the row values are built only when asked for: a batch of thousands of
    accepted proposals writes its rows in its own form and needs no result.
    """

    __slots__ = ("_result", "kind", "run_id", "state", "status", "times")

    def __init__(
        self,
        status: SetStateStatus,
        state: State | None,
        *,
        result: OrchestrationResult | None = None,
        kind: RunKind = "task_run",
        run_id: UUID | None = None,
        times: RunTimes | None = None,
    ) -> None:
        self.status = status
        self.state = state
        self._result = result
        self.kind = kind
        self.run_id = run_id
        self.times = times

    @property
    def result(self) -> OrchestrationResult:
        if self._result is None:
            # Built without re-validation: every part was validated on the way in.
            self._result = OrchestrationResult.model_construct(
                state=self.state, status=self.status, details=_ACCEPTED
            )
        return self._result

    @property
    def state_values(self) -> dict[str, Any] | None:
        """The accepted state's row, by column (None if not accepted)."""
        accepted = self.state
        if self.times is None or accepted is None or self.run_id is None:
            return None
        return state_row(self.kind, self.run_id, accepted)

    @property
    def run_values(self) -> dict[str, Any] | None:
        """The run's columns that the accepted state sets (``RUN_STATE_COLUMNS``)."""
        accepted, times = self.state, self.times
        if times is None or accepted is None:
            return None
        return {
            "state_id": accepted.id,
            "state_type": accepted.type.value,
            "state_name": accepted.name,
            "state_timestamp": accepted.timestamp,
            "run_count": times.run_count,
            "start_time": times.start_time,
            "end_time": times.end_time,
            "total_run_time": times.total_run_time,
            "expected_start_time": times.expected_start_time,
            "next_scheduled_start_time": times.next_scheduled_start_time,
        }


_RUN_ID_FIELDS: dict[str, str] = {"flow_run": "flow_run_id", "task_run": "task_run_id"}


def state_row(kind: RunKind, run_id: UUID, state: State) -> dict[str, Any]:
    """A state's row, by column, as the column types take it."""
    return {
        _RUN_ID_FIELDS[kind]: run_id,
        "id": state.id,
        "type": state.type.value,
        "name": state.name,
        "timestamp": state.timestamp,
        "message": state.message,
        "state_details": state.state_details.model_dump(exclude_defaults=True),
        "data": state.data,
    }


def details_for_run(kind: RunKind, run_id: UUID, details: StateDetails | None) -> StateDetails:
    """A state's details carrying its run's id (``None``: the default details)."""
    field = _RUN_ID_FIELDS[kind]
    if details is None:
        return details_of(**{field: run_id})
    if getattr(details, field) != run_id:
        return details_with(details, field, run_id)
    return details


def decide(
    kind: RunKind,
    row: Any,
    proposal: StateCreate | TaskRunBatchState,
    *,
    initial: State | None,
    force: bool = False,
    now: dt.datetime,
) -> Decided:
    """Judge ``proposal`` for a run and say what to write if it is accepted.

    ``row`` is anything with the run's columns as attributes: an ORM row, or
    the plain values of a run being created in the same batch. A transition
    that no rule concerns (:func:`may_object`) is accepted as proposed without
    asking the rules: what a task's Running and Completed are.
    """
    # The run's id goes into the details before judging: rules that replace
    # the proposal copy its details, so whatever is accepted carries it.
    run_id = row.id
    proposed = state_from_create(
        proposal, now, details_for_run(kind, run_id, proposal.state_details)
    )
    accepted: State | None = proposed
    if not force and may_object(kind, None if initial is None else initial.type, proposed.type):
        retries, retry_delay, from_deployment = _facts(kind, row)
        verdict = judge(
            Transition(
                kind=kind,
                initial=initial,
                proposed=proposed,
                now=now,
                run_count=row.run_count,
                retries=retries,
                retry_delay=retry_delay,
                from_deployment=from_deployment,
            )
        )
        if not verdict.accepted:
            return Decided(verdict.status, verdict.state, result=_result(verdict))
        accepted = verdict.state
    assert accepted is not None
    times = account(
        RunTimes(
            row.run_count,
            row.start_time,
            row.end_time,
            row.total_run_time or _NO_TIME,
            row.expected_start_time,
            row.next_scheduled_start_time,
        ),
        initial,
        accepted,
        now,
    )
    return Decided(SetStateStatus.ACCEPT, accepted, kind=kind, run_id=run_id, times=times)


_NO_TIME = dt.timedelta(0)


def set_run_state(
    session: Session,
    kind: RunKind,
    row: RunRow | RunValues,
    proposal: StateCreate,
    *,
    initial: State | None,
    force: bool = False,
    now: dt.datetime | None = None,
) -> OrchestrationResult:
    """Judge ``proposal`` for the run in ``row`` and record it if accepted.

    ``initial`` is the run's current state (``state_of(row)`` for a loaded
    row, None for a new one); the caller keeps it current across several
    proposals for one run in one transaction. ``row`` is updated in place.
    """
    now = now or dt.datetime.now(dt.UTC)
    decided = decide(kind, row, proposal, initial=initial, force=force, now=now)
    state_values, run_values = decided.state_values, decided.run_values
    if state_values is None or run_values is None:
        return decided.result
    if isinstance(row, RunValues):
        writes = _WRITES[kind]
        writes.insert_state.run(session, state_values)
        # ``updated`` too, as the column's own update default would set it.
        writes.update_run.run(session, {"run_id": row.id, "updated": now, **run_values})
        row.update(run_values)
        row["state"] = state_values
    else:
        state_model = orm.FlowRunState if kind == "flow_run" else orm.TaskRunState
        session.add(state_model(**state_values))
        for column, value in run_values.items():
            setattr(row, column, value)
    return decided.result


def insert_run(
    session: Session, kind: RunKind, values: RunValues, proposal: StateCreate, *, now: dt.datetime
) -> OrchestrationResult:
    """Create the run in ``values`` with its first state, judged like any proposal.

    ``values`` holds every column of the new run; on return it also holds the
    accepted state's columns and, under ``state``, the state row, so it reads
    like a run from :func:`~podium.server.models._runs.read_run_values`.
    """
    decided = decide(kind, values, proposal, initial=None, now=now)
    writes = _WRITES[kind]
    state_values, run_values = decided.state_values, decided.run_values
    if run_values is not None:
        values.update(run_values)
    values["state"] = None
    writes.insert_run.run(session, {k: v for k, v in values.items() if k != "state"})
    if state_values is not None:
        writes.insert_state.run(session, state_values)
        values["state"] = state_values
    return decided.result


def _result(verdict: Verdict) -> OrchestrationResult:
    details: StateRejectDetails | StateWaitDetails | StateAbortDetails
    if verdict.status == SetStateStatus.WAIT:
        details = StateWaitDetails(delay_seconds=verdict.delay_seconds, reason=verdict.reason)
    elif verdict.status == SetStateStatus.ABORT:
        details = StateAbortDetails(reason=verdict.reason)
    else:
        details = StateRejectDetails(reason=verdict.reason)
    return OrchestrationResult(state=verdict.state, status=verdict.status, details=details)


def read_states(
    session: Session, kind: RunKind, run_id: UUID
) -> list[orm.FlowRunState] | list[orm.TaskRunState]:
    query: Select[Any]
    if kind == "flow_run":
        query = (
            select(orm.FlowRunState)
            .where(orm.FlowRunState.flow_run_id == run_id)
            .order_by(orm.FlowRunState.timestamp, orm.FlowRunState.id)
        )
    else:
        query = (
            select(orm.TaskRunState)
            .where(orm.TaskRunState.task_run_id == run_id)
            .order_by(orm.TaskRunState.timestamp, orm.TaskRunState.id)
        )
    return list(session.execute(query).scalars())
