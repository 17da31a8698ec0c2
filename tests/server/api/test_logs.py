"""Logs through the API: batch create, filter by run, level and time, sort."""

from __future__ import annotations

import datetime as dt
import uuid

import httpx

T0 = dt.datetime(2024, 2, 1, 9, 0, tzinfo=dt.UTC)


def log(level: int, minute: int, message: str, **fields: object) -> dict:
    at = T0 + dt.timedelta(minutes=minute)
    return {
        "name": "podium.test",
        "level": level,
        "message": message,
        "timestamp": at.isoformat(),
        **fields,
    }


async def messages(api: httpx.AsyncClient, **request: object) -> list[str]:
    answer = await api.post("/logs/filter", json=request)
    assert answer.status_code == 200, answer.text
    return [entry["message"] for entry in answer.json()]


async def test_batch_create_and_read_back(api: httpx.AsyncClient) -> None:
    run_id = str(uuid.uuid4())
    task_id = str(uuid.uuid4())

    answer = await api.post(
        "/logs/",
        json=[log(20, 0, "started", flow_run_id=run_id), log(40, 1, "oops", task_run_id=task_id)],
    )

    assert answer.status_code == 201
    stored = (await api.post("/logs/filter", json={})).json()
    assert [(e["level"], e["message"]) for e in stored] == [(20, "started"), (40, "oops")]
    assert stored[0]["flow_run_id"] == run_id
    assert stored[0]["name"] == "podium.test"
    assert dt.datetime.fromisoformat(stored[0]["timestamp"]) == T0
    assert stored[1]["task_run_id"] == task_id
    assert stored[1]["flow_run_id"] is None


async def test_empty_batch_is_accepted(api: httpx.AsyncClient) -> None:
    assert (await api.post("/logs/", json=[])).status_code == 201
    assert await messages(api) == []


async def test_filter_by_flow_run_id(api: httpx.AsyncClient) -> None:
    mine, theirs = str(uuid.uuid4()), str(uuid.uuid4())
    await api.post(
        "/logs/",
        json=[
            log(20, 0, "mine-1", flow_run_id=mine),
            log(20, 1, "theirs", flow_run_id=theirs),
            log(20, 2, "mine-2", flow_run_id=mine),
            log(20, 3, "nobody's"),
        ],
    )

    assert await messages(api, logs={"flow_run_id": {"any_": [mine]}}) == ["mine-1", "mine-2"]
    assert await messages(api, logs={"flow_run_id": {"not_any_": [mine]}}) == ["theirs"]


async def test_filter_by_level(api: httpx.AsyncClient) -> None:
    await api.post(
        "/logs/",
        json=[log(10, 0, "debug"), log(20, 1, "info"), log(30, 2, "warning"), log(40, 3, "error")],
    )

    assert await messages(api, logs={"level": {"ge_": 30}}) == ["warning", "error"]
    assert await messages(api, logs={"level": {"le_": 20}}) == ["debug", "info"]
    assert await messages(api, logs={"level": {"ge_": 20, "le_": 30}}) == ["info", "warning"]


async def test_filter_by_timestamp_range(api: httpx.AsyncClient) -> None:
    await api.post("/logs/", json=[log(20, m, f"m{m}") for m in range(6)])

    def at(minute: int) -> str:
        return (T0 + dt.timedelta(minutes=minute)).isoformat()

    assert await messages(api, logs={"timestamp": {"after_": at(2), "before_": at(4)}}) == [
        "m2",
        "m3",
        "m4",
    ]
    assert await messages(api, logs={"timestamp": {"before_": at(0)}}) == ["m0"]


async def test_sort_limit_and_offset(api: httpx.AsyncClient) -> None:
    await api.post("/logs/", json=[log(20, m, f"m{m}") for m in (3, 0, 4, 1, 2)])

    assert await messages(api) == ["m0", "m1", "m2", "m3", "m4"]
    assert await messages(api, sort="TIMESTAMP_DESC") == ["m4", "m3", "m2", "m1", "m0"]
    assert await messages(api, sort="TIMESTAMP_DESC", limit=2, offset=1) == ["m3", "m2"]


async def test_combined_criteria(api: httpx.AsyncClient) -> None:
    run = str(uuid.uuid4())
    await api.post(
        "/logs/",
        json=[
            log(40, 0, "early error", flow_run_id=run),
            log(20, 5, "late info", flow_run_id=run),
            log(40, 6, "late error", flow_run_id=run),
            log(40, 7, "other run", flow_run_id=str(uuid.uuid4())),
        ],
    )

    found = await messages(
        api,
        logs={
            "flow_run_id": {"any_": [run]},
            "level": {"ge_": 40},
            "timestamp": {"after_": (T0 + dt.timedelta(minutes=1)).isoformat()},
        },
    )

    assert found == ["late error"]
