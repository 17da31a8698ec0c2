"""The state-transition policy, case by case (see docs/states.md for the table)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from podium.schemas.responses import SetStateStatus
from podium.schemas.states import State, StateDetails, StateType
from podium.server.orchestration.policy import (
    RunKind,
    RunTimes,
    Transition,
    Verdict,
    account,
    judge,
)

NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)

ACCEPT = SetStateStatus.ACCEPT
REJECT = SetStateStatus.REJECT
WAIT = SetStateStatus.WAIT
ABORT = SetStateStatus.ABORT

S = StateType


def state(
    type_: StateType,
    name: str | None = None,
    *,
    at: dt.datetime = NOW,
    scheduled_in: float | None = None,
    retriable: bool | None = None,
    message: str | None = None,
) -> State:
    details = StateDetails(
        scheduled_time=None if scheduled_in is None else at + dt.timedelta(seconds=scheduled_in),
        retriable=retriable,
    )
    return State(type=type_, name=name, timestamp=at, state_details=details, message=message)


def propose(
    initial: State | None,
    proposed: State,
    *,
    kind: RunKind = "flow_run",
    force: bool = False,
    now: dt.datetime = NOW,
    **facts: Any,
) -> Verdict:
    return judge(Transition(kind, initial, proposed, now, **facts), force=force)


# (id, kind, current, proposed, run facts, expected status)
# fmt: off
CASES = [
    # --- happy paths -------------------------------------------------------------------------
    ("none->scheduled", "flow_run", None, state(S.SCHEDULED, scheduled_in=60), {}, ACCEPT),
    ("none->pending", "flow_run", None, state(S.PENDING), {}, ACCEPT),
    ("none->running", "task_run", None, state(S.RUNNING), {}, ACCEPT),
    ("scheduled(due)->pending", "flow_run", state(S.SCHEDULED, scheduled_in=0),
     state(S.PENDING), {}, ACCEPT),
    ("scheduled(past)->running", "flow_run", state(S.SCHEDULED, at=NOW, scheduled_in=-5),
     state(S.RUNNING), {}, ACCEPT),
    ("late->pending", "flow_run", state(S.SCHEDULED, "Late", scheduled_in=-300),
     state(S.PENDING), {}, ACCEPT),
    ("pending->running", "flow_run", state(S.PENDING), state(S.RUNNING), {}, ACCEPT),
    ("running->completed", "flow_run", state(S.RUNNING), state(S.COMPLETED), {}, ACCEPT),
    ("running->cached", "task_run", state(S.RUNNING), state(S.COMPLETED, "Cached"), {}, ACCEPT),
    ("pending->cached", "task_run", state(S.PENDING), state(S.COMPLETED, "Cached"), {}, ACCEPT),
    ("running->failed no retries", "flow_run", state(S.RUNNING), state(S.FAILED),
     {"run_count": 1, "retries": 0}, ACCEPT),
    ("running->timedout", "flow_run", state(S.RUNNING), state(S.FAILED, "TimedOut"),
     {"run_count": 1}, ACCEPT),
    ("running->crashed", "flow_run", state(S.RUNNING), state(S.CRASHED),
     {"run_count": 1, "retries": 3}, ACCEPT),
    ("running->cancelled", "flow_run", state(S.RUNNING), state(S.CANCELLED), {}, ACCEPT),
    ("running->cancelling", "flow_run", state(S.RUNNING), state(S.CANCELLING), {}, ACCEPT),
    ("scheduled->cancelling", "flow_run", state(S.SCHEDULED, scheduled_in=600),
     state(S.CANCELLING), {}, ACCEPT),
    ("cancelling->cancelled", "flow_run", state(S.CANCELLING), state(S.CANCELLED), {}, ACCEPT),
    ("cancelling->completed", "flow_run", state(S.CANCELLING), state(S.COMPLETED), {}, ACCEPT),
    ("running->paused", "flow_run", state(S.RUNNING), state(S.PAUSED), {}, ACCEPT),
    ("paused->running", "flow_run", state(S.PAUSED), state(S.RUNNING), {}, ACCEPT),
    ("paused->pending", "flow_run", state(S.PAUSED), state(S.PENDING), {}, ACCEPT),
    ("paused->cancelled", "flow_run", state(S.PAUSED), state(S.CANCELLED), {}, ACCEPT),
    ("running->awaitingretry (task)", "task_run", state(S.RUNNING),
     state(S.SCHEDULED, "AwaitingRetry", scheduled_in=10), {}, ACCEPT),
    ("awaitingretry(due)->running", "flow_run",
     state(S.SCHEDULED, "AwaitingRetry", scheduled_in=-1), state(S.RUNNING), {}, ACCEPT),
    ("retrying in place (task)", "task_run", state(S.RUNNING), state(S.RUNNING, "Retrying"),
     {"run_count": 1, "retries": 2}, ACCEPT),
    # --- leaving a terminal state: only by rescheduling -----------------------------------------
    ("completed->scheduled (rerun)", "flow_run", state(S.COMPLETED), state(S.SCHEDULED), {},
     ACCEPT),
    ("failed->awaitingretry (manual retry)", "flow_run", state(S.FAILED),
     state(S.SCHEDULED, "AwaitingRetry"), {}, ACCEPT),
    ("crashed->scheduled", "flow_run", state(S.CRASHED), state(S.SCHEDULED), {}, ACCEPT),
    ("cancelled->scheduled", "flow_run", state(S.CANCELLED), state(S.SCHEDULED), {}, ACCEPT),
    ("task failed->awaitingretry", "task_run", state(S.FAILED),
     state(S.SCHEDULED, "AwaitingRetry", scheduled_in=5), {}, ACCEPT),
    ("completed->completed", "flow_run", state(S.COMPLETED), state(S.COMPLETED), {}, REJECT),
    ("cached->completed", "task_run", state(S.COMPLETED, "Cached"), state(S.COMPLETED), {},
     REJECT),
    ("completed->running", "flow_run", state(S.COMPLETED), state(S.RUNNING), {}, REJECT),
    ("completed->pending", "flow_run", state(S.COMPLETED), state(S.PENDING), {}, REJECT),
    ("completed->failed", "flow_run", state(S.COMPLETED), state(S.FAILED), {}, REJECT),
    ("failed->running", "flow_run", state(S.FAILED), state(S.RUNNING), {}, REJECT),
    ("failed->completed", "task_run", state(S.FAILED), state(S.COMPLETED), {}, REJECT),
    ("failed->cancelling", "flow_run", state(S.FAILED), state(S.CANCELLING), {}, REJECT),
    ("crashed->completed", "flow_run", state(S.CRASHED), state(S.COMPLETED), {}, REJECT),
    ("crashed->paused", "flow_run", state(S.CRASHED), state(S.PAUSED), {}, REJECT),
    ("cancelled->running", "flow_run", state(S.CANCELLED), state(S.RUNNING), {}, REJECT),
    ("cancelled->cancelled", "flow_run", state(S.CANCELLED), state(S.CANCELLED), {}, REJECT),
    # --- one run, one runner --------------------------------------------------------------------
    ("running->running (flow)", "flow_run", state(S.RUNNING), state(S.RUNNING), {}, REJECT),
    ("running->running (task)", "task_run", state(S.RUNNING), state(S.RUNNING), {}, REJECT),
    ("running->retrying (flow)", "flow_run", state(S.RUNNING), state(S.RUNNING, "Retrying"), {},
     REJECT),
    ("running->pending", "flow_run", state(S.RUNNING), state(S.PENDING), {}, ABORT),
    ("pending->pending", "flow_run", state(S.PENDING), state(S.PENDING), {}, ABORT),
    ("cancelled->pending", "flow_run", state(S.CANCELLED), state(S.PENDING), {}, ABORT),
    # --- cancelling may only end ----------------------------------------------------------------
    ("cancelling->pending", "flow_run", state(S.CANCELLING), state(S.PENDING), {}, ABORT),
    ("cancelling->running", "flow_run", state(S.CANCELLING), state(S.RUNNING), {}, ABORT),
    ("cancelling->scheduled", "flow_run", state(S.CANCELLING), state(S.SCHEDULED), {}, ABORT),
    ("cancelling->paused", "flow_run", state(S.CANCELLING), state(S.PAUSED), {}, ABORT),
    ("cancelling->cancelling", "task_run", state(S.CANCELLING), state(S.CANCELLING), {}, ABORT),
    # --- not before the scheduled time ----------------------------------------------------------
    ("scheduled(future)->pending", "flow_run", state(S.SCHEDULED, scheduled_in=30),
     state(S.PENDING), {}, WAIT),
    ("scheduled(future)->running", "task_run", state(S.SCHEDULED, scheduled_in=30),
     state(S.RUNNING), {}, WAIT),
    ("awaitingretry(future)->running", "flow_run",
     state(S.SCHEDULED, "AwaitingRetry", scheduled_in=5), state(S.RUNNING), {}, WAIT),
]
# fmt: on


@pytest.mark.parametrize(
    ("kind", "current", "proposed", "facts", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_transition_table(
    kind: RunKind,
    current: State | None,
    proposed: State,
    facts: dict[str, Any],
    expected: SetStateStatus,
) -> None:
    verdict = propose(current, proposed, kind=kind, **facts)

    assert verdict.status == expected, verdict.reason
    if expected == ACCEPT:
        assert verdict.state is not None
        assert (verdict.state.type, verdict.state.name) == (proposed.type, proposed.name)
        assert verdict.reason is None
    else:
        assert verdict.state == current
        assert verdict.reason


# --- retries -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("run_count", "retries", "retried"),
    [(1, 0, False), (1, 1, True), (2, 1, False), (1, 3, True), (3, 3, True), (4, 3, False)],
)
def test_failed_flow_run_is_retried_while_run_count_within_retries(
    run_count: int, retries: int, retried: bool
) -> None:
    verdict = propose(state(S.RUNNING), state(S.FAILED), run_count=run_count, retries=retries)

    assert verdict.status == ACCEPT
    assert verdict.state is not None
    expected = (S.SCHEDULED, "AwaitingRetry") if retried else (S.FAILED, "Failed")
    assert (verdict.state.type, verdict.state.name) == expected


def test_retry_is_scheduled_after_the_retry_delay_and_keeps_the_failure_message() -> None:
    failed = state(S.FAILED, message="boom", retriable=True)

    verdict = propose(state(S.RUNNING), failed, run_count=1, retries=2, retry_delay=30)

    assert verdict.state is not None
    assert verdict.state.name == "AwaitingRetry"
    assert verdict.state.state_details.scheduled_time == NOW + dt.timedelta(seconds=30)
    assert verdict.state.message == "boom"


def test_a_retry_without_delay_is_due_at_once_and_the_run_can_start() -> None:
    retry = propose(state(S.RUNNING), state(S.FAILED), run_count=1, retries=1).state
    assert retry is not None
    assert retry.state_details.scheduled_time == NOW

    assert propose(retry, state(S.RUNNING), run_count=1, retries=1).status == ACCEPT


def test_the_retry_waits_for_its_delay_then_runs() -> None:
    retry = propose(state(S.RUNNING), state(S.FAILED), run_count=1, retries=1, retry_delay=20).state
    assert retry is not None

    early = propose(retry, state(S.RUNNING), now=NOW + dt.timedelta(seconds=5))
    assert early.status == WAIT
    assert early.delay_seconds == pytest.approx(15)

    on_time = propose(retry, state(S.RUNNING), now=NOW + dt.timedelta(seconds=20))
    assert on_time.status == ACCEPT


def test_failure_marked_not_retriable_is_not_retried() -> None:
    verdict = propose(state(S.RUNNING), state(S.FAILED, retriable=False), run_count=1, retries=3)

    assert verdict.status == ACCEPT
    assert verdict.state is not None
    assert verdict.state.type == S.FAILED


def test_task_run_failure_is_left_to_the_engine() -> None:
    verdict = propose(state(S.RUNNING), state(S.FAILED), kind="task_run", run_count=1, retries=3)

    assert verdict.state is not None
    assert verdict.state.type == S.FAILED


def test_flow_run_failing_before_running_is_not_retried() -> None:
    verdict = propose(state(S.PENDING), state(S.FAILED), run_count=0, retries=3)

    assert verdict.state is not None
    assert verdict.state.type == S.FAILED


@pytest.mark.parametrize(
    ("from_deployment", "run_count", "retried"),
    [(True, 1, True), (True, 2, True), (True, 3, False), (False, 1, False)],
)
def test_crashed_deployment_run_is_retried_like_a_failure(
    from_deployment: bool, run_count: int, retried: bool
) -> None:
    verdict = propose(
        state(S.RUNNING),
        state(S.CRASHED),
        run_count=run_count,
        retries=2,
        retry_delay=10,
        from_deployment=from_deployment,
    )

    assert verdict.state is not None
    if retried:
        assert verdict.state.name == "AwaitingRetry"
        assert verdict.state.state_details.scheduled_time == NOW + dt.timedelta(seconds=10)
    else:
        assert verdict.state.type == S.CRASHED


def test_deployment_run_crashing_while_pending_is_not_rescheduled_forever() -> None:
    # A crash before the run ever starts does not increase run_count, so
    # retrying it would never use up a retry.
    current = state(S.PENDING)
    for _ in range(3):
        verdict = propose(current, state(S.CRASHED), run_count=0, retries=1, from_deployment=True)
        assert verdict.state is not None
        assert verdict.state.type == S.CRASHED
        current = state(S.PENDING)


# --- refusals and their reasons ------------------------------------------------------------------


def test_leaving_a_terminal_state_names_both_states() -> None:
    verdict = propose(state(S.FAILED, "TimedOut"), state(S.RUNNING))

    assert verdict.status == REJECT
    assert verdict.reason is not None
    assert "TimedOut (FAILED)" in verdict.reason
    assert "RUNNING" in verdict.reason
    assert "SCHEDULED" in verdict.reason


def test_duplicate_completed_is_refused_and_keeps_the_first_result() -> None:
    first = State(type=S.COMPLETED, timestamp=NOW, data={"result": 1})

    verdict = propose(first, State(type=S.COMPLETED, timestamp=NOW, data={"result": 2}))

    assert verdict.status == REJECT
    assert verdict.state == first
    assert verdict.reason is not None
    assert "duplicate" in verdict.reason.lower()


def test_second_worker_claiming_a_pending_run_is_aborted() -> None:
    scheduled = state(S.SCHEDULED, scheduled_in=0)
    first = propose(scheduled, state(S.PENDING))
    assert first.status == ACCEPT
    assert first.state is not None

    second = propose(first.state, state(S.PENDING))

    assert second.status == ABORT
    assert second.state == first.state
    assert second.reason is not None
    assert "PENDING" in second.reason


def test_running_run_cannot_go_back_to_pending() -> None:
    verdict = propose(state(S.RUNNING), state(S.PENDING))

    assert verdict.status == ABORT
    assert verdict.reason is not None
    assert "RUNNING" in verdict.reason


def test_cancelling_run_asked_to_run_is_aborted_with_reason() -> None:
    verdict = propose(state(S.CANCELLING), state(S.RUNNING))

    assert verdict.status == ABORT
    assert verdict.state is not None
    assert verdict.state.type == S.CANCELLING
    assert verdict.reason is not None
    assert "CANCELLING" in verdict.reason


def test_wait_reports_the_time_left_before_the_scheduled_time() -> None:
    scheduled = state(S.SCHEDULED, at=NOW, scheduled_in=90)

    verdict = propose(scheduled, state(S.RUNNING))

    assert verdict.status == WAIT
    assert verdict.delay_seconds == pytest.approx(90)
    assert verdict.state == scheduled
    assert verdict.reason


# --- scheduled states get a time -----------------------------------------------------------------


def test_scheduled_state_without_time_is_scheduled_for_now() -> None:
    verdict = propose(None, State(type=S.SCHEDULED, timestamp=NOW))

    assert verdict.state is not None
    assert verdict.state.state_details.scheduled_time == NOW


def test_scheduled_state_keeps_its_own_time() -> None:
    verdict = propose(None, state(S.SCHEDULED, scheduled_in=3600))

    assert verdict.state is not None
    assert verdict.state.state_details.scheduled_time == NOW + dt.timedelta(hours=1)


# --- force ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "proposed", "facts"),
    [
        pytest.param(state(S.COMPLETED), state(S.RUNNING), {}, id="completed->running"),
        pytest.param(state(S.COMPLETED), state(S.COMPLETED), {}, id="duplicate completed"),
        pytest.param(state(S.RUNNING), state(S.PENDING), {}, id="running->pending"),
        pytest.param(state(S.CANCELLING), state(S.RUNNING), {}, id="cancelling->running"),
        pytest.param(
            state(S.SCHEDULED, scheduled_in=600), state(S.RUNNING), {}, id="before its time"
        ),
        pytest.param(
            state(S.RUNNING), state(S.FAILED), {"run_count": 1, "retries": 3}, id="no retry"
        ),
        pytest.param(None, State(type=S.SCHEDULED, timestamp=NOW), {}, id="no time filled in"),
    ],
)
def test_force_accepts_the_proposal_exactly_as_made(
    current: State | None, proposed: State, facts: dict[str, Any]
) -> None:
    # Without force the rules refuse the proposal or change it.
    assert propose(current, proposed, **facts).state != proposed

    verdict = propose(current, proposed, force=True, **facts)

    assert verdict.status == ACCEPT
    assert verdict.state == proposed


# --- bookkeeping ---------------------------------------------------------------------------------

EMPTY = RunTimes(
    run_count=0,
    start_time=None,
    end_time=None,
    total_run_time=dt.timedelta(0),
    expected_start_time=None,
    next_scheduled_start_time=None,
)


def at(seconds: float) -> dt.datetime:
    return NOW + dt.timedelta(seconds=seconds)


def test_account_follows_a_flow_run_through_a_retry() -> None:
    scheduled = State(
        type=S.SCHEDULED, timestamp=at(0), state_details=StateDetails(scheduled_time=at(10))
    )
    pending = State(type=S.PENDING, timestamp=at(10))
    running = State(type=S.RUNNING, timestamp=at(11))
    retry = State(
        type=S.SCHEDULED,
        name="AwaitingRetry",
        timestamp=at(15),
        state_details=StateDetails(scheduled_time=at(45)),
    )
    running_again = State(type=S.RUNNING, timestamp=at(45))
    completed = State(type=S.COMPLETED, timestamp=at(52))

    times = account(EMPTY, None, scheduled, at(0))
    assert times.next_scheduled_start_time == at(10)
    assert times.expected_start_time == at(10)
    assert times.run_count == 0

    times = account(times, scheduled, pending, at(10))
    times = account(times, pending, running, at(11))
    assert times.run_count == 1
    assert times.start_time == at(11)
    assert times.next_scheduled_start_time is None

    times = account(times, running, retry, at(15))
    assert times.total_run_time == dt.timedelta(seconds=4)
    assert times.next_scheduled_start_time == at(45)
    assert times.end_time is None

    times = account(times, retry, running_again, at(45))
    assert times.run_count == 2
    assert times.start_time == at(11)

    times = account(times, running_again, completed, at(52))
    assert times.run_count == 2
    assert times.total_run_time == dt.timedelta(seconds=4 + 7)
    assert times.end_time == at(52)
    assert times.expected_start_time == at(10)
    assert times.next_scheduled_start_time is None


def test_account_counts_a_task_retrying_in_place() -> None:
    running = State(type=S.RUNNING, timestamp=at(0))
    retrying = State(type=S.RUNNING, name="Retrying", timestamp=at(3))
    completed = State(type=S.COMPLETED, timestamp=at(5))

    times = account(EMPTY, None, running, at(0))
    times = account(times, running, retrying, at(3))
    assert times.run_count == 2
    assert times.total_run_time == dt.timedelta(seconds=3)

    times = account(times, retrying, completed, at(5))
    assert times.total_run_time == dt.timedelta(seconds=5)
    assert times.start_time == at(0)
    assert times.end_time == at(5)


def test_account_without_a_scheduled_state_expects_the_first_state_time() -> None:
    times = account(EMPTY, None, State(type=S.PENDING, timestamp=at(7)), at(7))

    assert times.expected_start_time == at(7)
    assert times.run_count == 0
    assert times.start_time is None


def test_rerun_of_a_finished_run_clears_its_end_time() -> None:
    running = State(type=S.RUNNING, timestamp=at(0))
    failed = State(type=S.FAILED, timestamp=at(2))
    rerun = State(
        type=S.SCHEDULED, timestamp=at(60), state_details=StateDetails(scheduled_time=at(60))
    )

    times = account(EMPTY, None, running, at(0))
    times = account(times, running, failed, at(2))
    assert times.end_time == at(2)

    times = account(times, failed, rerun, at(60))
    assert times.end_time is None
    assert times.next_scheduled_start_time == at(60)
