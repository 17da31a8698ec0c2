"""The state-transition policy: pure rules over a proposed transition.

A rule looks at a :class:`Transition` and answers one of:

- ``None``: no objection, ask the next rule;
- a :class:`~podium.schemas.states.State`: accept, but with this state
  instead of the proposed one (e.g. Failed becomes AwaitingRetry); the rules
  after it judge the replacement;
- a :class:`Verdict` with status REJECT, WAIT or ABORT: stop here.

:func:`judge` runs the rules in order; if none stops the transition it is
accepted. Each rule declares with :func:`concerns` the run kinds and state
types it can object to, and is only asked about those. Rules do no I/O:
everything they need is in the ``Transition``, which the server fills from
the database before calling :func:`judge`.
``docs/states.md`` is the same policy as a table; keep them together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal, NamedTuple, Protocol

from podium.schemas.core import ConcurrencyLimitStrategy
from podium.schemas.responses import SetStateStatus
from podium.schemas.states import TERMINAL_STATES, State, StateDetails, StateType

RunKind = Literal["flow_run", "task_run"]

AWAITING_RETRY = "AwaitingRetry"
RETRYING = "Retrying"

ACTIVE_STATES = (StateType.PENDING.value, StateType.RUNNING.value, StateType.CANCELLING.value)
"""States in which a flow run holds a concurrency slot (its infrastructure may be up)."""


@dataclass(frozen=True, slots=True)
class DeploymentSlots:
    """A deployment's concurrency limit, its runs holding a slot, and its strategy."""

    limit: int
    busy: int
    strategy: ConcurrencyLimitStrategy = ConcurrencyLimitStrategy.ENQUEUE


@dataclass(frozen=True, slots=True)
class WorkSlots:
    """A work pool's or work queue's name, concurrency limit and runs holding a slot."""

    name: str
    limit: int
    busy: int


class Transition(NamedTuple):
    """A proposed state change and the facts about the run the rules may use.

    An immutable record; a named tuple because one is made for every proposal
    (thousands per task-run batch) and it builds several times faster than a
    frozen dataclass.
    """

    kind: RunKind
    initial: State | None
    proposed: State
    now: dt.datetime
    run_count: int = 0
    retries: int = 0
    retry_delay: float = 0.0
    from_deployment: bool = False
    deployment_slots: DeploymentSlots | None = None
    pool_slots: WorkSlots | None = None
    queue_slots: WorkSlots | None = None

    @property
    def initial_type(self) -> StateType | None:
        return self.initial.type if self.initial else None


class Verdict(NamedTuple):
    """What :func:`judge` answers; a named tuple for the same reason as ``Transition``."""

    status: SetStateStatus
    state: State | None
    reason: str | None = None
    delay_seconds: float = 0.0

    @property
    def accepted(self) -> bool:
        return self.status == SetStateStatus.ACCEPT


Rule = Callable[[Transition], "Verdict | State | None"]

_ANY_TYPE: frozenset[StateType | None] = frozenset([*StateType, None])


def concerns(
    *,
    kinds: Iterable[RunKind] = ("flow_run", "task_run"),
    initial: Iterable[StateType | None] | None = None,
    proposed: Iterable[StateType] | None = None,
) -> Callable[[Rule], Rule]:
    """Declare the transitions a rule can object to; it answers None to every other.

    :func:`judge` asks a rule only about the transitions it concerns, so the
    common ones (a task going Running, then Completed) pass without calling
    rules that would only look and step aside. The declaration must cover
    every transition the rule's own guard lets through (a test checks this);
    the guard stays in the rule, which reads whole on its own.
    """

    def mark(rule: Rule) -> Rule:
        rule.concerns = (  # type: ignore[attr-defined]
            frozenset(kinds),
            _ANY_TYPE if initial is None else frozenset(initial),
            _ANY_TYPE if proposed is None else frozenset(proposed),
        )
        return rule

    return mark


def _reject(t: Transition, reason: str) -> Verdict:
    return Verdict(SetStateStatus.REJECT, t.initial, reason)


def _abort(t: Transition, reason: str) -> Verdict:
    return Verdict(SetStateStatus.ABORT, t.initial, reason)


def _label(state: State | None) -> str:
    if state is None:
        return "no state"
    if state.name and state.name.upper() != state.type.value:
        return f"{state.name} ({state.type.value})"
    return state.type.value


# --- rules, in the order they run ----------------------------------------------


