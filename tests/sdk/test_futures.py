"""Concurrency: submit, map, futures as arguments, wait_for, wait(), as_completed()."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from podium import allow_failure, flow, task, unmapped
from podium.context import FlowRunContext
from podium.exceptions import UpstreamTaskError
from podium.futures import PodiumFuture, PodiumFutureList, as_completed, wait
from podium.schemas.filters import FilterIds, FlowRunFilter
from podium.schemas.states import StateType
from podium.task_runners import ThreadPoolTaskRunner


def task_runs_of(client, flow_run_id, limit=1000, offset=0):
    return client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FilterIds(any_=[flow_run_id])),
        limit=limit,
        offset=offset,
    )


@task
def inc(x: int) -> int:
    return x + 1


@task
def add(x: int, y: int) -> int:
    return x + y


@task
def fail(msg: str = "upstream broke") -> int:
    raise ValueError(msg)


def test_submit_returns_future():
    @flow
    def f():
        future = inc.submit(1)
        assert isinstance(future, PodiumFuture)
        assert future.task_run_id is not None
        assert future.result(timeout=5) == 2
        future.wait()
        assert future.state.is_completed()
        return future.result()

    assert f() == 2


def test_a_completed_futures_state_is_built_once_and_matches_the_recorded_one(client):
    # .result() needs no State; .state builds it on first use, with what was recorded.
    @flow
    def f():
        futures = inc.map(range(3))
        values = futures.result()
        first, second, third = futures
        state = first.state
        assert first.state is state  # built once
        assert first.wrapped_future.result() is state
        assert second.wrapped_future.result() is second.state
        return values, [first, second, third], FlowRunContext.get().flow_run.id

    values, futures, flow_run_id = f()
    assert values == [1, 2, 3]
    recorded = {run.id: run for run in task_runs_of(client, flow_run_id)}
    for future, value in zip(futures, values, strict=True):
        state = future.state
        assert state.is_completed() and state.name == "Completed"
        assert state.result() == value
        assert state.state_details.task_run_id == future.task_run_id
        assert state.state_details.flow_run_id == flow_run_id
        stored = recorded[future.task_run_id].state
        assert stored is not None and stored.type == StateType.COMPLETED
        assert stored.timestamp == state.timestamp


def test_threads_asking_for_a_completed_futures_state_at_once_get_the_same_state():
    @flow
    def f():
        future = inc.submit(1)
        future.wait()
        seen: list[object] = []
        barrier = threading.Barrier(8)

        def ask() -> None:
            barrier.wait()
            seen.append(future.state)

        threads = [threading.Thread(target=ask) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return seen

    seen = f()
    assert len(seen) == 8 and all(state is seen[0] for state in seen)


def test_a_completion_hook_gets_the_state_the_future_gives():
    hooked: list[object] = []

    @task(on_completion=[lambda task, run, state: hooked.append(state)])
    def hooked_inc(x: int) -> int:
        return x + 1

    @flow
    def f():
        future = hooked_inc.submit(1)
        return future.result(), future.state

    value, state = f()
    assert value == 2
    assert hooked == [state]


def test_futures_as_arguments_are_resolved_and_recorded(client):
    @flow
    def f():
        a = inc.submit(1)
        b = inc.submit(a)
        c = add.submit(b, [a, {"k": b}][0])
        return c.result(), a.task_run_id, b.task_run_id, c.task_run_id

    result, a_id, b_id, c_id = f()
    assert result == 5
    c = client.read_task_run(c_id)
    assert [i.id for i in c.task_inputs["x"]] == [b_id]
    assert [i.id for i in c.task_inputs["y"]] == [a_id]
    assert c.task_inputs["x"][0].input_type == "task_run"


def test_wait_for(client):
    order = []
    lock = threading.Lock()

    @task
    def slow() -> None:
        time.sleep(0.05)
        with lock:
            order.append("slow")

    @task
    def after() -> None:
        with lock:
            order.append("after")

    @flow
    def f():
        s = slow.submit()
        a = after.submit(wait_for=[s])
        a.wait()
        return a.task_run_id, s.task_run_id

    a_id, s_id = f()
    assert order == ["slow", "after"]
    assert [i.id for i in client.read_task_run(a_id).task_inputs["wait_for"]] == [s_id]


def test_map_with_unmapped(client):
    @flow
    def f():
        futures = add.map([1, 2, 3], unmapped(10))
        assert isinstance(futures, PodiumFutureList)
        return futures.result()

    assert f() == [11, 12, 13]


def test_maps_from_one_site_and_calls_around_them_get_keys_and_names_of_their_own(client):
    @flow
    def f():
        inc(0)
        for _ in range(2):
            inc.map(range(3)).wait()
        inc(0)
        return FlowRunContext.get().flow_run.id

    runs = task_runs_of(client, f())
    by_site: dict[str, list[int]] = {}
    for run in runs:
        site, occurrence = run.dynamic_key.rsplit("#", 1)
        by_site.setdefault(site, []).append(int(occurrence))
    # Three sites; the map's two calls counted as six calls one after the other.
    assert sorted(sorted(occurrences) for occurrences in by_site.values()) == [
        [0],
        [0],
        [0, 1, 2, 3, 4, 5],
    ]
    assert sorted(run.name for run in runs) == sorted(f"inc-{i}" for i in range(8))


def test_map_over_futures_and_length_mismatch():
    @flow
    def f():
        first = inc.map(range(3))
        return inc.map(first).result()

    assert f() == [2, 3, 4]

    @flow
    def bad():
        add.map([1, 2], [1])

    with pytest.raises(ValueError, match="different lengths"):
        bad()


def test_submit_outside_flow_is_a_clear_error():
    with pytest.raises(RuntimeError, match="needs a flow run"):
        inc.submit(1)


def test_upstream_failure_stops_downstream(client):
    @flow
    def f():
        bad = fail.submit()
        down = inc.submit(bad)
        down.wait()
        return down.state, down.task_run_id

    state_holder = {}

    @flow
    def g():
        state, run_id = f.fn()
        state_holder["state"] = state
        state_holder["id"] = run_id

    g(return_state=True)
    state = state_holder["state"]
    assert state.is_failed() and state.name == "NotReady"
    assert "upstream broke" in state.message
    with pytest.raises(UpstreamTaskError):
        state.result()
    run = client.read_task_run(state_holder["id"])
    assert run.state_name == "NotReady" and run.state_type == StateType.FAILED


def test_allow_failure_passes_exception():
    @task
    def describe(value) -> str:
        return type(value).__name__

    @flow
    def f():
        bad = fail.submit()
        return describe.submit(allow_failure(bad)).result()

    assert f() == "ValueError"


def test_result_raise_on_failure_false():
    @flow
    def f():
        future = fail.submit("nope")
        value = future.result(raise_on_failure=False)
        return type(value).__name__, str(value)

    assert f() == ("ValueError", "nope")


def test_wait_and_as_completed():
    @task
    def sleepy(t: float) -> float:
        time.sleep(t)
        return t

    @flow
    def f():
        futures = [sleepy.submit(t) for t in (0.2, 0.0, 0.1)]
        done, _not_done = wait(futures, timeout=0.05)
        early = len(done)
        order = [fut.result() for fut in as_completed(futures)]
        finished, pending = wait(futures)
        return early, sorted(order), len(finished), len(pending)

    early, order, finished, pending = f()
    assert early >= 1
    assert order == [0.0, 0.1, 0.2]
    assert (finished, pending) == (3, 0)


def test_result_timeout():
    @task
    def sleepy() -> None:
        time.sleep(0.3)

    @flow
    def f():
        with pytest.raises(TimeoutError):
            sleepy.submit().result(timeout=0.01)

    f()


def test_thread_pool_is_bounded():
    threads = set()
    lock = threading.Lock()

    @task
    def who(i: int) -> None:
        with lock:
            threads.add(threading.get_ident())

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=3))
    def f():
        who.map(range(50)).wait()

    f()
    assert len(threads) <= 3


def test_async_tasks_submitted_to_threads():
    @task
    async def async_inc(x: int) -> int:
        await asyncio.sleep(0.001)
        return x + 1

    @flow
    def f():
        return async_inc.map(range(5)).result()

    assert f() == [1, 2, 3, 4, 5]


def test_ten_thousand_mapped_tasks_all_recorded(client):
    @task
    def ident(i: int) -> int:
        if i % 1000 == 999:
            raise ValueError(f"bad {i}")
        return i

    @flow
    def big():
        futures = ident.map(range(10_000))
        futures.wait()
        return "ok"

    state = big(return_state=True)
    assert state.result() == "ok"
    flow_run_id = state.state_details.flow_run_id
    # everything is written by the time the flow call returns
    runs = []
    for offset in range(0, 10_000, 1000):
        runs += task_runs_of(client, flow_run_id, limit=1000, offset=offset)
    assert len(runs) == 10_000
    states = [r.state_type for r in runs]
    assert states.count(StateType.FAILED) == 10
    assert states.count(StateType.COMPLETED) == 9_990
