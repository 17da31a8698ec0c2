"""Subflows: child runs linked to their parent; identity by call site on parent retries."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from concurrent.futures import ThreadPoolExecutor

from podium import flow, task
from podium.schemas.filters import FilterIds, FilterOptionalIds, FlowRunFilter
from podium.schemas.states import StateType


def children_of(client, parent_id):
    return client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FilterOptionalIds(any_=[parent_id]))
    )


def test_subflow_is_linked_to_parent(client):
    @flow
    def child(x: int) -> int:
        return x * 2

    @flow
    def parent() -> int:
        return child(1) + child(2)

    state = parent(return_state=True)
    assert state.result() == 6
    parent_id = state.state_details.flow_run_id
    kids = children_of(client, parent_id)
    assert len(kids) == 2
    assert all(k.state_type == StateType.COMPLETED for k in kids)
    # each child has a task run in the parent standing for the call
    parent_tasks = client.read_task_runs(
        flow_run_filter=FlowRunFilter(id=FilterIds(any_=[parent_id]))
    )
    assert {t.id for t in parent_tasks} == {k.parent_task_run_id for k in kids}
    assert all(t.state_type == StateType.COMPLETED for t in parent_tasks)
    assert sorted(k.parameters["x"] for k in kids) == [1, 2]


async def test_async_subflows(client):
    @flow
    async def child(x: int) -> int:
        await asyncio.sleep(0.01)
        return x + 1

    @flow
    async def parent() -> list[int]:
        return list(await asyncio.gather(child(1), child(2), child(3)))

    state = await parent(return_state=True)
    assert state.result() == [2, 3, 4]
    assert len(children_of(client, state.state_details.flow_run_id)) == 3


def test_failed_subflow_fails_parent():
    @flow
    def child() -> None:
        raise ValueError("child broke")

    @flow
    def parent() -> None:
        child()

    state = parent(return_state=True)
    assert state.is_failed() and "child broke" in state.message


def test_tasks_inside_subflow_belong_to_child(client):
    @task
    def t() -> int:
        return 1

    @flow
    def child() -> int:
        return t()

    @flow
    def parent() -> int:
        return child()

    state = parent(return_state=True)
    kid = children_of(client, state.state_details.flow_run_id)[0]
    runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FilterIds(any_=[kid.id])))
    assert [r.task_key.split("-")[0] for r in runs] == [
        "test_tasks_inside_subflow_belong_to_child.<locals>.t"
    ]


# --- the concurrent subflows + parent retry scenario -----------------------------------


def test_concurrent_subflows_from_threads_keep_their_results_on_parent_retry(client):
    calls: list[int] = []
    lock = threading.Lock()
    attempts = []

    @flow(persist_result=True)
    def square(x: int) -> int:
        with lock:
            calls.append(x)
        return x * x

    @flow(retries=1)
    def parent() -> list[int]:
        attempts.append(1)
        with ThreadPoolExecutor(4) as pool:
            # threads see the flow run only through a copy of the context; the call site is
            # the same for all: only the parameters tell the calls apart
            futures = [pool.submit(contextvars.copy_context().run, square, x) for x in range(1, 7)]
            results = [f.result() for f in futures]
        if len(attempts) == 1:
            raise RuntimeError("fail after the children completed")
        return results

    state = parent(return_state=True)
    assert state.result() == [1, 4, 9, 16, 25, 36]
    assert sorted(calls) == [1, 2, 3, 4, 5, 6]  # no child ran twice
    parent_run = client.read_flow_run(state.state_details.flow_run_id)
    assert parent_run.run_count == 2
    kids = children_of(client, parent_run.id)
    assert len(kids) == 6  # the retry found the same child runs


async def test_concurrent_async_subflows_keep_their_results_on_parent_retry(client):
    calls: list[int] = []
    attempts = []

    @flow(persist_result=True)
    async def child(x: int) -> str:
        calls.append(x)
        await asyncio.sleep(0.01 * (5 - x))  # finish in reverse order
        return f"child-{x}"

    @flow(retries=1)
    async def parent() -> list[str]:
        attempts.append(1)
        results = await asyncio.gather(*(child(x) for x in range(5)))
        same = await asyncio.gather(child(7), child(7))  # same site, same parameters
        if len(attempts) == 1:
            raise RuntimeError("retry me")
        return [*results, *same]

    state = await parent(return_state=True)
    assert state.result() == [f"child-{x}" for x in range(5)] + ["child-7", "child-7"]
    assert sorted(calls) == [0, 1, 2, 3, 4, 7, 7]


def test_failed_child_reruns_on_parent_retry(client):
    runs: list[int] = []

    @flow(persist_result=True)
    def child(x: int) -> int:
        runs.append(x)
        if len(runs) == 1:
            raise ValueError("first time fails")
        return x

    @flow(retries=1)
    def parent() -> int:
        return child(5)

    state = parent(return_state=True)
    assert state.result() == 5
    assert runs == [5, 5]
    kids = children_of(client, state.state_details.flow_run_id)
    assert len(kids) == 1 and kids[0].state_type == StateType.COMPLETED
    assert kids[0].run_count == 2


def test_subflow_results_persisted_when_parent_may_retry():
    calls = []

    @flow
    def child() -> int:
        calls.append(1)
        return 42

    attempts = []

    @flow(retries=1)
    def parent() -> int:
        attempts.append(1)
        value = child()
        if len(attempts) == 1:
            raise RuntimeError("again")
        return value

    assert parent() == 42
    assert calls == [1]
