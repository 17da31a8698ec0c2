"""Tasks: calls inside and outside flows, options, retries, hooks, tags, timeouts."""

from __future__ import annotations

import asyncio
import random
import sys
import time

import pytest

from podium import Task, flow, tags, task
from podium.engine._identity import task_call_identity
from podium.schemas.filters import FilterIds, FilterOptionalIds, FlowRunFilter, TaskRunFilter
from podium.schemas.states import StateType
from podium.tasks import exponential_backoff


def task_runs_of(client, flow_run_id):
    return client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FilterIds(any_=[flow_run_id])), limit=1000
    )


def test_task_in_flow_is_recorded(client):
    @task
    def add(x: int, y: int) -> int:
        return x + y

    @flow
    def f() -> int:
        return add(add(1, 2), 3)

    state = f(return_state=True)
    assert state.result() == 6
    runs = task_runs_of(client, state.state_details.flow_run_id)
    assert len(runs) == 2
    assert {r.state_type for r in runs} == {StateType.COMPLETED}
    assert {r.name for r in runs} == {"add-0", "add-1"}
    assert all(r.run_count == 1 and r.start_time and r.end_time for r in runs)
    assert len({r.dynamic_key for r in runs}) == 2


def test_a_flow_that_seeds_random_still_gets_new_run_ids(client):
    @task
    def draw() -> float:
        return random.random()

    @flow
    def seeded() -> float:
        random.seed(42)
        return draw()

    first = seeded(return_state=True)
    second = seeded(return_state=True)

    assert first.result() == second.result()
    first_runs = task_runs_of(client, first.state_details.flow_run_id)
    second_runs = task_runs_of(client, second.state_details.flow_run_id)
    assert len(first_runs) == len(second_runs) == 1
    assert first_runs[0].id != second_runs[0].id
    assert first_runs[0].flow_run_id != second_runs[0].flow_run_id


def test_task_outside_flow_runs_and_is_recorded(client):
    @task
    def double(x: int) -> int:
        return 2 * x

    assert isinstance(double, Task)
    assert double(4) == 8
    state = double(5, return_state=True)
    assert state.result() == 10
    run = client.read_task_run(state.state_details.task_run_id)
    assert run.flow_run_id is None
    assert run.state_type == StateType.COMPLETED


def test_calls_outside_a_flow_from_one_line_are_separate_runs(client):
    @task
    def double(x: int) -> int:
        return 2 * x

    states = [double(i, return_state=True) for i in range(20)]
    # Calls made within the same millisecond get keys of their own too.
    frame = sys._getframe()
    keys = {task_call_identity(double.task_key, None, frame)[0] for _ in range(200)}

    runs = [client.read_task_run(s.state_details.task_run_id) for s in states]
    assert len({run.id for run in runs}) == 20
    assert len({run.dynamic_key for run in runs}) == 20
    assert len(keys) == 200
    assert [s.result() for s in states] == [2 * i for i in range(20)]


async def test_async_task_in_async_flow(client):
    @task
    async def slow_add(x: int) -> int:
        await asyncio.sleep(0.01)
        return x + 1

    @flow
    async def f() -> list[int]:
        return list(await asyncio.gather(slow_add(1), slow_add(2)))

    state = await f(return_state=True)
    assert state.result() == [2, 3]
    runs = task_runs_of(client, state.state_details.flow_run_id)
    assert len(runs) == 2 and all(r.state_type == StateType.COMPLETED for r in runs)


async def test_async_task_outside_flow():
    @task
    async def t() -> str:
        return "hi"

    assert await t() == "hi"


def test_task_failure_state_and_exception(client):
    @task
    def bad() -> None:
        raise KeyError("missing")

    @flow
    def f():
        state = bad(return_state=True)
        return state.type, state.message

    state_type, message = f()
    assert state_type == StateType.FAILED
    assert "missing" in message


def test_retries_and_run_count(client):
    attempts = []

    @task(retries=3, retry_delay_seconds=[0, 0.01])
    def flaky() -> int:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("try again")
        return len(attempts)

    @flow
    def f():
        return flaky(return_state=True)

    state = f()
    assert state.result() == 3
    run = client.read_task_run(state.state_details.task_run_id)
    assert run.run_count == 3
    assert run.state_type == StateType.COMPLETED
    names = [s.name for s in client.read_task_run_states(run.id)]
    assert names == [
        "Running",
        "AwaitingRetry",
        "Retrying",
        "AwaitingRetry",
        "Retrying",
        "Completed",
    ]