@concerns(proposed=[StateType.PENDING])
def prevent_duplicate_pending(t: Transition) -> Verdict | None:
    """A run already Pending, Running, Cancelling or Cancelled cannot become Pending.

    This is what stops two workers from both starting the same run: the second
    proposal of Pending is aborted.
    """
    if t.proposed.type != StateType.PENDING:
        return None
    if t.initial_type in {
        StateType.PENDING,
        StateType.RUNNING,
        StateType.CANCELLING,
        StateType.CANCELLED,
    }:
        return _abort(t, f"The run is already {_label(t.initial)} and cannot go back to PENDING.")
    return None


@concerns(initial=TERMINAL_STATES)
def leave_terminal_states_only_to_rerun(t: Transition) -> Verdict | None:
    """A terminal run (Completed, Failed, Crashed, Cancelled) stays terminal.

    The exceptions are an explicit rerun or retry: the run may be moved to
    SCHEDULED (AwaitingRetry or any other scheduled name) and then run again.
    A second Completed is refused, so a result is never recorded twice.
    """
    if t.initial_type not in TERMINAL_STATES:
        return None
    if t.proposed.type == StateType.SCHEDULED:
        return None
    if t.initial_type == t.proposed.type == StateType.COMPLETED:
        return _reject(t, "The run is already COMPLETED; a duplicate Completed is refused.")
    return _reject(
        t,
        f"The run is in the terminal state {_label(t.initial)}; it can leave it only to be "
        f"rescheduled (SCHEDULED), not to {_label(t.proposed)}.",
    )


@concerns(initial=[StateType.CANCELLING])
def no_running_after_cancelling(t: Transition) -> Verdict | None:
    """A run that is being cancelled may only end: Cancelled or another terminal state."""
    if t.initial_type != StateType.CANCELLING:
        return None
    if t.proposed.type in TERMINAL_STATES:
        return None
    return _abort(
        t,
        f"The run is CANCELLING; only a terminal state may follow, not {_label(t.proposed)}.",
    )


@concerns(initial=[StateType.CANCELLING], proposed=[StateType.CRASHED])
def cancelling_runs_end_cancelled(t: Transition) -> State | None:
    """A run that crashes while Cancelling was stopped by its cancellation: Cancelled.

    Ending the process is how a cancellation takes effect; the engine in that
    process reports the interruption as a crash, which is recorded as Cancelled.
    """
    if t.initial_type != StateType.CANCELLING or t.proposed.type != StateType.CRASHED:
        return None
    assert t.initial is not None
    return State(
        type=StateType.CANCELLED,
        name="Cancelled",
        timestamp=t.now,
        message=t.initial.message or t.proposed.message,
        state_details=t.proposed.state_details,
    )


@concerns(kinds=["flow_run"], initial=[None, StateType.SCHEDULED], proposed=[StateType.PENDING])
def secure_deployment_slot(t: Transition) -> Verdict | State | None:
    """A deployment's run may be claimed (Pending) only while the deployment has a free slot.

    At the limit, the collision strategy decides: ENQUEUE refuses the claim (the
    run stays Scheduled until a slot frees), CANCEL_NEW cancels the run with a
    message saying why. The slot counts are prefetched into
    ``t.deployment_slots`` (``None``: no limit, nothing to check).
    """
    slots = t.deployment_slots
    if slots is None or t.kind != "flow_run" or t.proposed.type != StateType.PENDING:
        return None
    if t.initial_type not in (None, StateType.SCHEDULED) or slots.busy < slots.limit:
        return None
    if slots.strategy == ConcurrencyLimitStrategy.CANCEL_NEW:
        return State(
            type=StateType.CANCELLED,
            name="Cancelled",
            timestamp=t.now,
            message=(
                f"Cancelled: the deployment's concurrency limit ({slots.limit}) was reached "
                "and its collision strategy is CANCEL_NEW."
            ),
            state_details=t.proposed.state_details,
        )
    return _reject(
        t,
        f"The deployment's concurrency limit ({slots.limit}) is reached; the run waits "
        "(collision strategy ENQUEUE).",
    )


