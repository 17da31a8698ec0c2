"""The default task runner: its own queue, drained by at most ``max_workers`` threads."""

from __future__ import annotations

import threading
import time

import pytest

from podium import flow, task
from podium.task_runners import ThreadPoolTaskRunner


def test_runs_use_every_worker_and_never_more() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()
    all_started = threading.Barrier(4, timeout=10)

    @task
    def hold(i: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        if i < 4:
            all_started.wait()  # only passes once four runs are running at once
        time.sleep(0.002)
        with lock:
            running -= 1
        return i

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=4))
    def f() -> list[int]:
        return hold.map(range(40)).result()

    assert f() == list(range(40))
    assert peak == 4


def test_one_worker_starts_runs_in_submission_order() -> None:
    started: list[int] = []

    @task
    def note(i: int) -> None:
        started.append(i)

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=1))
    def f() -> None:
        note.map(range(200)).wait()

    f()
    assert started == list(range(200))


def test_runs_submitted_from_running_tasks_all_run() -> None:
    # Submissions from several threads at once, while workers run out of
    # queued runs and stop: every run submitted runs.
    @task
    def leaf(i: int) -> int:
        return i

    @task
    def spawn(i: int) -> list:
        return [leaf.submit(i * 100 + j) for j in range(100)]

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def f() -> list[int]:
        spawned = [future.result() for future in spawn.map(range(8))]
        return sorted(leaf.result(timeout=30) for leaves in spawned for leaf in leaves)

    assert f() == list(range(800))


def test_an_interrupt_cancels_the_runs_not_started() -> None:
    release = threading.Event()

    @task
    def blocker() -> str:
        release.wait(10)
        return "done"

    @task
    def later() -> str:
        return "ran"

    runner = ThreadPoolTaskRunner(max_workers=1)
    with pytest.raises(KeyboardInterrupt), runner:
        first = runner.submit(blocker, {}, flow_ctx=None, dynamic_key="a", index=0)
        second = runner.submit(later, {}, flow_ctx=None, dynamic_key="b", index=0)
        threading.Timer(0.2, release.set).start()
        raise KeyboardInterrupt

    assert first.result() == "done"
    assert second.wrapped_future.cancelled()