def test_retries_exhausted_and_retry_condition(client):
    @task(retries=2)
    def always() -> None:
        raise ValueError("no")

    def only_runtime_errors(task, task_run, state) -> bool:
        try:
            state.result()
        except RuntimeError:
            return True
        except Exception:
            return False
        return False

    @task(retries=5, retry_condition_fn=only_runtime_errors)
    def value_error() -> None:
        raise ValueError("not retried")

    @flow
    def f():
        first = always(return_state=True)
        second = value_error(return_state=True)
        return first.state_details.task_run_id, second.state_details.task_run_id

    first, second = f()
    assert client.read_task_run(first).run_count == 3
    assert client.read_task_run(second).run_count == 1


def test_exponential_backoff():
    assert exponential_backoff(backoff_factor=2)(3) == [2, 4, 8]
    t = task(retries=3, retry_delay_seconds=exponential_backoff(1))(lambda: None)
    assert t._retry_delays == [1, 2, 4]


def test_task_run_name_and_tags(client):
    @task(task_run_name="greet-{name}", tags=["t1"])
    def greet(name: str) -> str:
        return f"hi {name}"

    @flow
    def f():
        with tags("outer"):
            return greet("ann", return_state=True)

    state = f()
    run = client.read_task_run(state.state_details.task_run_id)
    assert run.name == "greet-ann"
    assert set(run.tags) == {"t1", "outer"}
    found = client.read_task_runs(
        task_run_filter=TaskRunFilter(flow_run_id=FilterOptionalIds(is_null_=False))
    )
    assert [r.id for r in found] == [run.id]


def test_with_options_and_fn():
    @task(retries=1, name="orig")
    def t(x: int) -> int:
        return x

    copy = t.with_options(name="renamed", retries=4)
    assert copy.name == "renamed" and copy.retries == 4 and t.retries == 1
    assert t.fn(3) == 3
    with pytest.raises(TypeError, match="Unknown task option"):
        task(nonsense=True)


def test_task_hooks():
    seen = []

    @task(
        on_completion=[lambda t, run, s: seen.append(("ok", t.name, s.type))],
        on_failure=[lambda t, run, s: seen.append(("fail", run.name, s.type))],
    )
    def maybe(fail: bool) -> None:
        if fail:
            raise ValueError()

    @flow
    def f():
        maybe(False)
        maybe(True, return_state=True)

    f()
    assert seen == [("ok", "maybe", StateType.COMPLETED), ("fail", "maybe-1", StateType.FAILED)]


def test_sync_task_timeout(client):
    @task(timeout_seconds=0.2)
    def slow() -> None:
        for _ in range(100):
            time.sleep(0.02)

    @flow
    def f():
        state = slow(return_state=True)
        return state.name, state.message, state.state_details.task_run_id

    started = time.monotonic()
    name, message, task_run_id = f()
    assert time.monotonic() - started < 1.5
    assert name == "TimedOut"
    assert message == "Task run exceeded timeout of 0.2 second(s)"
    assert client.read_task_run(task_run_id).state_name == "TimedOut"


def test_sync_task_timeout_in_worker_thread():
    @task(timeout_seconds=0.2)
    def slow() -> None:
        for _ in range(100):
            time.sleep(0.02)

    @flow
    def f():
        future = slow.submit()
        future.wait()
        return future.state.name

    assert f() == "TimedOut"


async def test_async_task_timeout():
    @task(timeout_seconds=0.1)
    async def slow() -> None:
        await asyncio.sleep(5)

    @flow
    async def f():
        state = await slow(return_state=True)
        return state.name, state.message

    name, message = await f()
    assert name == "TimedOut" and "0.1 second" in message


def test_flow_timeout_sync_and_message(client):
    @flow(timeout_seconds=0.2)
    def slow() -> None:
        time.sleep(3)

    started = time.monotonic()
    state = slow(return_state=True)
    assert time.monotonic() - started < 1.5
    assert state.name == "TimedOut"
    assert state.message == "Flow run exceeded timeout of 0.2 second(s)"
    assert client.read_flow_run(state.state_details.flow_run_id).state_name == "TimedOut"


async def test_flow_timeout_async():
    @flow(timeout_seconds=0.1)
    async def slow() -> None:
        await asyncio.sleep(3)

    state = await slow(return_state=True)
    assert state.name == "TimedOut"
