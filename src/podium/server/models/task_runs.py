"""Queries and writes for task runs, including the engine's batched reports."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from podium._ids import new_uuid
from podium.schemas import actions
from podium.schemas.responses import (
    CountRequest,
    OrchestrationResult,
    SetStateStatus,
    TaskRunBatchRefusal,
    TaskRunBatchResult,
    TaskRunReadRequest,
)
from podium.schemas.sorting import TaskRunSort
from podium.schemas.states import State, StateCreate, StateType
from podium.server.database import orm
from podium.server.errors import NotFound
from podium.server.models import states
from podium.server.models._run_json import run_json
from podium.server.models._runs import (
    RunValues,
    count_runs,
    delete_run,
    read_run,
    read_run_values,
    read_runs,
    read_runs_by_id,
    update_run,
)
from podium.server.models._task_run_rows import (
    FLOW_RUN_TABLE,
    TASK_RUN_TABLE,
    AnyState,
    NewRun,
    Policies,
    Ticks,
    creation_of,
    ended_plainly,
    final_proposal,
    present_ids,
    run_values,
    write_typed,
)
from podium.server.models._task_run_stored import write_stored, writes_stored
from podium.server.models.filters import run_scope

M = orm.TaskRun
_SORTS: dict[Any, tuple[Any, ...]] = {
    TaskRunSort.ID_DESC: (M.id.desc(),),
    TaskRunSort.CREATED_DESC: (M.created.desc(),),
    TaskRunSort.EXPECTED_START_TIME_ASC: (M.expected_start_time.asc(),),
    TaskRunSort.EXPECTED_START_TIME_DESC: (M.expected_start_time.desc(),),
    TaskRunSort.NAME_ASC: (M.name.asc(),),
    TaskRunSort.NAME_DESC: (M.name.desc(),),
    TaskRunSort.NEXT_SCHEDULED_START_TIME_ASC: (M.next_scheduled_start_time.asc().nulls_last(),),
    TaskRunSort.END_TIME_DESC: (M.end_time.desc().nulls_last(),),
}


def create_task_run(
    session: Session, run: actions.TaskRunCreate, *, now: dt.datetime | None = None
) -> tuple[RunValues, bool]:
    now = now or dt.datetime.now(dt.UTC)
    if run.flow_run_id is not None:
        present = select(orm.FlowRun.id).where(orm.FlowRun.id == run.flow_run_id)
        if session.execute(present).first() is None:
            raise NotFound.of("Flow run", run.flow_run_id, field="flow_run_id")
    if run.id is not None:
        existing = read_run_values(session, M, run.id)
        if existing is not None:
            return existing, False
    new_run = NewRun(run, run.id or new_uuid(), Policies().of(run))
    values = RunValues(run_values(new_run, now))
    states.insert_run(
        session, "task_run", values, run.state or StateCreate(type=StateType.PENDING), now=now
    )
    return values, True


def apply_batch(session: Session, batch: actions.TaskRunBatch) -> TaskRunBatchResult:
    """Create the batch's task runs, then apply its state proposals in order.

    An ended run (:data:`~podium.schemas.actions.EndedRun`) is a creation whose
    final state is proposed before every proposal of ``states``. Each proposal
    is judged by the same policy as a single ``set_state``, in the batch's
    order for its run (runs do not depend on each other, so a new run's states
    are decided together). A new run none of whose proposals any
    rule concerns is written straight from them where the database allows
    (see :meth:`NewRun.is_plain`). The writes are then made in bulk: one
    insert for the new runs (with their final columns), one for all accepted
    states, and updates only for runs that existed before the batch. The
    answer lists refusals in the batch's order. Already-known ids are skipped, so a
    batch sent twice creates nothing the second time; its proposals are judged
    again, and a refused one that the run already holds (same type and timestamp)
    is counted as ``repeated``, not refused: the reporter sends a batch again when
    its answer was lost. A proposal for a run that neither the database nor the
    batch holds is refused (ABORT, naming the run), and the rest of the batch is
    applied: a batch the API lost earlier must not take the next one's runs down
    with it.
    """
    now = dt.datetime.now(dt.UTC)
    stored = writes_stored(session)
    ended = batch.ended_runs
    # Runs are looked up by their ids' integers: hashing or comparing a UUID runs
    # Python code, and a batch did either a dozen times per run.
    wanted = [run.id for run in batch.task_runs if run.id is not None]
    wanted.extend([item[0] for item in ended])
    known = {run_id.int for run_id in present_ids(session, TASK_RUN_TABLE, wanted)}
    flow_runs = {
        r.flow_run_id.int: r.flow_run_id for r in batch.task_runs if r.flow_run_id is not None
    }
    for item in ended:
        if item[1] is not None:
            flow_runs[item[1].int] = item[1]
    missing = set(flow_runs.values()) - present_ids(session, FLOW_RUN_TABLE, flow_runs.values())
    if missing:
        raise NotFound.of("Flow run", sorted(map(str, missing))[0], field="flow_run_id")

    new: dict[int, NewRun] = {}
    policies = Policies()
    for run in batch.task_runs:
        run_id = run.id
        if run_id is None:
            run_id = new_uuid()
        elif run_id.int in known or run_id.int in new:
            continue
        new[run_id.int] = NewRun(run, run_id, policies.of(run))

    # Ended runs are written straight from their arrays where rows are built in
    # stored form and no rule concerns their two transitions; the others become
    # a creation and a proposal, made before every proposal of ``states``.
    for_others: list[tuple[int, actions.TaskRunBatchProposal]] = []
    quick: dict[int, tuple[int, actions.EndedRun]] = {}  # with its index
    plain_ends = ended_plainly() if stored else frozenset()
    first_index = len(batch.states)
    for position, item in enumerate(ended):
        key, index = item[0].int, first_index + position
        if key not in known and key not in new and key not in quick:
            if item[-1] in plain_ends:
                quick[key] = (index, item)
            else:
                new[key] = _decided(index, item, policies)
            continue
        # Created before, or earlier in this batch: its final state is one more proposal.
        target = new.get(key)
        if target is None and key in quick:
            target = new[key] = _decided(*quick.pop(key), policies)
        (for_others if target is None else target.later).append((index, final_proposal(item)))

    # Each new run takes its proposals, to be decided with its other states
    # below (runs are independent); the rest are for runs written before.
    for index, proposal in enumerate(batch.states):
        key = proposal.task_run_id.int
        target = new.get(key)
        if target is None and key in quick:
            target = new[key] = _decided(*quick.pop(key), policies)
        if target is None:
            for_others.append((index, proposal))
        else:
            target.later.append((index, proposal))

    existing: dict[UUID, RunValues] = {}
    current: dict[UUID, State | None] = {}
    if for_others:
        existing = read_runs_by_id(session, M, {p.task_run_id for _, p in for_others}, lock=True)
        for row in existing.values():
            current[row.id] = states.state_of(row)
    changed: dict[UUID, RunValues] = {}

    ticks = Ticks(now)
    accepted = repeated = 0
    refused: list[TaskRunBatchRefusal] = []
    accepted_states: list[tuple[UUID, AnyState]] = []
    for index, proposal in for_others:
        run_id = proposal.task_run_id
        if run_id not in existing:
            refused.append(
                TaskRunBatchRefusal(
                    index=index,
                    task_run_id=run_id,
                    status=SetStateStatus.ABORT,
                    reason=f"Task run {run_id} was not found.",
                )
            )
            continue
        verdict = states.decide(
            "task_run",
            existing[run_id],
            proposal.state,
            initial=current[run_id],
            force=proposal.force,
            now=ticks(),
        )
        if verdict.times is not None and verdict.state is not None:
            accepted += 1
            accepted_states.append((run_id, verdict.state))
            row = existing[run_id]
            row.update(verdict.run_values or {})
            changed[run_id] = row
            current[run_id] = verdict.state
        elif _holds(session, run_id, proposal.state):
            repeated += 1
        else:
            refused.append(_refusal(index, run_id, verdict))

    # A run whose every state is accepted as proposed (a task's Running, then
    # Completed) is written straight from its proposals where rows are built in
    # stored form (SQLite); the others are decided state by state.
    plain: list[NewRun] = []
    decided: list[NewRun] = []
    accepted += len(quick)
    for created in new.values():
        if stored and created.is_plain():
            plain.append(created)
            accepted += len(created.later)
        else:
            decided.append(created)
    for created in decided:
        outcome = created.propose(created.first, now=ticks())
        if not isinstance(outcome, states.Decided):
            accepted_states.append((created.id, outcome))
        for index, proposal in created.later:
            outcome = created.propose(proposal.state, force=proposal.force, now=ticks())
            if isinstance(outcome, states.Decided):
                refused.append(_refusal(index, created.id, outcome))
            else:
                accepted += 1
                accepted_states.append((created.id, outcome))
    refused.sort(key=_index)

    if stored:
        write_stored(
            session,
            decided,
            accepted_states,
            now,
            plain,
            ticks,
            ended=[run for _, run in quick.values()],
            policy_of=policies.of_retries,
        )
    else:
        write_typed(session, decided, accepted_states, now)
    if changed:
        # One executemany for the runs that existed before the batch; the
        # columns are the same for every decision (see ``states.decide``).
        table = TASK_RUN_TABLE
        rows = [
            {"run_id": run.id, **{column: run[column] for column in states.RUN_STATE_COLUMNS}}
            for run in changed.values()
        ]
        session.execute(update(table).where(table.c.id == bindparam("run_id")), rows)
    return TaskRunBatchResult(
        created=len(new) + len(quick), accepted=accepted, refused=refused, repeated=repeated
    )


def _decided(index: int, run: actions.EndedRun, policies: Policies) -> NewRun:
    """An ended run as a creation and its final state's proposal (at ``index``), to be
    decided state by state with the batch's other proposals for it."""
    created = NewRun(creation_of(run), run[0], policies.of_retries(run[6]))
    created.later.append((index, final_proposal(run)))
    return created


