"""Timeouts for sync and async runs.

* async: ``asyncio.timeout``; the run's coroutine is cancelled at the deadline.
* sync: one watchdog thread for the whole process holds every deadline. When one passes
  it raises :class:`RunTimeout` in the thread running the call: in the main thread by a
  ``SIGALRM`` whose handler raises (this also interrupts ``time.sleep`` and most blocking
  calls), in other threads with ``PyThreadState_SetAsyncExc``, which Python delivers
  at the next bytecode (so a call blocked in C code, such as a long ``time.sleep`` in a
  worker thread, is interrupted when that call returns).

Either way the engine sees :class:`RunTimeout` and ends the run as ``TimedOut``.
"""

from __future__ import annotations

import asyncio
import ctypes
import heapq
import signal
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

__all__ = ["RunTimeout", "async_timeout", "sync_timeout"]


class RunTimeout(TimeoutError):
    """A flow or task run went past its ``timeout_seconds``."""

    def __init__(self, seconds: float | None = None) -> None:
        # raised with no arguments when delivered to a worker thread; the engine re-raises
        # it with the limit
        super().__init__(
            "exceeded its timeout"
            if seconds is None
            else f"exceeded timeout of {seconds:g} second(s)"
        )
        self.seconds = seconds


class _Deadline:
    __slots__ = ("at", "done", "fired", "seconds", "thread_id")

    def __init__(self, at: float, seconds: float, thread_id: int) -> None:
        self.at = at
        self.seconds = seconds
        self.thread_id = thread_id
        self.done = False
        self.fired = False

    def __lt__(self, other: _Deadline) -> bool:
        return self.at < other.at


class _Watchdog:
    """One thread that fires deadlines in the order they fall due."""

    def __init__(self) -> None:
        self._heap: list[_Deadline] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self.lock = threading.Lock()  # guards done/fired against a fire-vs-exit race

    def add(self, deadline: _Deadline) -> None:
        with self._cond:
            heapq.heappush(self._heap, deadline)
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="podium-timeouts", daemon=True
                )
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0].done:
                    if self._heap and self._heap[0].done:
                        heapq.heappop(self._heap)
                        continue
                    self._cond.wait()
                first = self._heap[0]
                delay = first.at - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                heapq.heappop(self._heap)
            self._fire(first)

    def _fire(self, deadline: _Deadline) -> None:
        with self.lock:
            if deadline.done:
                return
            deadline.fired = True
            if deadline.thread_id == threading.main_thread().ident:
                signal.pthread_kill(deadline.thread_id, signal.SIGALRM)
            else:
                _set_async_exc(deadline.thread_id, RunTimeout)


_watchdog = _Watchdog()
_main_deadlines: list[_Deadline] = []


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc is not None else None
    )


def _on_alarm(signum: int, frame: Any) -> None:
    for deadline in reversed(_main_deadlines):
        if deadline.fired and not deadline.done:
            raise RunTimeout(deadline.seconds)


@contextmanager
def sync_timeout(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RunTimeout` in this thread if the block runs past ``seconds``."""
    if not seconds:
        yield
        return
    thread_id = threading.get_ident()
    in_main = thread_id == threading.main_thread().ident
    deadline = _Deadline(time.monotonic() + seconds, seconds, thread_id)
    previous_handler: Any = None
    if in_main:
        previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
        _main_deadlines.append(deadline)
    _watchdog.add(deadline)
    try:
        yield
    except RunTimeout as exc:
        # an asynchronously raised RunTimeout carries no limit: give it this one
        if exc.seconds is None:
            raise RunTimeout(seconds) from None
        raise
    finally:
        with _watchdog.lock:
            deadline.done = True
            if deadline.fired and not in_main:
                _set_async_exc(thread_id, None)  # drop it if not yet delivered
        if in_main:
            _main_deadlines.remove(deadline)
            signal.signal(signal.SIGALRM, previous_handler)


@asynccontextmanager
async def async_timeout(seconds: float | None) -> AsyncIterator[None]:
    """Raise :class:`RunTimeout` if the block runs past ``seconds``."""
    if not seconds:
        yield
        return
    timer = asyncio.timeout(seconds)
    try:
        async with timer:
            yield
    except TimeoutError:
        if timer.expired():
            raise RunTimeout(seconds) from None
        raise
