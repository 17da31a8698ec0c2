"""The client against the embedded server: the sync and async clients agree."""

from __future__ import annotations

import asyncio
import datetime as dt
import inspect
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import version
from pathlib import Path
from typing import Any

import httpx
import pytest

from podium.client import PodiumClient, SyncPodiumClient, get_client
from podium.schemas import actions, core
from podium.schemas.actions import LogCreate
from podium.schemas.core import FlowRunPolicy
from podium.schemas.filters import (
    FilterIds,
    FilterNames,
    FilterState,
    FilterStateType,
    FilterTags,
    FlowFilter,
    FlowRunFilter,
    LogFilter,
    LogFilterLevel,
    TaskRunFilter,
)
from podium.schemas.sorting import FlowRunSort, LogSort
from podium.schemas.states import State, StateCreate, StateType
from podium.settings import clear_settings_cache

Client = PodiumClient | SyncPodiumClient


async def call(client: Client, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call a client method, awaiting it if the client is the async one."""
    result = getattr(client, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


@pytest.fixture(params=["async", "sync"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    if request.param == "async":
        async with get_client() as async_client:
            yield async_client
    else:
        with get_client(sync_client=True) as sync_client:
            yield sync_client


async def scenario(client: Client, prefix: str) -> dict[str, Any]:
    """One pass over the client's methods; what it returns has no ids or times."""
    flow_id = await call(client, "create_flow_from_name", f"{prefix}-flow")
    assert await call(client, "create_flow_from_name", f"{prefix}-flow") == flow_id
    flow = await call(client, "read_flow", flow_id)
    by_name = await call(client, "read_flow_by_name", f"{prefix}-flow")

    runs = [
        await call(client, "create_flow_run", flow_id=flow_id, name=f"{prefix}-{i}", tags=[f"t{i}"])
        for i in range(3)
    ]
    first = runs[0]
    accepted = await call(client, "set_flow_run_state", first.id, StateCreate(type="RUNNING"))
    refused = await call(client, "set_flow_run_state", first.id, State(type=StateType.PENDING))
    await call(client, "set_flow_run_state", first.id, StateCreate(type="COMPLETED"))
    await call(client, "update_flow_run", runs[1].id, name=f"{prefix}-renamed", tags=["x"])
    await call(client, "delete_flow_run", runs[2].id)

    mine = FlowFilter(name=FilterNames(any_=[f"{prefix}-flow"]))
    read_back = await call(
        client, "read_flow_runs", flow_filter=mine, sort=FlowRunSort.NAME_ASC, limit=10
    )
    completed = FlowRunFilter(state=FilterState(type=FilterStateType(any_=[StateType.COMPLETED])))
    tagged = FlowRunFilter(tags=FilterTags(all_=["x"]))
    history = await call(client, "read_flow_run_states", first.id)

    task = await call(client, "create_task_run", task_key="extract", flow_run_id=first.id)
    task_id = uuid.uuid4()
    batch = actions.TaskRunBatch(
        task_runs=[actions.TaskRunCreate(id=task_id, task_key="load", dynamic_key="0")],
        states=[
            actions.TaskRunStateProposal(task_run_id=task_id, state=StateCreate(type="RUNNING")),
            actions.TaskRunStateProposal(task_run_id=task.id, state=StateCreate(type="FAILED")),
        ],
    )
    reported = await call(client, "report_task_runs", batch)
    of_first = TaskRunFilter(flow_run_id=FilterIds(any_=[first.id]))

    stamp = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    later = stamp + dt.timedelta(seconds=1)
    await call(
        client,
        "create_logs",
        [
            LogCreate(name="l", level=20, message="info", timestamp=stamp, flow_run_id=first.id),
            {
                "name": "l",
                "level": 40,
                "message": "error",
                "timestamp": later,
                "flow_run_id": first.id,
            },
        ],
    )
    of_run = FilterIds(any_=[first.id])
    errors = await call(
        client, "read_logs", LogFilter(flow_run_id=of_run, level=LogFilterLevel(ge_=30))
    )
    newest_first = await call(
        client, "read_logs", LogFilter(flow_run_id=of_run), sort=LogSort.TIMESTAMP_DESC
    )
    first_only = FlowRunFilter(id=FilterIds(any_=[first.id]))

    def local(name: str) -> str:
        return name.removeprefix(prefix)

    return {
        "flow": (local(flow.name), by_name.id == flow.id),
        "created": [(local(r.name), r.state.type, r.tags) for r in runs],
        "accepted": (accepted.status, accepted.state.type),
        "refused": (refused.status, refused.details.reason),
        "read_back": [(local(r.name), r.state_type, r.tags, r.run_count) for r in read_back],
        "completed": await call(
            client, "count_flow_runs", flow_filter=mine, flow_run_filter=completed
        ),
        "tagged": await call(client, "count_flow_runs", flow_filter=mine, flow_run_filter=tagged),
        "history": [s.type for s in history],
        "task": (task.state.type, task.flow_run_id == first.id),
        "reported": (reported.created, reported.accepted, reported.refused),
        "tasks_of_first": [
            t.state_type for t in await call(client, "read_task_runs", task_run_filter=of_first)
        ],
        "task_history": [s.type for s in await call(client, "read_task_run_states", task_id)],
        "task_count": await call(client, "count_task_runs", flow_run_filter=first_only),
        "error_logs": [(log.level, log.message) for log in errors],
        "newest_first": [log.message for log in newest_first],
        "flows": await call(client, "count_flows", flow_filter=mine),
    }


EXPECTED = {
    "flow": ("-flow", True),
    "created": [("-0", "PENDING", ["t0"]), ("-1", "PENDING", ["t1"]), ("-2", "PENDING", ["t2"])],
    "accepted": ("ACCEPT", "RUNNING"),
    "refused": ("ABORT", "The run is already RUNNING and cannot go back to PENDING."),
    "read_back": [("-0", "COMPLETED", ["t0"], 1), ("-renamed", "PENDING", ["x"], 0)],
    "completed": 1,
    "tagged": 1,
    "history": ["PENDING", "RUNNING", "COMPLETED"],
    "task": ("PENDING", True),
    "reported": (1, 2, []),
    "tasks_of_first": ["FAILED"],
    "task_history": ["PENDING", "RUNNING"],
    "task_count": 1,
    "error_logs": [(40, "error")],
    "newest_first": ["error", "info"],
    "flows": 1,
}


async def test_sync_and_async_clients_give_the_same_results() -> None:
    async with get_client() as async_client:
        from_async = await scenario(async_client, "async")
    with get_client(sync_client=True) as sync_client:
        from_sync = await scenario(sync_client, "sync")

    assert from_async == EXPECTED
    assert from_sync == from_async


async def test_both_clients_see_the_same_objects() -> None:
    async with get_client() as async_client:
        run = await async_client.create_flow_run("shared", parameters={"n": 1})
        with get_client(sync_client=True) as sync_client:
            seen_by_sync = sync_client.read_flow_run(run.id)
            sync_client.set_flow_run_state(run.id, StateCreate(type="RUNNING"))
        seen_by_async = await async_client.read_flow_run(run.id)

    assert isinstance(seen_by_sync, core.FlowRun)
    stored = {"id", "name", "flow_id", "parameters", "tags", "created", "expected_start_time"}
    assert seen_by_sync.model_dump(include=stored) == run.model_dump(include=stored)
    assert seen_by_sync.state == run.state
    assert seen_by_async.state_type == StateType.RUNNING
    assert seen_by_async.run_count == 1


async def test_embedded_server_keeps_its_database_under_podium_home(
    client: Client, podium_home: Path
) -> None:
    run = await call(client, "create_flow_run", "stored", tags=["kept"])

    assert (podium_home / "podium.db").exists()
    assert (await call(client, "read_flow_run", run.id)).tags == ["kept"]


async def test_health_and_version(client: Client) -> None:
    assert await call(client, "api_healthcheck") is None
    assert await call(client, "api_version") == version("podium")


async def test_create_flow_run_takes_a_policy_and_an_idempotency_key(client: Client) -> None:
    policy = FlowRunPolicy(retries=2, retry_delay=0)

    first = await call(
        client, "create_flow_run", "policy", idempotency_key="once", empirical_policy=policy
    )
    again = await call(client, "create_flow_run", "policy", idempotency_key="once")

    assert again.id == first.id
    assert first.empirical_policy.retries == 2
    await call(client, "set_flow_run_state", first.id, StateCreate(type="RUNNING"))
    failed = await call(client, "set_flow_run_state", first.id, StateCreate(type="FAILED"))
    assert (failed.state.type, failed.state.name) == ("SCHEDULED", "AwaitingRetry")


async def test_delete_flow_forgets_the_cached_id(client: Client) -> None:
    flow_id = await call(client, "create_flow_from_name", "short-lived")
    await call(client, "delete_flow", flow_id)

    new_id = await call(client, "create_flow_from_name", "short-lived")

    assert new_id != flow_id
    assert (await call(client, "read_flow", new_id)).name == "short-lived"


def test_sync_client_from_threads() -> None:
    def work(n: int) -> str:
        with get_client(sync_client=True) as c:
            run = c.create_flow_run("threads", name=f"t{n}")
            return c.read_flow_run(run.id).name

    with ThreadPoolExecutor(8) as pool:
        names = sorted(pool.map(work, range(16)))

    assert names == sorted(f"t{n}" for n in range(16))


def test_async_client_from_several_event_loops() -> None:
    async def work(n: int) -> str:
        async with get_client() as c:
            run = await c.create_flow_run("loops", name=f"l{n}")
            return (await c.read_flow_run(run.id)).name

    assert [asyncio.run(work(n)) for n in range(3)] == ["l0", "l1", "l2"]


async def test_answers_of_the_embedded_server_are_ordinary_responses(client: Client) -> None:
    response = await call(client, "hello")

    assert response.status_code == 200
    assert response.json()
    assert (response.request.method, response.request.url.path) == ("GET", "/api/hello")
    response.raise_for_status()


async def test_embedded_server_with_credentials_gets_them_from_the_client(
    monkeypatch: pytest.MonkeyPatch, podium_home: Path
) -> None:
    monkeypatch.setenv("PODIUM_API_AUTH_STRING", "admin:secret")
    clear_settings_cache()
    async with get_client() as async_client:
        flow_id = await async_client.create_flow_from_name("guarded")
    with get_client(sync_client=True) as sync_client:
        assert sync_client.read_flow(flow_id).name == "guarded"


def test_httpx_settings_see_every_request_to_the_embedded_server() -> None:
    seen: list[str] = []

    def hook(request: httpx.Request) -> None:
        seen.append(f"{request.method} {request.url.path}")

    with get_client({"event_hooks": {"request": [hook]}}, sync_client=True) as c:
        run = c.create_flow_run("hooked")
        c.read_flow_run(run.id)

    assert seen[-1] == f"GET /api/flow_runs/{run.id}"
    assert "POST /api/flow_runs/" in seen


@pytest.mark.parametrize("name", ["with space", "café", "a+b=c", "etl?daily", "etl#2"])
async def test_names_in_paths_reach_the_server_whole(client: Client, name: str) -> None:
    flow_id = await call(client, "create_flow_from_name", name)

    found = await call(client, "read_flow_by_name", name)

    assert (found.id, found.name) == (flow_id, name)
