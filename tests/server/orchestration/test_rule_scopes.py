"""Each rule declares the transitions it concerns; judge asks only those rules.

A declaration narrower than the rule's own guard would silently drop an
objection, so every rule is asked about every transition outside its
declaration (and must step aside), and judge is compared with asking every
rule in order.
"""

from __future__ import annotations

import datetime as dt
import itertools

from hypothesis import given
from hypothesis import strategies as st

from podium.schemas.deployments import ConcurrencyLimitStrategy
from podium.schemas.responses import SetStateStatus
from podium.schemas.states import DEFAULT_STATE_NAMES, State, StateDetails, StateType
from podium.server.orchestration.policy import (
    CLAIM_RULES,
    RULES,
    DeploymentSlots,
    RunKind,
    Transition,
    Verdict,
    WorkSlots,
    judge,
    may_object,
)

NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
KINDS: tuple[RunKind, ...] = ("flow_run", "task_run")
TYPES: list[StateType | None] = [None, *StateType]
NAMES = ["Retrying", "AwaitingRetry", "Late", None]


def _state(type_: StateType, name: str | None, scheduled_in: float | None) -> State:
    details = StateDetails(
        scheduled_time=None if scheduled_in is None else NOW + dt.timedelta(seconds=scheduled_in)
    )
    return State(
        type=type_, name=name or DEFAULT_STATE_NAMES[type_], timestamp=NOW, state_details=details
    )


def _transitions(kind: RunKind, initial: StateType | None, proposed: StateType):
    full_pool = WorkSlots("pool", 1, 1)
    for name, scheduled_in, busy, retries in itertools.product(
        NAMES, [None, -5.0, 60.0], [False, True], [0, 2]
    ):
        yield Transition(
            kind=kind,
            initial=None if initial is None else _state(initial, None, scheduled_in),
            proposed=_state(proposed, name, scheduled_in),
            now=NOW,
            run_count=1,
            retries=retries,
            from_deployment=True,
            deployment_slots=DeploymentSlots(1, 1) if busy else None,
            pool_slots=full_pool if busy else None,
            queue_slots=full_pool if busy else None,
        )


def test_every_rule_steps_aside_outside_what_it_concerns() -> None:
    for rule in RULES:
        kinds, initials, proposeds = rule.concerns  # type: ignore[attr-defined]
        for kind, initial, proposed in itertools.product(KINDS, TYPES, StateType):
            if kind in kinds and initial in initials and proposed in proposeds:
                continue
            for transition in _transitions(kind, initial, proposed):
                assert rule(transition) is None, (rule.__name__, kind, initial, proposed)


def _every_rule_in_order(t: Transition, rules=RULES) -> Verdict:
    for rule in rules:
        outcome = rule(t)
        if isinstance(outcome, Verdict):
            return outcome
        if outcome is not None:
            t = t._replace(proposed=outcome)
    return Verdict(SetStateStatus.ACCEPT, t.proposed)


def _same(one: Verdict, other: Verdict) -> bool:
    def shape(v: Verdict):
        state = v.state
        return (
            v.status,
            v.reason,
            v.delay_seconds,
            None if state is None else state.model_dump(exclude={"id"}),
        )

    return shape(one) == shape(other)


slots = st.none() | st.builds(WorkSlots, st.just("w"), st.integers(0, 2), st.integers(0, 2))


@given(
    kind=st.sampled_from(KINDS),
    initial=st.sampled_from(TYPES),
    initial_scheduled_in=st.sampled_from([None, -5.0, 60.0]),
    proposed=st.sampled_from(list(StateType)),
    name=st.sampled_from(NAMES),
    scheduled_in=st.sampled_from([None, -5.0, 60.0]),
    retriable=st.sampled_from([None, True, False]),
    run_count=st.integers(0, 3),
    retries=st.integers(0, 3),
    from_deployment=st.booleans(),
    deployment=st.none()
    | st.builds(
        DeploymentSlots,
        st.integers(0, 2),
        st.integers(0, 2),
        st.sampled_from(list(ConcurrencyLimitStrategy)),
    ),
    pool=slots,
    queue=slots,
    claim_only=st.booleans(),
)
def test_judge_answers_what_asking_every_rule_answers(
    kind: RunKind,
    initial: StateType | None,
    initial_scheduled_in: float | None,
    proposed: StateType,
    name: str | None,
    scheduled_in: float | None,
    retriable: bool | None,
    run_count: int,
    retries: int,
    from_deployment: bool,
    deployment: DeploymentSlots | None,
    pool: WorkSlots | None,
    queue: WorkSlots | None,
    claim_only: bool,
) -> None:
    state = _state(proposed, name, scheduled_in)
    state.state_details.retriable = retriable
    transition = Transition(
        kind=kind,
        initial=None if initial is None else _state(initial, None, initial_scheduled_in),
        proposed=state,
        now=NOW,
        run_count=run_count,
        retries=retries,
        retry_delay=5.0,
        from_deployment=from_deployment,
        deployment_slots=deployment,
        pool_slots=pool,
        queue_slots=queue,
    )
    rules = CLAIM_RULES if claim_only else RULES

    assert _same(judge(transition, rules=rules), _every_rule_in_order(transition, rules))


def test_a_transition_no_rule_may_object_to_is_accepted_as_proposed() -> None:
    # ``may_object`` lets the hot paths skip judging; it must never skip a rule
    # that would object to, or replace, the proposal.
    for kind, initial, proposed in itertools.product(KINDS, TYPES, StateType):
        if may_object(kind, initial, proposed):
            continue
        for transition in _transitions(kind, initial, proposed):
            verdict = judge(transition)
            assert verdict.status == SetStateStatus.ACCEPT, (kind, initial, proposed)
            assert verdict.state is transition.proposed, (kind, initial, proposed)


def test_may_object_names_the_transitions_rules_concern() -> None:
    assert may_object("task_run", StateType.RUNNING, StateType.RUNNING)  # single_running
    assert may_object("task_run", StateType.COMPLETED, StateType.COMPLETED)
    assert may_object("flow_run", StateType.RUNNING, StateType.FAILED)  # retries
    assert not may_object("task_run", None, StateType.RUNNING)
    assert not may_object("task_run", StateType.RUNNING, StateType.COMPLETED)
