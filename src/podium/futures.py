"""Futures: handles on task runs submitted to a task runner.

``task.submit(...)`` returns a :class:`PodiumFuture`; ``task.map(...)`` a
:class:`PodiumFutureList`. A future knows its ``task_run_id`` at once; ``wait()`` blocks
until the run is final, ``result()`` returns its value (raising its exception if it
failed), ``state`` is its current state. :func:`wait` and :func:`as_completed` work on
many futures at once.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from podium.schemas.states import StateType
from podium.states import Pending, Running, State
from podium.states._constructors import completed_run

__all__ = [
    "CompletedRun",
    "DoneAndNotDoneFutures",
    "PodiumConcurrentFuture",
    "PodiumFuture",
    "PodiumFutureList",
    "RunFuture",
    "as_completed",
    "wait",
]

R = TypeVar("R")


class RunStatus:
    """The state type of a run in progress, updated by the engine (cheaper than a State)."""

    __slots__ = ("type",)

    def __init__(self) -> None:
        self.type = StateType.PENDING


class CompletedRun:
    """A thread-pool run that returned a plain value, before anyone asks for its State.

    A ``.map`` collects its results with ``future.result()``, which needs the value
    only; building each run's Completed :class:`State` (its details, an id) cost a
    tenth of a mapped item. The State is built from this the first time the run's
    future is asked for it (``future.state``, ``wrapped_future.result()``), with the
    timestamp of the Completed state the engine reported.
    """

    __slots__ = ("flow_run_id", "task_run_id", "timestamp", "value")

    def __init__(
        self, value: Any, timestamp: dt.datetime, task_run_id: UUID, flow_run_id: UUID | None
    ) -> None:
        self.value = value
        self.timestamp = timestamp
        self.task_run_id = task_run_id
        self.flow_run_id = flow_run_id

    def to_state(self) -> State[Any]:
        return completed_run(
            self.value,
            timestamp=self.timestamp,
            task_run_id=self.task_run_id,
            flow_run_id=self.flow_run_id,
        )


_PENDING, _RUNNING, _CANCELLED, _FINISHED = range(4)
_settling = threading.Lock()  # guards every RunFuture's state changes: each holds it briefly

logger = logging.getLogger("podium.futures")


class RunFuture(RunStatus, Generic[R]):
    """The outcome of one run queued on a thread pool: a lighter ``concurrent.futures.Future``.

    It answers the same calls (``result``, ``exception``, ``done``, ``cancel``,
    ``cancelled``, ``running``, ``add_done_callback``; ``set_result``,
    ``set_exception`` and ``set_running_or_notify_cancel`` for the runner). A
    ``Future`` builds a ``Condition`` (a lock, a deque and five bound methods) for
    every run, and a ``.map`` keeps thousands of them alive until its results are
    collected, where the cyclic collector scans them again and again. Here one lock
    guards every future's changes, and the object to wait on is made only when
    someone waits for a run still going.

    It is also the run's :class:`RunStatus` (the engine updates its ``type``): one
    object less per run.
    """

    __slots__ = ("_callbacks", "_event", "_exception", "_result", "_state")

    def __init__(self) -> None:
        self.type = StateType.PENDING
        self._state = _PENDING
        self._result: R | None = None
        self._exception: BaseException | None = None
        self._event: threading.Event | None = None
        self._callbacks: list[Callable[[RunFuture[R]], object]] | None = None

    def done(self) -> bool:
        return self._state >= _CANCELLED

    def cancelled(self) -> bool:
        return self._state == _CANCELLED

    def running(self) -> bool:
        return self._state == _RUNNING

    def cancel(self) -> bool:
        """Cancel the run if it has not started; whether it is cancelled."""
        with _settling:
            if self._state == _CANCELLED:
                return True
            if self._state != _PENDING:
                return False
            self._state = _CANCELLED
            event, callbacks, self._callbacks = self._event, self._callbacks, None
        self._notify(event, callbacks)
        return True

    def set_running_or_notify_cancel(self) -> bool:
        """Mark the run started; ``False`` if it was cancelled first."""
        with _settling:
            if self._state == _CANCELLED:
                return False
            if self._state != _PENDING:
                raise RuntimeError(f"{self!r} was already started")
            self._state = _RUNNING
            return True

    def set_result(self, result: R) -> None:
        self._finish(result, None)

    def set_exception(self, exception: BaseException) -> None:
        self._finish(None, exception)

    def _finish(self, result: R | None, exception: BaseException | None) -> None:
        with _settling:
            if self._state >= _CANCELLED:
                raise concurrent.futures.InvalidStateError(f"{self!r} is already done")
            self._result, self._exception = result, exception
            self._state = _FINISHED  # last: a reader that sees it done sees the outcome
            event, callbacks, self._callbacks = self._event, self._callbacks, None
        if event is not None or callbacks:  # (mostly neither: a call saved per run)
            self._notify(event, callbacks)

    def _notify(
        self,
        event: threading.Event | None,
        callbacks: list[Callable[[RunFuture[R]], object]] | None,
    ) -> None:
        if event is not None:
            event.set()
        for fn in callbacks or ():
            try:
                fn(self)
            except Exception:
                logger.exception("A done callback of a task run's future raised")

    def _wait(self, timeout: float | None) -> None:
        if self._state >= _CANCELLED:
            return
        with _settling:
            if self._state >= _CANCELLED:
                return
            event = self._event
            if event is None:
                event = self._event = threading.Event()
        if not event.wait(timeout):
            raise TimeoutError

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """The run's exception (``None`` if it returned); waits up to ``timeout`` seconds.

        Raises:
            TimeoutError: the run did not finish in time.
            concurrent.futures.CancelledError: the run was cancelled.
        """
        self._wait(timeout)
        if self._state == _CANCELLED:
            raise concurrent.futures.CancelledError
        return self._exception

    def result(self, timeout: float | None = None) -> R:
        """The run's value (its exception raised); waits up to ``timeout`` seconds.

        A :class:`CompletedRun` is given as its State, built once.
        """
        exception = self.exception(timeout)
        if exception is not None:
            raise exception
        result = self._result
        if type(result) is CompletedRun:
            with _settling:
                result = self._result
                if type(result) is CompletedRun:
                    result = self._result = result.to_state()  # type: ignore[assignment]
        return result  # type: ignore[return-value]

    def add_done_callback(self, fn: Callable[[RunFuture[R]], object]) -> None:
        """Call ``fn(self)`` once the run is done (at once if it is)."""
        with _settling:
            if self._state < _CANCELLED:
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        fn(self)

    def __repr__(self) -> str:
        names = ("pending", "running", "cancelled", "finished")
        return f"<{type(self).__name__} {names[self._state]}>"


class PodiumFuture(Generic[R]):
    """A task run submitted to a task runner.

    Attributes:
        task_run_id: the id of the task run (known at once).
    """

    def __init__(self, task_run_id: UUID) -> None:
        self.task_run_id = task_run_id

    @property
    def state(self) -> State[R]:
        """The run's state: its final state once done, else Pending or Running."""
        raise NotImplementedError

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is final, or ``timeout`` seconds have passed."""
        raise NotImplementedError

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        """The run's result; waits for it first.

        Args:
            timeout: seconds to wait at most.
            raise_on_failure: raise the run's exception if it failed (else return it).

        Raises:
            TimeoutError: the run did not finish within ``timeout``.
        """
        raise NotImplementedError

    def add_done_callback(self, fn: Callable[[PodiumFuture[R]], None]) -> None:
        """Call ``fn(self)`` once the run is final."""
        raise NotImplementedError

    def done(self) -> bool:
        """Whether the run is final."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(task_run_id={self.task_run_id})"


