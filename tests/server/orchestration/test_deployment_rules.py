"""Rules added for deployments: concurrency slots at claim time, crashes while cancelling."""

from __future__ import annotations

import datetime as dt

import pytest

from podium.schemas.deployments import ConcurrencyLimitStrategy
from podium.schemas.responses import SetStateStatus
from podium.schemas.states import State, StateType
from podium.server.orchestration.policy import (
    DeploymentSlots,
    Transition,
    judge,
    secure_deployment_slot,
)

NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
S = StateType
ENQUEUE = ConcurrencyLimitStrategy.ENQUEUE
CANCEL_NEW = ConcurrencyLimitStrategy.CANCEL_NEW


def _state(type_: StateType, message: str | None = None) -> State:
    return State(type=type_, timestamp=NOW, message=message)


def _claim(slots: DeploymentSlots | None, initial: StateType | None = S.SCHEDULED) -> Transition:
    return Transition(
        kind="flow_run",
        initial=_state(initial) if initial else None,
        proposed=_state(S.PENDING),
        now=NOW,
        deployment_slots=slots,
    )


@pytest.mark.parametrize(
    ("slots", "expected"),
    [
        (None, SetStateStatus.ACCEPT),
        (DeploymentSlots(2, 1, ENQUEUE), SetStateStatus.ACCEPT),
        (DeploymentSlots(2, 1, CANCEL_NEW), SetStateStatus.ACCEPT),
        (DeploymentSlots(1, 1, ENQUEUE), SetStateStatus.REJECT),
    ],
)
def test_claim_within_or_at_the_limit(
    slots: DeploymentSlots | None, expected: SetStateStatus
) -> None:
    verdict = judge(_claim(slots))

    assert verdict.status == expected
    if expected == SetStateStatus.REJECT:
        assert verdict.reason is not None and "concurrency limit (1)" in verdict.reason
        assert verdict.state is not None and verdict.state.type == S.SCHEDULED


def test_cancel_new_cancels_a_claim_at_the_limit_with_a_reason() -> None:
    verdict = judge(_claim(DeploymentSlots(1, 1, CANCEL_NEW)))

    assert verdict.status == SetStateStatus.ACCEPT
    assert verdict.state is not None and verdict.state.type == S.CANCELLED
    assert verdict.state.message is not None and "CANCEL_NEW" in verdict.state.message


@pytest.mark.parametrize("initial", [S.RUNNING, S.PENDING, S.CANCELLED])
def test_the_slot_rule_leaves_other_claims_to_the_other_rules(initial: StateType) -> None:
    assert secure_deployment_slot(_claim(DeploymentSlots(1, 5, CANCEL_NEW), initial)) is None


def test_a_crash_while_cancelling_is_recorded_as_cancelled() -> None:
    verdict = judge(
        Transition(
            kind="flow_run",
            initial=_state(S.CANCELLING, "Cancelled from the CLI."),
            proposed=_state(S.CRASHED, "Terminated by SIGTERM"),
            now=NOW,
            from_deployment=True,
            run_count=1,
            retries=3,
        )
    )

    assert verdict.status == SetStateStatus.ACCEPT
    assert verdict.state is not None
    assert (verdict.state.type, verdict.state.name) == (S.CANCELLED, "Cancelled")
    assert verdict.state.message == "Cancelled from the CLI."
