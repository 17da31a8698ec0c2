"""The flow run loop, sync and async.

Unlike a task run, a flow run goes through the API at each step: it is created (directly
in Running, or Pending when its parameters do not validate), it asks to enter Running
again for a retry, and it proposes its final state, and the server's answer is obeyed.
A Failed proposal may come back as AwaitingRetry (the server's retry rule): the engine
waits until the scheduled time and runs the function again. A refused Running (the run
was cancelled, or is already finished) stops the run without calling the function.

Before the final state is proposed, the attempt's task runner is drained and the
task-run reporter flushed, so a finished flow run never has task runs still Running.
:class:`FlowRunEngine` holds the steps; :func:`run_flow_sync` and :func:`run_flow_async`
are the loops.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from podium.context import FlowRunContext
from podium.engine._api import engine_client
from podium.engine._flow_run import FlowRunSteps
from podium.engine._timeouts import async_timeout, sync_timeout
from podium.exceptions import TerminationSignal
from podium.logging import capture_prints, setup_logging
from podium.states import State

__all__ = ["run_flow_async", "run_flow_sync"]


def _raise_termination(signum: int, frame: Any) -> None:
    raise TerminationSignal(signum)


@contextmanager
def _sigterm_as_exception(top_level: bool) -> Iterator[None]:
    """In the main thread, make SIGTERM raise so the run can end as Crashed."""
    if not top_level or threading.current_thread() is not threading.main_thread():
        yield
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
    except (ValueError, OSError):
        yield
        return
    if previous not in (signal.SIG_DFL, None):
        yield
        return
    signal.signal(signal.SIGTERM, _raise_termination)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_flow_sync(
    flow: Any,
    parameters: dict[str, Any],
    return_type: str = "result",
    *,
    frame: FrameType | None = None,
    steps: FlowRunSteps | None = None,
) -> Any:
    """Run a sync flow to its final state; return its result (or state).

    ``steps`` runs an existing flow run instead of creating one (see ``podium.runner``).
    """
    setup_logging()
    steps = steps or FlowRunSteps(flow, parameters, FlowRunContext.get(), frame, engine_client())
    with _sigterm_as_exception(steps.parent is None):
        state = steps.begin()
        while state is None:
            with steps.attempt() as (ctx, runner):
                try:
                    with capture_prints(steps.logger if ctx.log_prints else None):
                        with sync_timeout(flow.timeout_seconds):
                            value = flow.fn(*steps.args, **steps.kwargs)
                except BaseException as exc:
                    runner.__exit__(type(exc), exc, exc.__traceback__)
                    outcome = steps.on_exception(exc)
                else:
                    runner.__exit__(None, None, None)
                    outcome = steps.on_return(value)
            state = steps.finish_attempt(outcome)
            if state is None:
                time.sleep(steps.wait_seconds())
                state = steps.start_retry()
        steps.after(state)
    return steps.output(state, return_type)


async def run_flow_async(
    flow: Any,
    parameters: dict[str, Any],
    return_type: str = "result",
    *,
    frame: FrameType | None = None,
    steps: FlowRunSteps | None = None,
) -> Any:
    """Run an async flow to its final state; return its result (or state).

    ``steps`` runs an existing flow run instead of creating one (see ``podium.runner``).
    """
    setup_logging()
    steps = steps or FlowRunSteps(flow, parameters, FlowRunContext.get(), frame, engine_client())
    state: State[Any] | None = await asyncio.to_thread(steps.begin)
    while state is None:
        with steps.attempt() as (ctx, runner):
            try:
                with capture_prints(steps.logger if ctx.log_prints else None):
                    async with async_timeout(flow.timeout_seconds):
                        value = await flow.fn(*steps.args, **steps.kwargs)
            except BaseException as exc:
                await asyncio.to_thread(runner.__exit__, type(exc), exc, exc.__traceback__)
                outcome = steps.on_exception(exc)
            else:
                await asyncio.to_thread(runner.__exit__, None, None, None)
                outcome = steps.on_return(value)
        state = await asyncio.to_thread(steps.finish_attempt, outcome)
        if state is None:
            await asyncio.sleep(steps.wait_seconds())
            state = await asyncio.to_thread(steps.start_retry)
    await steps.after_async(state)
    return steps.output(state, return_type)