class PodiumConcurrentFuture(PodiumFuture[R]):
    """A future backed by a :class:`RunFuture` (thread pool) or a ``concurrent.futures.Future``
    (process pool) whose value is a final State."""

    def __init__(
        self,
        task_run_id: UUID,
        wrapped: concurrent.futures.Future[State[R]] | RunFuture[State[R]],
        status: RunStatus | None = None,
    ) -> None:
        self.task_run_id = task_run_id  # what ``PodiumFuture.__init__`` does, without ``super()``
        self.wrapped_future = wrapped
        self._status = status

    @property
    def state(self) -> State[R]:
        if self.wrapped_future.done():
            return self._final()
        if self._status is not None and self._status.type == StateType.RUNNING:
            return Running()
        return Pending()

    def _final(self) -> State[R]:
        try:
            return self.wrapped_future.result()
        except concurrent.futures.CancelledError:
            raise
        except BaseException as exc:
            # the engine returns states, so this is a crash of the runner itself
            from_state: State[R] = State(
                type=StateType.CRASHED, message=f"{type(exc).__name__}: {exc}"
            )
            return from_state.attach_result(exc)

    def done(self) -> bool:
        return self.wrapped_future.done()

    def wait(self, timeout: float | None = None) -> None:
        self._wait(timeout)

    def _wait(self, timeout: float | None) -> bool:
        """Wait until done (or ``timeout``); whether it is done.

        A run that is already done (most of them, when a flow collects its results) costs
        no waiter objects.
        """
        future = self.wrapped_future
        if future.done():
            return True
        try:
            future.exception(timeout)
        except concurrent.futures.CancelledError:
            return True
        except TimeoutError:
            return False
        return True

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> R:
        future = self.wrapped_future
        is_run_future = type(future) is RunFuture
        # A thread-pool run that is done (most, when a flow collects a ``.map``'s
        # results) needs no wait; one that returned a plain value whose State nobody
        # built gives the value, read here without a call.
        if not (is_run_future and future._state == _FINISHED) and not self._wait(timeout):
            raise TimeoutError(
                f"Task run {self.task_run_id} did not finish within {timeout} second(s)."
            )
        if is_run_future:
            result = future._result
            if type(result) is CompletedRun:
                return result.value
        return self._final().result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, fn: Callable[[PodiumFuture[R]], None]) -> None:
        self.wrapped_future.add_done_callback(lambda _: fn(self))


