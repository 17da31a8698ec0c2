"""The steps of one flow run, shared by the sync and async loops in ``flow_engine``.

``begin`` validates the parameters and creates the run with them, in Running (or finds
the child run a retried parent made before, see :mod:`podium.engine._identity`, and asks
for Running). ``attempt`` is the context each call of the function runs in. ``on_return`` /
``on_exception`` turn its outcome into a state; ``finish_attempt`` drains the task-run
reporter and proposes that state, and returns ``None`` when the server answered
AwaitingRetry. ``after`` runs the hooks and, for a top-level run, sends the logs.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from podium.context import FlowRunContext, current_tags
from podium.engine import _records as records
from podium.engine._common import is_failure, new_id, run_hooks, run_hooks_async
from podium.engine._heartbeats import beating
from podium.engine._identity import subflow_key, subflow_task_run_id
from podium.engine._params import jsonable_parameters
from podium.engine._reporter import get_reporter
from podium.engine._results import result_store_for
from podium.engine._timeouts import RunTimeout
from podium.exceptions import Abort, ParameterTypeError, Pause, TerminationSignal
from podium.futures import PodiumFuture
from podium.logging import flow_run_logger, flush_logs
from podium.results import is_result_reference
from podium.schemas.core import FlowRunPolicy
from podium.schemas.responses import OrchestrationResult, SetStateStatus
from podium.schemas.states import StateType
from podium.states import (
    AwaitingRetry,
    Failed,
    Pending,
    Running,
    State,
    StateGroup,
    TimedOut,
    exception_to_crashed_state,
    exception_to_failed_state,
    return_value_to_state,
)

__all__ = ["FlowRunSteps"]

_MAX_WAITS = 100


class _Outcome:
    """What one attempt produced: a state, and whether the process must re-raise."""

    __slots__ = ("reraise", "state")

    def __init__(self, state: State[Any], reraise: BaseException | None = None) -> None:
        self.state = state
        self.reraise = reraise


class FlowRunSteps:
    """One flow run: its API record, its attempts and its final state."""

    def __init__(
        self,
        flow: Any,
        parameters: dict[str, Any],
        parent: FlowRunContext | None,
        frame: FrameType | None,
        client: Any,
    ) -> None:
        self.flow = flow
        self.parameters = parameters
        self.parent = parent
        self.frame = frame
        self.client = client
        self.reporter = get_reporter()
        self.logger: Any = None
        self.flow_run: Any = None
        self.parent_task_run_id: Any = None
        self.args: list[Any] = []
        self.kwargs: dict[str, Any] = {}
        self.persist = bool(flow.persist_result)
        if flow.persist_result is None and parent is not None and parent.flow.retries:
            # a parent that may retry needs this result to skip the call next time
            self.persist = True
        self.store = result_store_for(flow, None) if self.persist else None
        self.retry_at: dt.datetime | None = None

    # --- start --------------------------------------------------------------------

    def begin(self) -> State[Any] | None:
        """Create the run and enter Running; a final state if the function must not run.

        A new run is created directly in Running (the policy accepts any first state),
        which saves the round trip of a separate proposal; a run whose parameters do not
        validate is created Pending and then fails, as its function never starts. A
        child run that an earlier attempt of the parent made already exists and is
        taken from the state it is in.
        """
        flow, parent = self.flow, self.parent
        stored = flow._stored_parameters(self.parameters)
        key = None
        if parent is not None and self.frame is not None:
            key = subflow_key(parent, flow.name, self.frame, stored)
        tags = sorted(set(flow.tags) | current_tags())
        if parent is not None:
            self.parent_task_run_id = subflow_task_run_id(key)
            self._report_parent_task(tags)
        json_parameters, problems = jsonable_parameters(stored)
        run_id = new_id()
        name = flow.flow_run_name if isinstance(flow.flow_run_name, str) else None
        if name is not None:
            name = name.format(**self.parameters)
        invalid = self._check_parameters()
        self.flow_run = self.client.create_flow_run(
            flow,
            name=name,
            parameters=json_parameters,
            tags=tags,
            parent_task_run_id=self.parent_task_run_id,
            parent_flow_run_id=parent.flow_run.id if parent else None,
            id=run_id,
            idempotency_key=key,
            empirical_policy=FlowRunPolicy(
                retries=flow.retries, retry_delay=flow.retry_delay_seconds
            ),
            state=Pending() if invalid is not None else Running(),
        )
        self.logger = flow_run_logger(self.flow_run, flow)
        for param, reason in problems.items():
            self.logger.warning(
                "Parameter %r of flow %r is not stored with the run (%s); the flow receives "
                "it unchanged.",
                param,
                flow.name,
                reason,
            )
        if self.flow_run.id != run_id:
            reused = self._reuse_child()
            if reused is not None:
                return reused
            return self._refuse(invalid) if invalid is not None else self._enter_running()
        if callable(flow.flow_run_name):
            self._rename()
        if invalid is not None:
            return self._refuse(invalid)
        state = self.flow_run.state
        if state is None or state.type != StateType.RUNNING:
            return self._enter_running()
        self._started()
        return None

    def _report_parent_task(self, tags: list[str]) -> None:
        assert self.parent is not None
        flow = self.flow
        self.reporter.create(
            records.creation(
                task_key=f"{flow.name}-subflow",
                dynamic_key=str(self.parent_task_run_id),
                id=self.parent_task_run_id,
                name=flow.name,
                flow_run_id=self.parent.flow_run.id,
                state=records.timestamped("RUNNING", _now()),
                tags=tags,
                policy={},
                task_version=flow.version,
                flow_run_run_count=self.parent.flow_run.run_count,
            )
        )
        if self.parent.flow_run.run_count > 1:
            # the record may exist from an earlier attempt of the parent
            self.reporter.propose(
                self.parent_task_run_id, records.timestamped("RUNNING", _now()), force=True
            )

    def _reuse_child(self) -> State[Any] | None:
        """The child run a previous attempt of the parent made: reuse or rerun it."""
        current = self.flow_run.state
        if current is not None and current.is_completed() and is_result_reference(current.data):
            self.logger.info(
                "Reusing the completed result of this subflow call from an earlier attempt "
                "of the parent flow run."
            )
            return State.model_validate(current.model_dump())
        if current is not None and current.is_final():
            self._propose(AwaitingRetry(scheduled_time=_now(), message="Rerun by its parent."))
        elif current is not None and current.type != StateType.PENDING:
            self._propose(Pending(), force=True)
        return None

    def _rename(self) -> None:
        with FlowRunContext(self.flow, self.flow_run, self.parameters, None, None, False, False):
            name = self.flow.flow_run_name()
        if not isinstance(name, str):
            raise TypeError(f"flow_run_name must give a string, not {type(name).__name__}")
        self.client.update_flow_run(self.flow_run.id, name=name)
        self.flow_run.name = name
        self.logger = flow_run_logger(self.flow_run, self.flow)

    def _validate(self) -> State[Any] | None:
        """Validate the parameters; the run's final state if they are invalid."""
        invalid = self._check_parameters()
        return self._refuse(invalid) if invalid is not None else None

    def _check_parameters(self) -> ParameterTypeError | None:
        """Validate the parameters and prepare the call; the error if they are invalid."""
        flow = self.flow
        values = self.parameters
        if flow.should_validate_parameters:
            try:
                values = flow._call.validate(values, skip=flow._self_name)
            except ParameterTypeError as exc:
                return exc
        self.call_parameters = values
        self.args, self.kwargs = flow._call.to_call(values)
        return None

    def _refuse(self, exc: ParameterTypeError) -> State[Any] | None:
        """End the run Failed (not retriable) for parameters that do not validate."""
        self.logger.error("%s", exc)
        state = Failed(
            message=f"Validation of flow parameters failed with error: {exc}",
            state_details={"retriable": False},
        ).attach_result(exc)
        return self._propose_final(state)

    def _started(self) -> None:
        """The run is Running: say so and call the ``on_running`` hooks."""
        self.logger.info("Beginning flow run %r for flow %r", self.flow_run.name, self.flow.name)
        if self.flow.on_running:
            run_hooks(self.flow.on_running, self.flow, self.flow_run, Running(), self.logger)

    def _enter_running(self) -> State[Any] | None:
        for _ in range(_MAX_WAITS):
            result = self._propose(Running())
            if result.status == SetStateStatus.ACCEPT:
                self.flow_run.run_count += 1
                self._started()
                return None
            if result.status == SetStateStatus.WAIT:
                _sleep(result.details.delay_seconds)  # type: ignore[union-attr]
                continue
            reason = getattr(result.details, "reason", None)
            current = _user_state(result.state) if result.state else None
            self.logger.warning("The flow run cannot start: %s", reason)
            if current is not None and current.is_final():
                return current
            return Failed(message=f"The flow run was not allowed to start: {reason}")
        return Failed(message="The flow run waited too long to be allowed to start.")

    def _propose(self, state: State[Any], force: bool = False) -> OrchestrationResult:
        return self.client.set_flow_run_state(self.flow_run.id, state.to_state_create(), force)

    # --- one attempt --------------------------------------------------------------

    @contextmanager
    def attempt(self) -> Iterator[tuple[FlowRunContext, Any]]:
        """The flow run context and a fresh task runner for one call of the function."""
        flow = self.flow
        log_prints = bool(flow.log_prints) or (
            flow.log_prints is None and self.parent is not None and self.parent.log_prints
        )
        runner = flow.task_runner.duplicate()
        ctx = FlowRunContext(
            flow,
            self.flow_run,
            self.call_parameters,
            runner,
            self.store or result_store_for(flow, None),
            bool(flow.persist_result),
            log_prints,
            self.parent,
            self.reporter,
        )
        with ctx, runner, beating(self.flow_run.id, self.client, top_level=self.parent is None):
            yield ctx, runner

    def on_return(self, value: Any) -> _Outcome:
        value, failed = _resolve_returned(value)
        if failed is not None:
            return _Outcome(failed)
        state = return_value_to_state(value, result_store=self.store, write_result=self.persist)
        return _Outcome(state)

    def on_exception(self, exc: BaseException) -> _Outcome:
        if isinstance(exc, Abort | Pause):
            return _Outcome(exception_to_crashed_state(exc), reraise=exc)
        if isinstance(
            exc, KeyboardInterrupt | SystemExit | TerminationSignal | asyncio.CancelledError
        ):
            self.logger.error("Flow run interrupted: %s", type(exc).__name__)
            return _Outcome(exception_to_crashed_state(exc), reraise=exc)
        if isinstance(exc, RunTimeout):
            message = f"Flow run exceeded timeout of {exc.seconds:g} second(s)"
            self.logger.error(message)
            return _Outcome(TimedOut(message=message).attach_result(exc))
        self.logger.error(
            "Encountered exception during execution: %r",
            exc,
            exc_info=(type(exc), exc, exc.__traceback__),
        )
        return _Outcome(exception_to_failed_state(exc))

    def finish_attempt(self, outcome: _Outcome) -> State[Any] | None:
        """Write the task runs, propose the final state; ``None`` if the run retries."""
        state = self._propose_final(outcome.state)
        if outcome.reraise is not None:
            self.after(state or outcome.state)
            raise outcome.reraise
        return state

    def _propose_final(self, state: State[Any]) -> State[Any] | None:
        self.reporter.flush()
        details = state.state_details
        details.flow_run_id = self.flow_run.id
        result = self._propose(state)
        if result.status == SetStateStatus.WAIT:
            _sleep(result.details.delay_seconds)  # type: ignore[union-attr]
            result = self._propose(state)
        accepted = result.state
        if result.status != SetStateStatus.ACCEPT or accepted is None:
            reason = getattr(result.details, "reason", None)
            self.logger.warning("The final state %s was refused: %s", state.name, reason)
            current = _user_state(accepted) if accepted is not None else None
            return current if current is not None and current.is_final() else state
        if accepted.type == StateType.SCHEDULED:
            self.retry_at = accepted.state_details.scheduled_time
            self.logger.info(
                "Received non-final state %r when proposing final state %r and will attempt "
                "to run again...",
                accepted.name,
                state.name,
            )
            return None
        if accepted.name != state.name or accepted.type != state.type:
            return _user_state(accepted)
        return state

    def wait_seconds(self) -> float:
        if self.retry_at is None:
            return 0.0
        return max((self.retry_at - _now()).total_seconds(), 0.0)

    def start_retry(self) -> State[Any] | None:
        """Enter Running again after AwaitingRetry."""
        return self._enter_running()

    # --- end ----------------------------------------------------------------------

    def _hooks_for(self, state: State[Any]) -> list[Any]:
        flow = self.flow
        if state.is_completed():
            return list(flow.on_completion)
        if state.is_crashed():
            return list(flow.on_crashed)
        if state.is_cancelled():
            return list(flow.on_cancellation)
        if state.is_failed():
            return list(flow.on_failure)
        return []

    def _close(self, state: State[Any]) -> None:
        if self.parent is not None and self.parent_task_run_id is not None:
            parent_state = (
                state.fresh_copy(data=None) if not is_result_reference(state.data) else state
            )
            self.reporter.propose(
                self.parent_task_run_id,
                records.state_record(parent_state.to_state_create()),
                force=True,
            )
        if self.logger is not None:
            self.logger.info("Finished in state %s(%s)", state.name, state.message or "")
        if self.parent is None:
            flush_logs()

    def after(self, state: State[Any]) -> None:
        """Hooks, the parent's record of this call, and the logs of a top-level run."""
        if self.flow_run is not None:
            state.state_details.flow_run_id = self.flow_run.id
            run_hooks(self._hooks_for(state), self.flow, self.flow_run, state, self.logger)
        self._close(state)

    async def after_async(self, state: State[Any]) -> None:
        if self.flow_run is not None:
            state.state_details.flow_run_id = self.flow_run.id
            await run_hooks_async(
                self._hooks_for(state), self.flow, self.flow_run, state, self.logger
            )
        await asyncio.to_thread(self._close, state)

    def output(self, state: State[Any], return_type: str) -> Any:
        if return_type == "state":
            return state
        return state.result()


def _resolve_returned(value: Any) -> tuple[Any, State[Any] | None]:
    """Futures in a returned value become results; a failed one fails the flow."""
    if isinstance(value, PodiumFuture):
        value.wait()
        state = value.state
        return (state, None) if is_failure(state) else (state.result(), None)
    if isinstance(value, list | tuple | set) and any(isinstance(v, PodiumFuture) for v in value):
        states = []
        for item in value:
            if isinstance(item, PodiumFuture):
                item.wait()
                states.append(item.state)
        failed = [s for s in states if is_failure(s)]
        if failed:
            _, message = StateGroup(states).aggregate()
            state = Failed(message=message).attach_result(failed[0].result(raise_on_failure=False))
            return None, state
        resolved = [v.state.result() if isinstance(v, PodiumFuture) else v for v in value]
        return type(value)(resolved) if not isinstance(value, list) else resolved, None
    return value, None


def _user_state(schema_state: Any) -> State[Any]:
    return State.model_validate(schema_state.model_dump())


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _sleep(seconds: float) -> None:
    time.sleep(min(max(seconds, 0.0), 60.0))
