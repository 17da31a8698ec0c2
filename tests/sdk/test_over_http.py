"""A representative set of SDK behaviour against a real server over HTTP."""

from __future__ import annotations

import asyncio

import pytest

from podium import flow, get_run_logger, task
from podium.cache_policies import INPUTS
from podium.schemas.filters import FilterIds, FilterOptionalIds, FlowRunFilter, LogFilter
from podium.schemas.states import StateType

pytestmark = pytest.mark.usefixtures("over_http")


@task
def inc(x: int) -> int:
    return x + 1


def test_flow_with_tasks_and_map(client):
    assert client._http.base_url.host == "127.0.0.1"

    @flow
    def f(n: int) -> list[int]:
        get_run_logger().info("over http")
        return [*inc.map(range(n)).result(), inc(inc(0))]

    state = f(50, return_state=True)
    assert state.result() == [*range(1, 51), 2]
    flow_run_id = state.state_details.flow_run_id
    run = client.read_flow_run(flow_run_id)
    assert run.state_type == StateType.COMPLETED and run.parameters == {"n": 50}
    runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FilterIds(any_=[flow_run_id])))
    assert len(runs) == 52 and all(r.state_type == StateType.COMPLETED for r in runs)
    logs = client.read_logs(LogFilter(flow_run_id=FilterIds(any_=[flow_run_id])))
    assert "over http" in [log.message for log in logs]


def test_failure_retries_and_subflow(client):
    attempts = []

    @flow
    def child() -> str:
        return "child"

    @flow(retries=1)
    def parent() -> str:
        attempts.append(1)
        value = child()
        if len(attempts) == 1:
            raise RuntimeError("retry")
        return value

    state = parent(return_state=True)
    assert state.result() == "child"
    parent_run = client.read_flow_run(state.state_details.flow_run_id)
    assert parent_run.run_count == 2
    kids = client.read_flow_runs(
        flow_run_filter=FlowRunFilter(parent_flow_run_id=FilterOptionalIds(any_=[parent_run.id]))
    )
    assert len(kids) == 1 and kids[0].state_type == StateType.COMPLETED


async def test_async_flow_and_cache(client):
    calls = []

    @task(cache_policy=INPUTS)
    async def cached(x: int) -> int:
        calls.append(x)
        return x

    @flow
    async def f() -> list[str]:
        first = await cached(1, return_state=True)
        second = await cached(1, return_state=True)
        await asyncio.sleep(0)
        return [first.name, second.name]

    assert await f() == ["Completed", "Cached"]
    assert calls == [1]