def _holds(session: Session, run_id: UUID, proposed: actions.TaskRunBatchState) -> bool:
    """Whether the run already has a state of this type at this time (a refused proposal
    delivered before: the reporter sends a batch again when its answer was lost).

    Asked only of refused proposals, so a batch delivered once pays nothing.
    """
    timestamp = proposed.timestamp
    if timestamp is None:
        return False  # the server times such a proposal: a new one each delivery
    if timestamp.tzinfo is None:  # taken as UTC (see ``TaskRunBatchState``)
        timestamp = timestamp.replace(tzinfo=dt.UTC)
    table = orm.TaskRunState.__table__
    query = (
        select(table.c.id)
        .where(
            table.c.task_run_id == run_id,
            table.c.timestamp == timestamp,
            table.c.type == proposed.type.value,
        )
        .limit(1)
    )
    return session.execute(query).first() is not None


def _refusal(index: int, run_id: UUID, verdict: states.Decided) -> TaskRunBatchRefusal:
    result = verdict.result
    return TaskRunBatchRefusal(
        index=index,
        task_run_id=run_id,
        status=result.status,
        reason=getattr(result.details, "reason", None),
        state=result.state,
    )


def _index(refusal: TaskRunBatchRefusal) -> int:
    return refusal.index


def read_task_run(session: Session, run_id: UUID) -> orm.TaskRun:
    row: orm.TaskRun = read_run(session, M, run_id)
    return row


