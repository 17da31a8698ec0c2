"""A run in a filtered listing reads exactly as it does on its own.

Listings are written to JSON by their own path (straight from the stored
rows on SQLite); reading one run goes through the contract's models. The
two must agree field for field, for runs with every kind of value set and
in every sort order (``tests/server/models/test_run_json.py`` compares the
bytes, for every filter too).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from podium.schemas.sorting import FlowRunSort, TaskRunSort


async def _listed_and_read(api: httpx.AsyncClient, resource: str, ids: list[str]) -> None:
    listing = await api.post(
        f"/{resource}/filter", json={"limit": 200, resource: {"id": {"any_": ids}}}
    )
    assert listing.status_code == 200, listing.text
    listed = {run["id"]: run for run in listing.json()}
    assert sorted(listed) == sorted(ids)
    for run_id in ids:
        alone = await api.get(f"/{resource}/{run_id}")
        assert alone.status_code == 200, alone.text
        assert _differences(listed[run_id], alone.json()) == [], run_id


def _differences(listed: object, alone: object, path: str = "") -> list[str]:
    """Where two JSON values differ, as readable paths (empty when equal)."""
    if isinstance(listed, dict) and isinstance(alone, dict):
        return [
            difference
            for key in sorted(set(listed) | set(alone))
            for difference in _differences(listed.get(key), alone.get(key), f"{path}.{key}")
        ]
    return [] if listed == alone else [f"{path}: listed {listed!r}, read {alone!r}"]


async def test_flow_runs_listed_as_read(api: httpx.AsyncClient) -> None:
    flow = (await api.post("/flows/", json={"name": "etl"})).json()
    parent = (await api.post("/flow_runs/", json={"flow_id": flow["id"]})).json()
    scheduled_for = dt.datetime(2031, 5, 6, 7, 8, 9, tzinfo=dt.UTC)  # no fraction of a second
    bodies = [
        {"flow_id": flow["id"]},
        {
            "flow_id": flow["id"],
            "name": 'nightly \u2013 ünïcode "quoted" \\ back',
            "parameters": {"n": 3, "nested": {"a": [1, 2.5, None, True]}, "s": "é"},
            "tags": ["a", "b"],
            "labels": {"team": "data"},
            "context": {"k": "v"},
            "idempotency_key": "once",
            "parent_flow_run_id": parent["id"],
            "empirical_policy": {"retries": 2, "retry_delay": 1.5},
            "job_variables": {"env": {"X": "1"}},
            "work_queue_name": "default",
            "state": {
                "type": "SCHEDULED",
                "message": "later",
                "state_details": {"scheduled_time": scheduled_for.isoformat()},
            },
        },
    ]
    ids = [parent["id"]]
    for body in bodies:
        answer = await api.post("/flow_runs/", json=body)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    # one run through Running to a Failed state carrying data, with time spent
    done = ids[1]
    for state in (
        {"type": "RUNNING"},
        {"type": "FAILED", "message": "boom", "data": {"storage_key": "k", "n": 1}},
    ):
        answer = await api.post(f"/flow_runs/{done}/set_state", json={"state": state})
        assert answer.status_code == 201, answer.text

    await _listed_and_read(api, "flow_runs", ids)


async def test_task_runs_listed_as_read(
    api: httpx.AsyncClient, task_run_batch: Callable[[str], Any]
) -> None:
    flow = (await api.post("/flows/", json={"name": "etl"})).json()
    flow_run = (await api.post("/flow_runs/", json={"flow_id": flow["id"]})).json()
    runs, states = task_run_batch(flow_run["id"])
    answer = await api.post("/task_runs/batch", json={"task_runs": runs, "states": states})
    assert answer.status_code == 200, answer.text

    await _listed_and_read(api, "task_runs", [run["id"] for run in runs])


@pytest.mark.parametrize("sort", list(FlowRunSort))
async def test_flow_runs_listed_as_read_in_every_sort(api: httpx.AsyncClient, sort: str) -> None:
    flow = (await api.post("/flows/", json={"name": "etl"})).json()
    ids = []
    for n in range(4):
        answer = await api.post("/flow_runs/", json={"flow_id": flow["id"], "name": f"r{n % 3}"})
        ids.append(answer.json()["id"])
    for state in ({"type": "RUNNING"}, {"type": "COMPLETED"}):
        await api.post(f"/flow_runs/{ids[0]}/set_state", json={"state": state})
    for body in ({}, {"flow_runs": {"state": {"type": {"any_": ["PENDING"]}}}}):
        listing = await api.post("/flow_runs/filter", json={"sort": sort, **body})
        assert listing.status_code == 200, listing.text
        for run in listing.json():
            alone = (await api.get(f"/flow_runs/{run['id']}")).json()
            assert _differences(run, alone) == [], (sort, body)
        expected = ids if not body else ids[1:]
        assert sorted(run["id"] for run in listing.json()) == sorted(expected)


@pytest.mark.parametrize("sort", list(TaskRunSort))
async def test_task_runs_listed_as_read_in_every_sort(api: httpx.AsyncClient, sort: str) -> None:
    runs = [{"id": str(uuid.uuid4()), "task_key": "t", "dynamic_key": str(n)} for n in range(3)]
    states = [{"task_run_id": runs[0]["id"], "state": {"type": "COMPLETED"}}]
    answer = await api.post("/task_runs/batch", json={"task_runs": runs, "states": states})
    assert answer.status_code == 200, answer.text
    listing = await api.post("/task_runs/filter", json={"sort": sort})
    assert listing.status_code == 200, listing.text
    assert sorted(run["id"] for run in listing.json()) == sorted(run["id"] for run in runs)
    for run in listing.json():
        alone = (await api.get(f"/task_runs/{run['id']}")).json()
        assert _differences(run, alone) == [], sort
