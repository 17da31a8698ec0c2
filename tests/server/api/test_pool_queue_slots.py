"""Work pool and work queue concurrency limits checked when a run is claimed (Pending)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


async def _pool(api: httpx.AsyncClient, name: str, limit: int | None = None) -> None:
    body: dict[str, Any] = {"name": name}
    if limit is not None:
        body["concurrency_limit"] = limit
    answer = await api.post("/work_pools/", json=body)
    assert answer.status_code == 201, answer.text


async def _deployment(api: httpx.AsyncClient, pool: str, queue: str | None = None) -> str:
    flow = await api.post("/flows/", json={"name": "pooled"})
    body: dict[str, Any] = {"name": "pooled", "flow_id": flow.json()["id"], "work_pool_name": pool}
    if queue is not None:
        body["work_queue_name"] = queue
    answer = await api.post("/deployments/", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _runs(api: httpx.AsyncClient, deployment_id: str, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        answer = await api.post(f"/deployments/{deployment_id}/create_flow_run", json={})
        assert answer.status_code == 201, answer.text
        ids.append(str(answer.json()["id"]))
    return ids


async def _claim(api: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    answer = await api.post(f"/flow_runs/{run_id}/set_state", json={"state": {"type": "PENDING"}})
    assert answer.status_code in (200, 201), answer.text
    result: dict[str, Any] = answer.json()
    return result


async def _complete(api: httpx.AsyncClient, run_id: str) -> None:
    for type_ in ("RUNNING", "COMPLETED"):
        answer = await api.post(f"/flow_runs/{run_id}/set_state", json={"state": {"type": type_}})
        assert answer.json()["status"] == "ACCEPT", answer.text


async def _state_type(api: httpx.AsyncClient, run_id: str) -> str:
    answer = await api.get(f"/flow_runs/{run_id}")
    return str(answer.json()["state"]["type"])


async def test_a_claim_beyond_the_pool_limit_waits_for_a_free_slot(api: httpx.AsyncClient) -> None:
    await _pool(api, "small", limit=1)
    first, second = await _runs(api, await _deployment(api, "small"), 2)

    assert (await _claim(api, first))["status"] == "ACCEPT"
    refused = await _claim(api, second)

    assert refused["status"] == "REJECT"
    assert refused["state"]["type"] == "SCHEDULED"
    reason = refused["details"]["reason"]
    assert "work pool 'small'" in reason and "concurrency limit (1)" in reason
    assert await _state_type(api, second) == "SCHEDULED"

    await _complete(api, first)
    assert (await _claim(api, second))["status"] == "ACCEPT"


async def test_a_claim_beyond_the_queue_limit_waits_for_a_free_slot(
    api: httpx.AsyncClient,
) -> None:
    await _pool(api, "roomy")
    queue = await api.post(
        "/work_pools/roomy/queues", json={"name": "narrow", "concurrency_limit": 1}
    )
    assert queue.status_code == 201, queue.text
    narrow = await _deployment(api, "roomy", "narrow")
    first, second = await _runs(api, narrow, 2)

    assert (await _claim(api, first))["status"] == "ACCEPT"
    refused = await _claim(api, second)

    assert refused["status"] == "REJECT"
    reason = refused["details"]["reason"]
    assert "work queue 'narrow'" in reason and "concurrency limit (1)" in reason

    flow = await api.post("/flows/", json={"name": "elsewhere"})
    other = await api.post(
        "/deployments/",
        json={"name": "default-queue", "flow_id": flow.json()["id"], "work_pool_name": "roomy"},
    )
    (elsewhere,) = await _runs(api, other.json()["id"], 1)
    assert (await _claim(api, elsewhere))["status"] == "ACCEPT"  # another queue, no limit

    await _complete(api, first)
    assert (await _claim(api, second))["status"] == "ACCEPT"


async def test_runs_outside_a_pool_are_not_limited(api: httpx.AsyncClient) -> None:
    await _pool(api, "tiny", limit=1)
    (pooled,) = await _runs(api, await _deployment(api, "tiny"), 1)
    assert (await _claim(api, pooled))["status"] == "ACCEPT"

    flow = await api.post("/flows/", json={"name": "loose"})
    loose = await api.post("/deployments/", json={"name": "loose", "flow_id": flow.json()["id"]})
    runs = await _runs(api, loose.json()["id"], 2)
    for run_id in runs:
        assert (await _claim(api, run_id))["status"] == "ACCEPT"


async def test_concurrent_claims_never_exceed_the_pool_limit(api: httpx.AsyncClient) -> None:
    await _pool(api, "busy", limit=2)
    runs = await _runs(api, await _deployment(api, "busy"), 8)

    results = await asyncio.gather(*(_claim(api, run_id) for run_id in runs))

    statuses = sorted(r["status"] for r in results)
    assert statuses == ["ACCEPT"] * 2 + ["REJECT"] * 6
    states = [await _state_type(api, run_id) for run_id in runs]
    assert sorted(states) == ["PENDING"] * 2 + ["SCHEDULED"] * 6


async def test_concurrent_claims_never_exceed_the_queue_limit(api: httpx.AsyncClient) -> None:
    await _pool(api, "wide")
    queue = await api.post("/work_pools/wide/queues", json={"name": "q2", "concurrency_limit": 2})
    assert queue.status_code == 201, queue.text
    runs = await _runs(api, await _deployment(api, "wide", "q2"), 8)

    results = await asyncio.gather(*(_claim(api, run_id) for run_id in runs))

    assert sorted(r["status"] for r in results) == ["ACCEPT"] * 2 + ["REJECT"] * 6
