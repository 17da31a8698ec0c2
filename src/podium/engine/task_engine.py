"""The task run loop, sync and async.

A task run's states are decided here, in the process, without asking the server: the
run is created Running (or Cached, or NotReady when an upstream failed), retries go
through AwaitingRetry and Retrying, and the final state is reported. Every record goes
to the background reporter (:mod:`podium.engine._reporter`); nothing on this path waits
on the network. :class:`TaskRunEngine` holds the steps; :func:`run_task_sync` and
:func:`run_task_async` are the two short loops around the user's function.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from types import GeneratorType
from typing import Any
from uuid import UUID

from podium.context import FlowRunContext, TaskRunContext, TaskRunInfo, current_tags
from podium.engine import _records as records
from podium.engine._common import is_failure, new_id, retry_delay, run_hooks, run_hooks_async
from podium.engine._reporter import get_reporter
from podium.engine._resolve import SCALARS, resolve_inputs
from podium.engine._results import cache_policy_of, result_store_for
from podium.engine._timeouts import RunTimeout, async_timeout, sync_timeout
from podium.exceptions import Abort, Pause, TerminationSignal, UpstreamTaskError
from podium.futures import CompletedRun, RunStatus
from podium.logging import (
    capture_prints,
    flush_logs,
    print_capture_logger,
    setup_logging,
    task_run_logger,
)
from podium.results import ResultStore
from podium.schemas._base import now_utc
from podium.schemas.core import TaskRunPolicy
from podium.schemas.states import State as StateSchema
from podium.schemas.states import StateType
from podium.states import (
    AwaitingRetry,
    Cached,
    Failed,
    Retrying,
    State,
    TimedOut,
    exception_to_crashed_state,
    exception_to_failed_state,
    return_value_to_state,
)
from podium.states._constructors import completed_run

__all__ = ["TaskRunEngine", "result_store_for", "run_task_async", "run_task_sync"]


COMPLETED: Any = object()
"""A plain Completed outcome whose State object has not been built (it may never be)."""

# ``now_utc()`` without its call: a task run takes the time twice.
_now = dt.datetime.now
_UTC = dt.UTC

# The task run context's variable, set and reset by the engine itself (see
# ``TaskRunEngine.__enter__``).
_task_run_context = TaskRunContext._var

_STATE_TYPES = (StateSchema, GeneratorType)  # a tuple: ``isinstance`` with a union is slower


def _state_like(value: Any) -> bool:
    if isinstance(value, _STATE_TYPES):
        return True
    if type(value) in (list, tuple, set) and value:
        return any(isinstance(item, StateSchema) for item in value)
    return False


class TaskRunEngine:
    """The steps of one task run; the loops below call them in order.

    Entering the engine enters the run's context and, when asked for, print capture,
    for one attempt of the function.
    """

    # What most runs leave as it is, read from the class until a run sets its own:
    # setting them all in ``__init__`` was about half of its bytecode.
    value: Any = None
    store: ResultStore | None = None
    cache_key: str | None = None
    cache_expiration: dt.datetime | None = None
    completed_at: dt.datetime  # set by ``finish`` for a Completed run
    delay = 0.0
    _logger: Any = None
    _prints: Any = None  # the print capture of the attempt in progress, if any

    def __init__(
        self,
        task: Any,
        flow_ctx: FlowRunContext | None,
        task_run_id: UUID | None = None,
        status: RunStatus | None = None,
    ) -> None:
        self.task = task
        self.flow_ctx = flow_ctx
        self.id = task_run_id or new_id()
        self.status = status
        self.reporter = (flow_ctx.reporter if flow_ctx is not None else None) or get_reporter()

    @property
    def logger(self) -> Any:
        if self._logger is None:
            flow_ctx = self.flow_ctx
            self._logger = task_run_logger(
                self.info,
                self.task,
                flow_run=flow_ctx.flow_run if flow_ctx else None,
                flow=flow_ctx.flow if flow_ctx else None,
            )
        return self._logger

    # --- start --------------------------------------------------------------------

    def begin(
        self,
        parameters: dict[str, Any],
        wait_for: Any = None,
        dynamic_key: str = "0",
        index: int = 0,
        task_inputs: dict[str, Any] | None = None,
    ) -> State[Any] | None:
        """Create the run; return its final state if it must not run (cached, not ready).

        Takes what only this step needs rather than keeping it on the engine.
        """
        task, flow_ctx = self.task, self.flow_ctx
        parameters, inputs, failure = resolve_inputs(parameters, wait_for)
        if task_inputs:
            inputs = {**task_inputs, **inputs}
        self.parameters = parameters
        tags = list(task.tags)
        extra = current_tags()
        if extra:
            tags = sorted(set(tags) | extra)
        if flow_ctx is not None:
            flow_run = flow_ctx.flow_run
            flow_run_id = flow_run.id
            flow_run_count = flow_run.run_count
        else:
            flow_run_id = None
            flow_run_count = 0
        self.info = info = TaskRunInfo(
            self.id,
            f"{task.name}-{index}",
            task.task_key,
            dynamic_key,
            flow_run_id,
            tags,
            parameters,
        )
        log_prints = task.log_prints
        if log_prints is None:
            log_prints = flow_ctx.log_prints if flow_ctx is not None else False
        self.ctx = TaskRunContext(task, info, parameters, flow_ctx, log_prints)
        if task.task_run_name is not None:
            info.name = self._run_name()

        final: State[Any] | None = None
        if failure is not None:
            self.persist = False
            final = self._not_ready(failure)
        else:
            persist = task.persist_result
            if persist is None:
                persist = task._explicit_cache or bool(flow_ctx and flow_ctx.persist_result)
            self.persist = persist
            if persist:
                final = self._cached()
        if final is None:
            first = records.timestamped("RUNNING", _now(_UTC))
            info.run_count = 1
            if self.status is not None:
                self.status.type = StateType.RUNNING
        else:
            first = records.state_record(final.to_state_create())
        # The creation record is built here rather than in a method of its own: one call
        # less per run.
        self.reporter.create(
            records.creation(
                task_key=task.task_key,
                dynamic_key=dynamic_key,
                id=self.id,
                name=info.name,
                flow_run_id=flow_run_id,
                state=first,
                tags=tags,
                policy=task._policy_record,
                task_version=task.version,
                task_inputs=inputs,
                cache_key=self.cache_key,
                cache_expiration=self.cache_expiration,
                flow_run_run_count=flow_run_count,
            )
        )
        if final is None and task.on_running:
            run_hooks(task.on_running, task, info, State(type=StateType.RUNNING), self.logger)
        return final

    def _run_name(self) -> str:
        template = self.task.task_run_name
        with self.ctx:
            name = template() if callable(template) else template.format(**self.parameters)
        if not isinstance(name, str):
            raise TypeError(
                f"task_run_name for task {self.task.name!r} must give a string, "
                f"not {type(name).__name__}"
            )
        return name

    def _not_ready(self, failure: Any) -> State[Any]:
        upstream = f"task run {failure.task_run_id}" if failure.task_run_id else "an upstream"
        message = (
            f"Upstream {upstream} ended {failure.state.type.value} "
            f"({failure.state.message or 'no message'}); this task did not run."
        )
        state = Failed(name="NotReady", message=message)
        return state.attach_result(UpstreamTaskError(message))

    def _cached(self) -> State[Any] | None:
        """For a persisted result: the store and the cache key; the Cached state on a hit."""
        task, flow_ctx = self.task, self.flow_ctx
        policy = cache_policy_of(task)
        self.store = result_store_for(task, flow_ctx, policy.key_storage if policy else None)
        if policy is None:
            return None
        flow_parameters = flow_ctx.parameters if flow_ctx is not None else {}
        try:
            key = policy.compute_key(self.ctx, self.parameters, flow_parameters)
        except Exception as exc:
            self.logger.warning("No cache key (the task runs without caching): %s", exc)
            return None
        if key is None:
            return None
        self.cache_key = key
        if task.cache_expiration is not None:
            self.cache_expiration = now_utc() + task.cache_expiration
        refresh = task.refresh_cache
        if refresh:
            return None
        record = self.store.lookup(key)
        if record is None:
            return None
        reference = ResultStore.reference_for(record.metadata)
        state = Cached(
            cache_key=key,
            cache_expiration=record.metadata.expiration,
            data=reference,
            message="Cached result found.",
        )
        return state.attach_result(record.result)

    # --- one attempt --------------------------------------------------------------

    def __enter__(self) -> None:
        """Enter the run's context, and print capture when this run or an enclosing one
        asks for it (capture off inside a capturing run: its prints are its own).

        One object entered instead of the context and a capture made for every attempt:
        the capture is made only when it does something.
        """
        ctx = self.ctx
        self._token = _task_run_context.set(ctx)
        if ctx.log_prints or print_capture_logger() is not None:
            self._prints = capture_prints(self.logger if ctx.log_prints else None)
            self._prints.__enter__()

    def __exit__(self, *exc: object) -> None:
        prints = self._prints
        if prints is not None:
            self._prints = None
            prints.__exit__(*exc)
        _task_run_context.reset(self._token)

    def on_return(self, value: Any) -> State[Any] | None:
        """The final state for a returned value (``None``: the returned state asks a retry).

        A plain value that is not persisted gives :data:`COMPLETED`: the Completed state
        is then built only if someone needs the State object (see :meth:`finish`).
        """
        # (a scalar, the commonest value, is checked here: a call less)
        if not self.persist and (type(value) in SCALARS or not _state_like(value)):
            self.value = value
            return COMPLETED
        state = return_value_to_state(
            value,
            result_store=self.store,
            key=self.cache_key,
            expiration=self.cache_expiration,
            write_result=self.persist,
        )
        if is_failure(state):
            return self._maybe_retry(state)
        return state

    def on_exception(self, exc: BaseException) -> State[Any] | None:
        """The final state for an exception; ``None`` when the run retries."""
        if isinstance(exc, Abort | Pause):
            raise exc
        if isinstance(
            exc, KeyboardInterrupt | SystemExit | TerminationSignal | asyncio.CancelledError
        ):
            state = exception_to_crashed_state(exc)
            self.finish(state)
            raise exc
        if isinstance(exc, RunTimeout):
            message = f"Task run exceeded timeout of {exc.seconds:g} second(s)"
            self.logger.error(message)
            state = TimedOut(message=message).attach_result(exc)
        else:
            state = exception_to_failed_state(exc)
            self.logger.error(
                "Task run failed with exception: %r",
                exc,
                exc_info=(type(exc), exc, exc.__traceback__),
            )
        return self._maybe_retry(state)

    def _maybe_retry(self, state: State[Any]) -> State[Any] | None:
        task, info = self.task, self.info
        retries = task.retries or 0
        if info.run_count > retries:
            if retries:
                self.logger.error("Task run failed after %d attempt(s).", info.run_count)
            return state
        condition = task.retry_condition_fn
        if condition is not None:
            try:
                if not condition(task, info, state):
                    self.logger.info("retry_condition_fn returned False: not retrying.")
                    return state
            except Exception:
                self.logger.error("retry_condition_fn raised: not retrying.", exc_info=True)
                return state
        self.delay = retry_delay(task._retry_delays, info.run_count, task.retry_jitter_factor)
        scheduled = now_utc() + dt.timedelta(seconds=self.delay)
        self.logger.info(
            "Task run failed (%s); retry %d of %d in %gs.",
            state.message,
            info.run_count,
            retries,
            self.delay,
        )
        retry = AwaitingRetry(scheduled_time=scheduled, message=state.message)
        self.reporter.propose(self.id, records.state_record(retry.to_state_create()))
        return None

    def start_retry(self) -> None:
        """Enter Retrying (forced: the engine, not the server, decides task retries)."""
        self.info.run_count += 1
        self.reporter.propose(
            self.id, records.state_record(Retrying().to_state_create()), force=True
        )

    # --- end ----------------------------------------------------------------------

    def finish(self, state: State[Any], need_state: bool = True) -> State[Any]:
        """Report the final state; returns it (for :data:`COMPLETED`, built if needed)."""
        if state is COMPLETED:
            timestamp = self.completed_at = _now(_UTC)
            self.reporter.propose(self.id, records.timestamped("COMPLETED", timestamp))
            if self.status is not None:
                self.status.type = StateType.COMPLETED
            if not need_state and not self.task.on_completion:
                return state
            return completed_run(
                self.value,
                timestamp=timestamp,
                task_run_id=self.id,
                flow_run_id=self.info.flow_run_id,
            )
        details = state.state_details
        details.task_run_id = self.id
        details.flow_run_id = self.info.flow_run_id
        if self.cache_key is not None and details.cache_key is None:
            details.cache_key = self.cache_key
            details.cache_expiration = self.cache_expiration
        if state.name != "Cached" and state.name != "NotReady":
            self.reporter.propose(self.id, records.state_record(state.to_state_create()))
        if self.status is not None:
            self.status.type = state.type
        return state

    def after(self, state: State[Any]) -> None:
        """Hooks and, for a task run outside any flow, writing its records now."""
        task = self.task
        if state is COMPLETED:
            if self.flow_ctx is None:
                self.reporter.flush()
                flush_logs()
            return
        hooks = task.on_completion if state.is_completed() else task.on_failure
        if hooks and not state.name == "Cached":
            run_hooks(hooks, task, self.info, state, self.logger)
        if self.flow_ctx is None:
            self.reporter.flush()
            flush_logs()

    async def after_async(self, state: State[Any]) -> None:
        task = self.task
        if state is COMPLETED:
            if self.flow_ctx is None:
                await asyncio.to_thread(self.reporter.flush)
                await asyncio.to_thread(flush_logs)
            return
        hooks = task.on_completion if state.is_completed() else task.on_failure
        if hooks and not state.name == "Cached":
            await run_hooks_async(hooks, task, self.info, state, self.logger)
        if self.flow_ctx is None:
            await asyncio.to_thread(self.reporter.flush)
            await asyncio.to_thread(flush_logs)


def _output(engine: TaskRunEngine, state: State[Any], return_type: str) -> Any:
    """What the run gives its caller: ``return_type`` is "result", "state", or "future"
    (a task runner's: the State, or a :class:`CompletedRun` for a plain returned value)."""
    if state is COMPLETED:
        if return_type == "future":
            # ``finish`` set ``completed_at`` when it reported the Completed state.
            return CompletedRun(
                engine.value, engine.completed_at, engine.id, engine.info.flow_run_id
            )
        return engine.value
    if return_type == "result":
        return state.result()
    return state


def run_task_sync(
    task: Any,
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
    flow_ctx: FlowRunContext | None = None,
    task_run_id: UUID | None = None,
    dynamic_key: str = "0",
    index: int = 0,
    status: RunStatus | None = None,
    task_inputs: dict[str, Any] | None = None,
) -> Any:
    """Run a sync task to its final state; return its result (or state).

    The run's identity is named rather than taken as ``**identity``: packing it into a
    dict and unpacking it again cost two dicts per run.
    """
    setup_logging()
    engine = TaskRunEngine(task, flow_ctx, task_run_id, status)
    state = engine.begin(parameters, wait_for, dynamic_key, index, task_inputs)
    fn = task.fn
    timeout = task.timeout_seconds
    while state is None:
        args, kwargs = task._call.to_call(engine.parameters)
        with engine:
            try:
                if timeout:
                    with sync_timeout(timeout):
                        value = fn(*args, **kwargs)
                else:
                    value = fn(*args, **kwargs)
            except BaseException as exc:
                state = engine.on_exception(exc)
            else:
                state = engine.on_return(value)
        if state is None:
            if engine.delay:
                time.sleep(engine.delay)
            engine.start_retry()
    state = engine.finish(state, return_type == "state")
    if state is not COMPLETED or flow_ctx is None:
        # (a plain value in a flow run, the common case, leaves ``after`` nothing to do)
        engine.after(state)
    return _output(engine, state, return_type)


async def run_task_async(
    task: Any,
    parameters: dict[str, Any],
    wait_for: Any = None,
    return_type: str = "result",
    flow_ctx: FlowRunContext | None = None,
    task_run_id: UUID | None = None,
    dynamic_key: str = "0",
    index: int = 0,
    status: RunStatus | None = None,
    task_inputs: dict[str, Any] | None = None,
) -> Any:
    """Run an async task to its final state; return its result (or state)."""
    setup_logging()
    engine = TaskRunEngine(task, flow_ctx, task_run_id, status)
    state = engine.begin(parameters, wait_for, dynamic_key, index, task_inputs)
    fn = task.fn
    timeout = task.timeout_seconds
    while state is None:
        args, kwargs = task._call.to_call(engine.parameters)
        with engine:
            try:
                if timeout:
                    async with async_timeout(timeout):
                        value = await fn(*args, **kwargs)
                else:
                    value = await fn(*args, **kwargs)
            except BaseException as exc:
                state = engine.on_exception(exc)
            else:
                state = engine.on_return(value)
        if state is None:
            if engine.delay:
                await asyncio.sleep(engine.delay)
            engine.start_retry()
    state = engine.finish(state, need_state=return_type == "state")
    await engine.after_async(state)
    return _output(engine, state, return_type)


def task_policy(retries: int, delays: Any, jitter: float | None) -> TaskRunPolicy:
    """The retry policy recorded on a task's runs."""
    return TaskRunPolicy(retries=retries, retry_delay=delays, retry_jitter_factor=jitter)