@concerns(kinds=["flow_run"], initial=[None, StateType.SCHEDULED], proposed=[StateType.PENDING])
def secure_pool_and_queue_slots(t: Transition) -> Verdict | None:
    """A run may be claimed (Pending) only while its work queue and work pool have a free slot.

    At either limit the claim is refused and the run stays Scheduled, so a later
    poll hands it out again once a slot frees; the reason names the queue or
    pool and its limit. The counts are prefetched into ``t.queue_slots`` and
    ``t.pool_slots`` (``None``: no limit, or a run outside any pool).
    """
    if t.kind != "flow_run" or t.proposed.type != StateType.PENDING:
        return None
    if t.initial_type not in (None, StateType.SCHEDULED):
        return None
    for what, slots in (("work queue", t.queue_slots), ("work pool", t.pool_slots)):
        if slots is not None and slots.busy >= slots.limit:
            return _reject(
                t,
                f"The {what} '{slots.name}' is at its concurrency limit ({slots.limit}); "
                "the run stays Scheduled until a slot frees.",
            )
    return None


@concerns(initial=[StateType.RUNNING], proposed=[StateType.RUNNING])
def single_running(t: Transition) -> Verdict | None:
    """A Running run cannot start again, except a task retrying in place (Retrying)."""
    if t.initial_type != StateType.RUNNING or t.proposed.type != StateType.RUNNING:
        return None
    if t.proposed.name == RETRYING and t.kind == "task_run":
        return None
    return _reject(t, "The run is already RUNNING.")


@concerns(kinds=["flow_run"], initial=[StateType.RUNNING], proposed=[StateType.FAILED])
def retry_failed_flow_runs(t: Transition) -> State | None:
    """A flow run failing with retries left is rescheduled as AwaitingRetry.

    The delay is the run's ``retry_delay``. A failure marked
    ``retriable=False`` (e.g. invalid parameters) is not retried.
    """
    if t.kind != "flow_run" or t.proposed.type != StateType.FAILED:
        return None
    if t.initial_type != StateType.RUNNING:
        return None
    return _retry_or_none(t)


@concerns(kinds=["flow_run"], initial=[StateType.RUNNING], proposed=[StateType.CRASHED])
def retry_crashed_deployment_runs(t: Transition) -> State | None:
    """A deployment's flow run that crashed with retries left runs again (AwaitingRetry).

    Only a crash while Running is retried: ``run_count`` counts entries into
    Running, so a crash while Pending would never use up a retry and could be
    rescheduled forever.
    """
    if t.kind != "flow_run" or t.proposed.type != StateType.CRASHED or not t.from_deployment:
        return None
    if t.initial_type != StateType.RUNNING:
        return None
    return _retry_or_none(t)


def _retry_or_none(t: Transition) -> State | None:
    if t.proposed.state_details.retriable is False or t.run_count > t.retries:
        return None
    scheduled = t.now + dt.timedelta(seconds=max(t.retry_delay, 0.0))
    return State(
        type=StateType.SCHEDULED,
        name=AWAITING_RETRY,
        timestamp=t.now,
        message=t.proposed.message,
        state_details=t.proposed.state_details.model_copy(
            update={"scheduled_time": scheduled, "retriable": None}
        ),
        data=t.proposed.data,
    )


@concerns(initial=[StateType.SCHEDULED], proposed=[StateType.PENDING, StateType.RUNNING])
def wait_for_scheduled_time(t: Transition) -> Verdict | None:
    """A Scheduled run may start (Pending or Running) only once its time has come."""
    if t.initial_type != StateType.SCHEDULED or t.proposed.type not in {
        StateType.PENDING,
        StateType.RUNNING,
    }:
        return None
    assert t.initial is not None
    scheduled = t.initial.state_details.scheduled_time
    if scheduled is None or scheduled <= t.now:
        return None
    delay = (scheduled - t.now).total_seconds()
    return Verdict(
        SetStateStatus.WAIT,
        t.initial,
        f"The run is scheduled for {scheduled.isoformat()}; wait {delay:.3f}s.",
        delay,
    )


@concerns(proposed=[StateType.SCHEDULED])
def copy_scheduled_time(t: Transition) -> State | None:
    """A Scheduled state without a time is scheduled for now."""
    if t.proposed.type != StateType.SCHEDULED or t.proposed.state_details.scheduled_time:
        return None
    details = t.proposed.state_details.model_copy(update={"scheduled_time": t.now})
    return t.proposed.model_copy(update={"state_details": details})


RULES: Sequence[Rule] = (
    prevent_duplicate_pending,
    secure_deployment_slot,
    secure_pool_and_queue_slots,
    leave_terminal_states_only_to_rerun,
    no_running_after_cancelling,
    cancelling_runs_end_cancelled,
    single_running,
    retry_failed_flow_runs,
    retry_crashed_deployment_runs,
    wait_for_scheduled_time,
    copy_scheduled_time,
)


