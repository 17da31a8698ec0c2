"""Reading flow runs: every filter criterion, sort orders, paging and counts."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx
import pytest

T0 = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


async def new_flow(api: httpx.AsyncClient, name: str) -> str:
    return (await api.post("/flows/", json={"name": name})).json()["id"]


async def new_run(api: httpx.AsyncClient, flow_id: str, **fields: object) -> dict:
    answer = await api.post("/flow_runs/", json={"flow_id": flow_id, **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def start(api: httpx.AsyncClient, run_id: str, at: dt.datetime) -> None:
    answer = await api.post(
        f"/flow_runs/{run_id}/set_state",
        json={"state": {"type": "RUNNING", "timestamp": at.isoformat()}},
    )
    assert answer.json()["status"] == "ACCEPT", answer.text


async def names(api: httpx.AsyncClient, **request: object) -> list[str]:
    answer = await api.post("/flow_runs/filter", json=request)
    assert answer.status_code == 200, answer.text
    return [run["name"] for run in answer.json()]


async def count(api: httpx.AsyncClient, **request: object) -> int:
    answer = await api.post("/flow_runs/count", json=request)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_filter_by_ids(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    a, b, _ = [await new_run(api, flow, name=n) for n in ("a", "b", "c")]

    assert await names(api, flow_runs={"id": {"any_": [a["id"], b["id"]]}}, sort="NAME_ASC") == [
        "a",
        "b",
    ]
    assert await names(api, flow_runs={"id": {"not_any_": [a["id"]]}}, sort="NAME_ASC") == [
        "b",
        "c",
    ]
    assert await names(api, flow_runs={"id": {"any_": [str(uuid.uuid4())]}}) == []


async def test_filter_by_name_any_and_like(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    for name in ("nightly-load", "Nightly-Clean", "hourly-load"):
        await new_run(api, flow, name=name)

    like = await names(api, flow_runs={"name": {"like_": "nightly"}}, sort="NAME_ASC")
    any_ = await names(api, flow_runs={"name": {"any_": ["hourly-load"]}})
    both = await names(
        api, flow_runs={"name": {"like_": "load", "any_": ["nightly-load", "Nightly-Clean"]}}
    )

    assert sorted(like) == ["Nightly-Clean", "nightly-load"]
    assert any_ == ["hourly-load"]
    assert both == ["nightly-load"]


async def test_filter_by_tags_all_any_and_none(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    await new_run(api, flow, name="ab", tags=["a", "b"])
    await new_run(api, flow, name="a", tags=["a"])
    await new_run(api, flow, name="c", tags=["c"])
    await new_run(api, flow, name="none", tags=[])

    async def tagged(criteria: dict) -> list[str]:
        return await names(api, flow_runs={"tags": criteria}, sort="NAME_ASC")

    assert await tagged({"all_": ["a", "b"]}) == ["ab"]
    assert await tagged({"all_": ["a"]}) == ["a", "ab"]
    assert await tagged({"any_": ["b", "c"]}) == ["ab", "c"]
    assert await tagged({"any_": []}) == []
    assert await tagged({"is_null_": True}) == ["none"]
    assert await tagged({"is_null_": False}) == ["a", "ab", "c"]


async def test_tag_filter_matches_whole_tags_with_quotes(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    await new_run(api, flow, name="quoted", tags=['say "hi"', "back\\slash"])
    await new_run(api, flow, name="prefix", tags=["say"])

    assert await names(api, flow_runs={"tags": {"all_": ['say "hi"']}}) == ["quoted"]
    assert await names(api, flow_runs={"tags": {"all_": ["back\\slash"]}}) == ["quoted"]
    assert await names(api, flow_runs={"tags": {"any_": ["say"]}}) == ["prefix"]


async def test_filter_by_state_type_and_name(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    pending = await new_run(api, flow, name="pending")
    running = await new_run(api, flow, name="running")
    late = await new_run(api, flow, name="late", state={"type": "SCHEDULED", "name": "Late"})
    await start(api, running["id"], T0)

    async def in_state(criteria: dict) -> list[str]:
        return await names(api, flow_runs={"state": criteria}, sort="NAME_ASC")

    assert await in_state({"type": {"any_": ["RUNNING"]}}) == ["running"]
    assert await in_state({"type": {"any_": ["PENDING", "SCHEDULED"]}}) == ["late", "pending"]
    assert await in_state({"type": {"not_any_": ["PENDING"]}}) == ["late", "running"]
    assert await in_state({"name": {"any_": ["Late"]}}) == ["late"]
    assert await in_state({"name": {"not_any_": ["Late", "Pending"]}}) == ["running"]
    assert await in_state(
        {"operator": "or_", "type": {"any_": ["RUNNING"]}, "name": {"any_": ["Late"]}}
    ) == ["late", "running"]
    assert pending["state_type"] == "PENDING"
    assert late["state_name"] == "Late"


async def test_filter_by_start_time_range(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    for hour in (0, 1, 2, 3):
        run = await new_run(api, flow, name=f"h{hour}")
        await start(api, run["id"], T0 + dt.timedelta(hours=hour))
    await new_run(api, flow, name="never")

    def at(hours: float) -> str:
        return (T0 + dt.timedelta(hours=hours)).isoformat()

    async def started(criteria: dict) -> list[str]:
        return await names(api, flow_runs={"start_time": criteria}, sort="NAME_ASC")

    assert await started({"after_": at(1), "before_": at(2)}) == ["h1", "h2"]
    assert await started({"after_": at(2.5)}) == ["h3"]
    assert await started({"before_": at(0.5)}) == ["h0"]
    assert await started({"is_null_": True}) == ["never"]
    # A range given in another time zone means the same instants.
    east = dt.timezone(dt.timedelta(hours=5))
    assert await started({"after_": (T0 + dt.timedelta(hours=3)).astimezone(east).isoformat()}) == [
        "h3"
    ]


async def test_filter_by_flow_id_and_by_flow_filter(api: httpx.AsyncClient) -> None:
    first = await new_flow(api, "first")
    second = await new_flow(api, "second")
    await new_run(api, first, name="r1")
    await new_run(api, second, name="r2")

    assert await names(api, flow_runs={"flow_id": {"any_": [first]}}) == ["r1"]
    assert await names(api, flows={"name": {"any_": ["second"]}}) == ["r2"]


async def test_filter_by_parent_flow_run_id(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    parent = await new_run(api, flow, name="parent")
    await new_run(api, flow, name="child", parent_flow_run_id=parent["id"])
    await new_run(api, flow, name="other-child", parent_flow_run_id=str(uuid.uuid4()))

    children = await names(api, flow_runs={"parent_flow_run_id": {"any_": [parent["id"]]}})
    top_level = await names(api, flow_runs={"parent_flow_run_id": {"is_null_": True}})

    assert children == ["child"]
    assert top_level == ["parent"]


async def test_filter_by_deployment_id_is_null(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    deployment_id = str(uuid.uuid4())
    await new_run(api, flow, name="adhoc")
    await new_run(api, flow, name="deployed", deployment_id=deployment_id)

    assert await names(api, flow_runs={"deployment_id": {"is_null_": True}}) == ["adhoc"]
    assert await names(api, flow_runs={"deployment_id": {"is_null_": False}}) == ["deployed"]
    assert await names(api, flow_runs={"deployment_id": {"any_": [deployment_id]}}) == ["deployed"]


async def test_filter_flow_runs_by_their_task_runs(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    with_task = await new_run(api, flow, name="with-task")
    await new_run(api, flow, name="without-task")
    await api.post(
        "/task_runs/",
        json={"task_key": "extract", "dynamic_key": "0", "flow_run_id": with_task["id"]},
    )

    found = await names(api, task_runs={"task_key": {"any_": ["extract"]}})

    assert found == ["with-task"]


async def test_criteria_combine_with_and_by_default_or_on_request(
    api: httpx.AsyncClient,
) -> None:
    flow = await new_flow(api, "f")
    await new_run(api, flow, name="x", tags=["t"])
    await new_run(api, flow, name="y", tags=[])

    and_ = await names(api, flow_runs={"name": {"any_": ["y"]}, "tags": {"all_": ["t"]}})
    or_ = await names(
        api,
        flow_runs={"operator": "or_", "name": {"any_": ["y"]}, "tags": {"all_": ["t"]}},
        sort="NAME_ASC",
    )

    assert and_ == []
    assert or_ == ["x", "y"]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("NAME_ASC", ["a", "b", "c", "d"]),
        ("NAME_DESC", ["d", "c", "b", "a"]),
        ("START_TIME_ASC", ["c", "a", "b", "d"]),
        ("START_TIME_DESC", ["b", "a", "c", "d"]),
        ("CREATED_DESC", ["d", "c", "b", "a"]),
    ],
)
async def test_sort_orders(api: httpx.AsyncClient, sort: str, expected: list[str]) -> None:
    flow = await new_flow(api, "f")
    starts = {"a": T0 + dt.timedelta(hours=1), "b": T0 + dt.timedelta(hours=2), "c": T0}
    for name in ("a", "b", "c", "d"):
        run = await new_run(api, flow, name=name)
        if name in starts:
            await start(api, run["id"], starts[name])

    assert await names(api, sort=sort) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("EXPECTED_START_TIME_ASC", ["c", "a", "b"]),
        ("EXPECTED_START_TIME_DESC", ["b", "a", "c"]),
        ("NEXT_SCHEDULED_START_TIME_ASC", ["c", "a", "b"]),
    ],
)
async def test_sort_by_scheduled_times(
    api: httpx.AsyncClient, sort: str, expected: list[str]
) -> None:
    flow = await new_flow(api, "f")
    for name, hours in (("a", 1), ("b", 2), ("c", 0)):
        when = (T0 + dt.timedelta(hours=hours)).isoformat()
        state = {"type": "SCHEDULED", "state_details": {"scheduled_time": when}}
        await new_run(api, flow, name=name, state=state)

    assert await names(api, sort=sort) == expected


async def test_id_desc_is_the_default_sort(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    ids = [(await new_run(api, flow))["id"] for _ in range(5)]

    answer = await api.post("/flow_runs/filter", json={})

    assert [r["id"] for r in answer.json()] == sorted(ids, key=uuid.UUID, reverse=True)


async def test_limit_and_offset_page_through_runs(api: httpx.AsyncClient) -> None:
    flow = await new_flow(api, "f")
    for i in range(7):
        await new_run(api, flow, name=f"run-{i}")

    pages = [await names(api, sort="NAME_ASC", limit=3, offset=o) for o in (0, 3, 6, 9)]

    assert pages == [
        ["run-0", "run-1", "run-2"],
        ["run-3", "run-4", "run-5"],
        ["run-6"],
        [],
    ]
    assert await names(api, limit=0) == []


async def test_count_matches_the_filter(api: httpx.AsyncClient) -> None:
    first = await new_flow(api, "first")
    second = await new_flow(api, "second")
    for i in range(3):
        await new_run(api, first, tags=["even"] if i % 2 == 0 else [])
    await new_run(api, second, state={"type": "SCHEDULED"})

    assert await count(api) == 4
    assert await count(api, flow_runs={"tags": {"all_": ["even"]}}) == 2
    assert await count(api, flow_runs={"state": {"type": {"any_": ["SCHEDULED"]}}}) == 1
    assert await count(api, flows={"name": {"any_": ["first"]}}) == 3
    assert (await api.post("/flow_runs/count")).json() == 4