class PodiumFutureList(list[PodiumFuture[R]]):
    """The futures ``task.map`` returns, in the order of the mapped inputs."""

    def wait(self, timeout: float | None = None) -> None:
        """Block until every run is final, or ``timeout`` seconds have passed."""
        wait(list(self), timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[R]:
        """Every run's result, in order.

        Raises:
            TimeoutError: not all runs finished within ``timeout``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        results = []
        for future in self:
            remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            results.append(future.result(timeout=remaining, raise_on_failure=raise_on_failure))
        return results


class DoneAndNotDoneFutures(NamedTuple, Generic[R]):
    """What :func:`wait` returns."""

    done: set[PodiumFuture[R]]
    not_done: set[PodiumFuture[R]]


def wait(
    futures: Iterable[PodiumFuture[R]], timeout: float | None = None
) -> DoneAndNotDoneFutures[R]:
    """Wait until all ``futures`` are final or ``timeout`` seconds have passed.

    Returns:
        The futures that are done and those that are not.
    """
    futures = list(futures)
    deadline = None if timeout is None else time.monotonic() + timeout
    for future in futures:
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        future.wait(remaining)
        if deadline is not None and time.monotonic() >= deadline:
            break
    done = {f for f in futures if f.done()}
    return DoneAndNotDoneFutures(done, set(futures) - done)


def as_completed(
    futures: Iterable[PodiumFuture[R]], timeout: float | None = None
) -> Iterator[PodiumFuture[R]]:
    """Yield ``futures`` as they finish.

    Raises:
        TimeoutError: some futures did not finish within ``timeout`` seconds.
    """
    pending = list(dict.fromkeys(futures))
    finished: list[PodiumFuture[R]] = []
    ready = threading.Condition()

    def _done(future: PodiumFuture[R]) -> None:
        with ready:
            finished.append(future)
            ready.notify()

    for future in pending:
        future.add_done_callback(_done)
    deadline = None if timeout is None else time.monotonic() + timeout
    yielded = 0
    while yielded < len(pending):
        with ready:
            while not finished:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    raise TimeoutError(
                        f"{len(pending) - yielded} of {len(pending)} futures unfinished after "
                        f"{timeout} second(s)."
                    )
                ready.wait(remaining)
            batch, finished[:] = list(finished), []
        for future in batch:
            yielded += 1
            yield future
