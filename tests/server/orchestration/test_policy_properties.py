"""Properties of the policy over whole runs: random proposals, checked against the table.

The table below is docs/states.md written out again; it is deliberately not
derived from the rules, so that a rule that drifts from the documented policy
is caught here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from podium.schemas.responses import SetStateStatus
from podium.schemas.states import State, StateDetails, StateType
from podium.server.orchestration.policy import RunKind, RunTimes, Transition, account, judge

S = StateType
T0 = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)
TERMINAL = {S.COMPLETED, S.FAILED, S.CRASHED, S.CANCELLED}

# A = accept, R = reject, X = abort, W = accept, or wait while the scheduled time is ahead.
# Two cells have exceptions, checked in `expected_verdict`: RUNNING -> RUNNING is accepted for
# a task run's "Retrying", and a flow run's FAILED (or, from a deployment, CRASHED) from
# RUNNING is recorded as AwaitingRetry while retries are left.
TABLE = """
            SCHEDULED PENDING RUNNING PAUSED CANCELLING COMPLETED FAILED CRASHED CANCELLED
none        A         A       A       A      A          A         A      A       A
SCHEDULED   A         W       W       A      A          A         A      A       A
PENDING     A         X       A       A      A          A         A      A       A
RUNNING     A         X       R       A      A          A         A      A       A
PAUSED      A         A       A       A      A          A         A      A       A
CANCELLING  X         X       X       X      X          A         A      A       A
COMPLETED   A         R       R       R      R          R         R      R       R
FAILED      A         R       R       R      R          R         R      R       R
CRASHED     A         R       R       R      R          R         R      R       R
CANCELLED   A         X       R       R      R          R         R      R       R
"""


def _parse(table: str) -> dict[tuple[StateType | None, StateType], str]:
    header, *rows = table.strip().splitlines()
    columns = [StateType(name) for name in header.split()]
    cells: dict[tuple[StateType | None, StateType], str] = {}
    for row in rows:
        name, *codes = row.split()
        current = None if name == "none" else StateType(name)
        assert len(codes) == len(columns)
        for column, code in zip(columns, codes, strict=True):
            cells[current, column] = code
    return cells


CELLS = _parse(TABLE)
ALLOWED = {pair for pair, code in CELLS.items() if code in {"A", "W"}} | {
    (S.RUNNING, S.RUNNING),  # a task run's Retrying
}

NAMES: dict[StateType, list[str | None]] = {
    S.SCHEDULED: [None, "Scheduled", "Late", "AwaitingRetry"],
    S.PENDING: [None, "Pending"],
    S.RUNNING: [None, "Running", "Retrying"],
    S.PAUSED: [None, "Paused"],
    S.CANCELLING: [None, "Cancelling"],
    S.COMPLETED: [None, "Completed", "Cached"],
    S.FAILED: [None, "Failed", "TimedOut"],
    S.CRASHED: [None, "Crashed"],
    S.CANCELLED: [None, "Cancelled"],
}


# --- the run being driven --------------------------------------------------------------------


@dataclass(frozen=True)
class RunFacts:
    kind: RunKind
    retries: int
    retry_delay: float
    from_deployment: bool


@dataclass(frozen=True)
class Proposal:
    type: StateType
    name: str | None
    force: bool
    advance: float
    scheduled_in: float | None
    retriable: bool | None


@dataclass(frozen=True)
class Step:
    now: dt.datetime
    before: State | None
    proposal: Proposal
    proposed: State
    status: SetStateStatus
    after: State | None
    reason: str | None
    delay_seconds: float
    run_count_before: int


@dataclass
class Run:
    facts: RunFacts
    now: dt.datetime = T0
    state: State | None = None
    times: RunTimes = field(
        default_factory=lambda: RunTimes(0, None, None, dt.timedelta(0), None, None)
    )
    steps: list[Step] = field(default_factory=list)

    def propose(self, p: Proposal) -> Step:
        self.now += dt.timedelta(seconds=p.advance)
        details = StateDetails(
            scheduled_time=(
                None if p.scheduled_in is None else self.now + dt.timedelta(seconds=p.scheduled_in)
            ),
            retriable=p.retriable,
        )
        proposed = State(type=p.type, name=p.name, timestamp=self.now, state_details=details)
        transition = Transition(
            kind=self.facts.kind,
            initial=self.state,
            proposed=proposed,
            now=self.now,
            run_count=self.times.run_count,
            retries=self.facts.retries,
            retry_delay=self.facts.retry_delay,
            from_deployment=self.facts.from_deployment,
        )
        verdict = judge(transition, force=p.force)
        step = Step(
            now=self.now,
            before=self.state,
            proposal=p,
            proposed=proposed,
            status=verdict.status,
            after=verdict.state,
            reason=verdict.reason,
            delay_seconds=verdict.delay_seconds,
            run_count_before=self.times.run_count,
        )
        if verdict.accepted:
            assert verdict.state is not None
            self.times = account(self.times, self.state, verdict.state, self.now)
            self.state = verdict.state
        self.steps.append(step)
        return step

    @property
    def accepted(self) -> list[Step]:
        return [s for s in self.steps if s.status == SetStateStatus.ACCEPT]


# --- the documented policy, independently --------------------------------------------------------


def expected_verdict(run: RunFacts, step: Step) -> tuple[SetStateStatus, StateType, str | None]:
    """Status, recorded type and recorded name the table gives for this proposal."""
    p = step.proposal
    proposed_name = step.proposed.name
    if p.force:
        return SetStateStatus.ACCEPT, p.type, proposed_name
    current = step.before.type if step.before else None
    code = CELLS[current, p.type]

    if current == S.RUNNING and p.type == S.RUNNING:
        if run.kind == "task_run" and p.name == "Retrying":
            return SetStateStatus.ACCEPT, S.RUNNING, "Retrying"
        return SetStateStatus.REJECT, S.RUNNING, step.before.name if step.before else None

    if code == "W":
        assert step.before is not None
        scheduled = step.before.state_details.scheduled_time
        if scheduled is not None and scheduled > step.now:
            return SetStateStatus.WAIT, step.before.type, step.before.name
        code = "A"
    if code in {"R", "X"}:
        status = SetStateStatus.REJECT if code == "R" else SetStateStatus.ABORT
        assert step.before is not None
        return status, step.before.type, step.before.name

    if current == S.CANCELLING and p.type == S.CRASHED:
        return SetStateStatus.ACCEPT, S.CANCELLED, "Cancelled"  # the cancellation's effect
    retried_type = p.type == S.FAILED or (p.type == S.CRASHED and run.from_deployment)
    if (
        run.kind == "flow_run"
        and current == S.RUNNING
        and retried_type
        and p.retriable is not False
        and step.run_count_before <= run.retries
    ):
        return SetStateStatus.ACCEPT, S.SCHEDULED, "AwaitingRetry"
    return SetStateStatus.ACCEPT, p.type, proposed_name


def check_step(run: RunFacts, step: Step) -> None:
    status, recorded_type, recorded_name = expected_verdict(run, step)
    assert step.status == status, (step.before, step.proposal, step.reason)
    assert step.after is not None
    assert (step.after.type, step.after.name) == (recorded_type, recorded_name)

    if status != SetStateStatus.ACCEPT:
        # (d) a refusal leaves the run where it was and says why
        assert step.after == step.before
        assert step.reason
    if status == SetStateStatus.WAIT:
        assert step.before is not None
        scheduled = step.before.state_details.scheduled_time
        assert scheduled is not None
        assert step.delay_seconds == (scheduled - step.now).total_seconds()
    if status == SetStateStatus.ACCEPT and step.proposal.force:
        assert step.after == step.proposed
    if status == SetStateStatus.ACCEPT and not step.proposal.force and recorded_type == S.SCHEDULED:
        scheduled = step.after.state_details.scheduled_time
        assert scheduled is not None
        if recorded_name == "AwaitingRetry" and step.proposed.type != S.SCHEDULED:
            assert scheduled == step.now + dt.timedelta(seconds=run.retry_delay)


def check_history(run: Run) -> None:
    previous: State | None = None
    locked_after_completed = False
    entries_into_running = 0
    running_time = dt.timedelta(0)
    for step in run.accepted:
        new = step.after
        assert new is not None
        forced = step.proposal.force
        pair = (previous.type if previous else None, new.type)
        if not forced:
            # (a) every recorded pair is one the table allows
            assert pair in ALLOWED, pair
            if pair == (S.RUNNING, S.RUNNING):
                assert run.facts.kind == "task_run" and new.name == "Retrying"
            # (b) a completed run runs again only after being rescheduled
            assert not (locked_after_completed and new.type == S.RUNNING)
            # (c) never back from running to pending
            assert pair != (S.RUNNING, S.PENDING)
        if new.type == S.COMPLETED:
            locked_after_completed = True
        elif new.type == S.SCHEDULED or forced:
            locked_after_completed = False

        if new.type == S.RUNNING and (
            previous is None or previous.type != S.RUNNING or new.name == "Retrying"
        ):
            entries_into_running += 1
        if previous is not None and previous.type == S.RUNNING:
            running_time += max(new.timestamp - previous.timestamp, dt.timedelta(0))
        previous = new

    # (e) run_count counts the entries into RUNNING, Retrying included
    assert run.times.run_count == entries_into_running
    assert run.times.total_run_time == running_time
    if run.state is not None and run.state.type in TERMINAL:
        assert run.times.end_time == run.state.timestamp
    if run.state is not None and run.state.type == S.RUNNING:
        assert run.times.end_time is None


# --- strategies ----------------------------------------------------------------------------------

run_facts = st.builds(
    RunFacts,
    kind=st.sampled_from(["flow_run", "task_run"]),
    retries=st.integers(0, 3),
    retry_delay=st.sampled_from([0.0, 0.0, 10.0, 60.0]),
    from_deployment=st.booleans(),
)


@st.composite
def proposals(draw: st.DrawFn) -> Proposal:
    type_ = draw(st.sampled_from(list(StateType)))
    return Proposal(
        type=type_,
        name=draw(st.sampled_from(NAMES[type_])),
        force=draw(st.integers(0, 9)) == 0,
        advance=draw(st.sampled_from([0.0, 1.0, 5.0, 30.0, 120.0])),
        scheduled_in=(
            draw(st.sampled_from([None, -60.0, 0.0, 20.0, 300.0])) if type_ == S.SCHEDULED else None
        ),
        retriable=draw(st.sampled_from([None, None, True, False])),
    )


# A run usually follows the happy path; bias towards it so that deep histories (retries,
# reruns, cancellations of running runs) are reached, not only refusals near the start.
LIFECYCLE = [
    S.SCHEDULED,
    S.PENDING,
    S.RUNNING,
    S.FAILED,
    S.CRASHED,
    S.RUNNING,
    S.COMPLETED,
    S.CANCELLING,
]


@st.composite
def likely_proposals(draw: st.DrawFn) -> Proposal:
    p = draw(proposals())
    if draw(st.booleans()):
        type_ = draw(st.sampled_from(LIFECYCLE))
        return Proposal(
            type=type_,
            name=None,
            force=False,
            advance=p.advance,
            scheduled_in=p.scheduled_in if type_ == S.SCHEDULED else None,
            retriable=p.retriable,
        )
    return p


@settings(max_examples=300, deadline=None)
@given(facts=run_facts, sequence=st.lists(likely_proposals(), max_size=30))
def test_random_histories_follow_the_documented_policy(
    facts: RunFacts, sequence: list[Proposal]
) -> None:
    run = Run(facts)
    for proposal in sequence:
        check_step(facts, run.propose(proposal))
    check_history(run)


class PolicyMachine(RuleBasedStateMachine):
    """One run, driven by proposals and the passing of time, checked after every step."""

    run: Run

    @initialize(facts=run_facts)
    def start(self, facts: RunFacts) -> None:
        self.run = Run(facts)

    @rule(proposal=likely_proposals())
    def propose(self, proposal: Proposal) -> None:
        check_step(self.run.facts, self.run.propose(proposal))

    @rule(seconds=st.sampled_from([10.0, 60.0, 600.0]))
    def time_passes(self, seconds: float) -> None:
        self.run.now += dt.timedelta(seconds=seconds)

    @rule()
    def start_when_due(self) -> None:
        # What an engine does with WAIT: sleep for delay_seconds, then propose again.
        step = self.run.propose(Proposal(S.RUNNING, None, False, 0.0, None, None))
        check_step(self.run.facts, step)
        if step.status == SetStateStatus.WAIT:
            retry = Proposal(S.RUNNING, None, False, step.delay_seconds, None, None)
            again = self.run.propose(retry)
            check_step(self.run.facts, again)
            assert again.status != SetStateStatus.WAIT

    @invariant()
    def history_is_consistent(self) -> None:
        check_history(self.run)


PolicyMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)
test_policy_state_machine = PolicyMachine.TestCase