CLAIM_RULES: Sequence[Rule] = (secure_deployment_slot, secure_pool_and_queue_slots)
"""The rules that need slot counts, judged when a run is claimed (see ``models.flow_runs``)."""


def may_object(kind: RunKind, initial: StateType | None, proposed: StateType) -> bool:
    """Whether any rule of :data:`RULES` concerns such a transition.

    When none does, :func:`judge` accepts the proposal as it is; a caller on a hot
    path may then skip building the :class:`Transition`.
    """
    key = (kind, initial, proposed)
    found = _MAY_OBJECT.get(key)
    if found is None:
        found = _MAY_OBJECT[key] = bool(_concerned(tuple(RULES), kind, initial, proposed))
    return found


_MAY_OBJECT: dict[tuple[RunKind, StateType | None, StateType], bool] = {}


def judge(t: Transition, *, force: bool = False, rules: Sequence[Rule] = RULES) -> Verdict:
    """Run the rules over a transition; ``force`` accepts the proposal as it is."""
    if force:
        return Verdict(SetStateStatus.ACCEPT, t.proposed)
    rules = tuple(rules)
    asked = _concerned(rules, t.kind, t.initial_type, t.proposed.type)
    position = 0
    while position < len(asked):
        index = asked[position]
        outcome = rules[index](t)
        position += 1
        if outcome is None:
            continue
        if isinstance(outcome, Verdict):
            return outcome
        t = t._replace(proposed=outcome)
        # The replacement may concern rules the proposal did not: ask again
        # which of the rules after this one to run.
        later = _concerned(rules, t.kind, t.initial_type, t.proposed.type)
        asked, position = tuple(i for i in later if i > index), 0
    return Verdict(SetStateStatus.ACCEPT, t.proposed)


@lru_cache(maxsize=1024)
def _concerned(
    rules: tuple[Rule, ...], kind: RunKind, initial: StateType | None, proposed: StateType
) -> tuple[int, ...]:
    """The positions of the rules that may object to such a transition, in order.

    A rule without a declaration (one written for a test, say) is asked about
    every transition.
    """
    every = (frozenset((kind,)), _ANY_TYPE, _ANY_TYPE)
    return tuple(
        index
        for index, rule in enumerate(rules)
        if kind in (scope := getattr(rule, "concerns", every))[0]
        and initial in scope[1]
        and proposed in scope[2]
    )


# --- bookkeeping of an accepted transition -------------------------------------


class RunTimes(NamedTuple):
    """The run fields that an accepted state changes (a tuple: two are made per transition)."""

    run_count: int
    start_time: dt.datetime | None
    end_time: dt.datetime | None
    total_run_time: dt.timedelta
    expected_start_time: dt.datetime | None
    next_scheduled_start_time: dt.datetime | None


class StateFacts(Protocol):
    """What :func:`account` reads of a state: a :class:`State`, or a lighter record of one."""

    @property
    def type(self) -> StateType: ...
    @property
    def name(self) -> str | None: ...
    @property
    def timestamp(self) -> dt.datetime: ...
    @property
    def state_details(self) -> StateDetails: ...


def account(
    before: RunTimes, initial: StateFacts | None, accepted: StateFacts, now: dt.datetime
) -> RunTimes:
    """The run's counters and times after ``accepted`` replaces ``initial``."""
    run_count = before.run_count
    start_time = before.start_time
    end_time = before.end_time
    total = before.total_run_time
    expected = before.expected_start_time
    next_scheduled = before.next_scheduled_start_time

    if initial is not None and initial.type == StateType.RUNNING:
        total += max(accepted.timestamp - initial.timestamp, dt.timedelta(0))
    if accepted.type == StateType.RUNNING:
        if initial is None or initial.type != StateType.RUNNING or accepted.name == RETRYING:
            run_count += 1
        start_time = start_time or accepted.timestamp
        end_time = None
        next_scheduled = None
    if accepted.type == StateType.SCHEDULED:
        next_scheduled = accepted.state_details.scheduled_time or now
        expected = expected or next_scheduled
        end_time = None
    if accepted.type in TERMINAL_STATES:
        end_time = accepted.timestamp
        next_scheduled = None
    if expected is None:
        expected = accepted.timestamp
    return RunTimes(run_count, start_time, end_time, total, expected, next_scheduled)
