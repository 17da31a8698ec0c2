"""The thread pool's own future: what ``concurrent.futures.Future`` answers, and when."""

from __future__ import annotations

import concurrent.futures
import sys
import threading
import time

import pytest

from podium.futures import RunFuture


def _settle_later(seconds: float, settle) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), settle()))
    thread.start()
    return thread


def test_result_waits_for_a_value_set_by_another_thread() -> None:
    future: RunFuture[int] = RunFuture()
    assert future.set_running_or_notify_cancel()
    assert future.running() and not future.done()
    thread = _settle_later(0.05, lambda: future.set_result(7))
    assert future.result(timeout=10) == 7
    thread.join()
    assert future.done() and not future.running() and future.exception() is None


def test_result_raises_the_exception_set() -> None:
    future: RunFuture[int] = RunFuture()
    future.set_running_or_notify_cancel()
    future.set_exception(KeyError("missing"))
    assert isinstance(future.exception(), KeyError)
    with pytest.raises(KeyError, match="missing"):
        future.result()


def test_a_run_still_going_times_out() -> None:
    future: RunFuture[int] = RunFuture()
    future.set_running_or_notify_cancel()
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        future.result(timeout=0.05)
    assert time.monotonic() - started >= 0.05
    future.set_result(1)
    assert future.result(timeout=0) == 1


def test_only_a_run_not_started_can_be_cancelled() -> None:
    queued: RunFuture[int] = RunFuture()
    assert queued.cancel() and queued.cancel()
    assert queued.cancelled() and queued.done()
    assert not queued.set_running_or_notify_cancel()  # the runner then skips it
    with pytest.raises(concurrent.futures.CancelledError):
        queued.result()

    started: RunFuture[int] = RunFuture()
    started.set_running_or_notify_cancel()
    assert not started.cancel()
    started.set_result(2)
    assert not started.cancel() and started.result() == 2


def test_a_done_future_cannot_be_settled_again() -> None:
    future: RunFuture[int] = RunFuture()
    future.set_running_or_notify_cancel()
    future.set_result(1)
    with pytest.raises(concurrent.futures.InvalidStateError):
        future.set_result(2)
    assert future.result() == 1


def test_a_waiter_on_a_cancelled_run_is_woken() -> None:
    future: RunFuture[int] = RunFuture()
    thread = _settle_later(0.05, future.cancel)
    with pytest.raises(concurrent.futures.CancelledError):
        future.result(timeout=10)
    thread.join()


def test_done_callbacks_run_once_done_or_at_once() -> None:
    future: RunFuture[int] = RunFuture()
    seen: list[tuple[str, int]] = []

    def failing(_: RunFuture[int]) -> None:
        raise RuntimeError("a callback's error reaches no one else")

    future.add_done_callback(lambda f: seen.append(("before", f.result())))
    future.add_done_callback(failing)
    future.add_done_callback(lambda f: seen.append(("after failing", f.result())))
    assert seen == []
    future.set_running_or_notify_cancel()
    future.set_result(3)
    assert seen == [("before", 3), ("after failing", 3)]
    future.add_done_callback(lambda f: seen.append(("late", f.result())))
    assert seen[-1] == ("late", 3)


def test_many_waiters_on_many_futures_all_wake() -> None:
    futures: list[RunFuture[int]] = [RunFuture() for _ in range(200)]
    results: list[int] = []
    lock = threading.Lock()

    def collect(future: RunFuture[int]) -> None:
        value = future.result(timeout=30)
        with lock:
            results.append(value)

    waiters = [threading.Thread(target=collect, args=(f,)) for f in futures for _ in range(2)]
    for waiter in waiters:
        waiter.start()
    for i, future in enumerate(futures):
        future.set_running_or_notify_cancel()
        future.set_result(i)
    for waiter in waiters:
        waiter.join(30)
    assert sorted(results) == sorted(list(range(200)) * 2)


def test_a_run_is_either_cancelled_or_started_never_both() -> None:
    # Threads take turns every microsecond or so, so the two threads' calls interleave.
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        _cancel_while_starting()
    finally:
        sys.setswitchinterval(previous)


def _cancel_while_starting() -> None:
    futures: list[RunFuture[int]] = [RunFuture() for _ in range(2000)]
    cancelled: list[bool] = []
    started: list[bool] = []
    go = threading.Barrier(2, timeout=10)

    def cancel_all() -> None:
        go.wait()
        cancelled.extend(f.cancel() for f in futures)

    canceller = threading.Thread(target=cancel_all)
    canceller.start()
    go.wait()
    started.extend(f.set_running_or_notify_cancel() for f in futures)
    canceller.join(10)

    for future, was_cancelled, was_started in zip(futures, cancelled, started, strict=True):
        assert was_cancelled != was_started
        assert future.cancelled() == was_cancelled
        assert future.running() == was_started