def read_task_runs(session: Session, request: TaskRunReadRequest) -> list[RunValues]:
    """Runs matching the request's filters, as plain mappings (see ``_reads``)."""
    return read_runs(
        session,
        M,
        _scope(request, session.get_bind().dialect.name),
        _SORTS[request.sort],
        limit=request.limit,
        offset=request.offset,
    )


def read_task_runs_json(session: Session, request: TaskRunReadRequest) -> bytes:
    """The runs :func:`read_task_runs` finds, as the API's JSON (see ``_run_json``)."""
    return run_json(M).read(
        session,
        _scope(request, session.get_bind().dialect.name),
        _SORTS[request.sort],
        limit=request.limit,
        offset=request.offset,
    )


def count_task_runs(session: Session, request: CountRequest) -> int:
    return count_runs(session, M, _scope(request, session.get_bind().dialect.name))


def _scope(request: TaskRunReadRequest | CountRequest, dialect: str) -> list:
    return run_scope(
        dialect,
        flows=request.flows,
        flow_runs=request.flow_runs,
        task_runs=request.task_runs,
        deployments=getattr(request, "deployments", None),
        target=M,
    )


def update_task_run(session: Session, run_id: UUID, update: actions.TaskRunUpdate) -> orm.TaskRun:
    row: orm.TaskRun = update_run(session, M, run_id, update)
    return row


def delete_task_run(session: Session, run_id: UUID) -> None:
    delete_run(session, M, run_id)


def set_task_run_state(
    session: Session, run_id: UUID, state: StateCreate, *, force: bool = False
) -> OrchestrationResult:
    row = states.lock_run(session, M, run_id)
    if row is None:
        raise NotFound.of("Task run", run_id)
    return states.set_run_state(
        session, "task_run", row, state, initial=states.state_of(row), force=force
    )
