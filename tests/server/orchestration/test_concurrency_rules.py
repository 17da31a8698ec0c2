"""The claim rule for work pool and work queue concurrency limits."""

from __future__ import annotations

import datetime as dt

import pytest

from podium.schemas.deployments import ConcurrencyLimitStrategy
from podium.schemas.responses import SetStateStatus
from podium.schemas.states import State, StateType
from podium.server.orchestration.policy import (
    CLAIM_RULES,
    DeploymentSlots,
    Transition,
    WorkSlots,
    judge,
    secure_pool_and_queue_slots,
)

NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
S = StateType


def _state(type_: StateType) -> State:
    return State(type=type_, timestamp=NOW)


def _claim(
    pool: WorkSlots | None = None,
    queue: WorkSlots | None = None,
    *,
    initial: StateType | None = S.SCHEDULED,
    proposed: StateType = S.PENDING,
    deployment: DeploymentSlots | None = None,
) -> Transition:
    return Transition(
        kind="flow_run",
        initial=_state(initial) if initial else None,
        proposed=_state(proposed),
        now=NOW,
        deployment_slots=deployment,
        pool_slots=pool,
        queue_slots=queue,
    )


@pytest.mark.parametrize(
    ("pool", "queue"),
    [
        (None, None),
        (WorkSlots("p", 2, 1), None),
        (None, WorkSlots("q", 2, 1)),
        (WorkSlots("p", 3, 2), WorkSlots("q", 1, 0)),
    ],
)
def test_a_claim_with_free_slots_is_accepted(
    pool: WorkSlots | None, queue: WorkSlots | None
) -> None:
    verdict = judge(_claim(pool, queue))

    assert verdict.status == SetStateStatus.ACCEPT
    assert verdict.state is not None and verdict.state.type == S.PENDING


@pytest.mark.parametrize("busy", [1, 2])
def test_a_claim_at_the_pool_limit_is_rejected_naming_the_pool(busy: int) -> None:
    verdict = judge(_claim(WorkSlots("gpu", 1, busy), WorkSlots("q", 5, 0)))

    assert verdict.status == SetStateStatus.REJECT
    assert verdict.state is not None and verdict.state.type == S.SCHEDULED
    assert verdict.reason is not None
    assert "work pool 'gpu'" in verdict.reason and "concurrency limit (1)" in verdict.reason


def test_a_claim_at_the_queue_limit_is_rejected_naming_the_queue() -> None:
    verdict = judge(_claim(WorkSlots("p", 5, 0), WorkSlots("high", 2, 2)))

    assert verdict.status == SetStateStatus.REJECT
    assert verdict.reason is not None
    assert "work queue 'high'" in verdict.reason and "concurrency limit (2)" in verdict.reason


def test_a_run_without_a_state_is_checked_too() -> None:
    verdict = judge(_claim(WorkSlots("p", 1, 1), initial=None))

    assert verdict.status == SetStateStatus.REJECT


@pytest.mark.parametrize("initial", [S.RUNNING, S.PENDING, S.CANCELLED, S.PAUSED])
def test_other_claims_are_left_to_the_other_rules(initial: StateType) -> None:
    full = WorkSlots("p", 1, 9)
    assert secure_pool_and_queue_slots(_claim(full, full, initial=initial)) is None


@pytest.mark.parametrize("proposed", [S.RUNNING, S.SCHEDULED, S.CANCELLED, S.COMPLETED])
def test_only_claims_take_a_slot(proposed: StateType) -> None:
    full = WorkSlots("p", 1, 9)
    assert secure_pool_and_queue_slots(_claim(full, full, proposed=proposed)) is None


def test_task_runs_are_not_counted() -> None:
    full = WorkSlots("p", 1, 9)
    transition = Transition(
        kind="task_run",
        initial=_state(S.SCHEDULED),
        proposed=_state(S.PENDING),
        now=NOW,
        pool_slots=full,
        queue_slots=full,
    )
    assert secure_pool_and_queue_slots(transition) is None


def test_a_deployment_cancelling_its_run_comes_before_the_pool() -> None:
    deployment = DeploymentSlots(1, 1, ConcurrencyLimitStrategy.CANCEL_NEW)
    verdict = judge(_claim(WorkSlots("p", 1, 1), deployment=deployment), rules=CLAIM_RULES)

    assert verdict.status == SetStateStatus.ACCEPT
    assert verdict.state is not None and verdict.state.type == S.CANCELLED


def test_a_free_deployment_slot_does_not_override_a_full_pool() -> None:
    deployment = DeploymentSlots(5, 0, ConcurrencyLimitStrategy.ENQUEUE)
    verdict = judge(_claim(WorkSlots("p", 1, 1), deployment=deployment), rules=CLAIM_RULES)

    assert verdict.status == SetStateStatus.REJECT
    assert verdict.reason is not None and "work pool 'p'" in verdict.reason
