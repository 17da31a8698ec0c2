"""A deployment's concurrency limit at claim time, ENQUEUE vs CANCEL_NEW, and runner polls."""

from __future__ import annotations

import time
from typing import Any

import httpx


async def _deployment(api: httpx.AsyncClient, strategy: str, pool: str | None = None) -> str:
    flow = await api.post("/flows/", json={"name": f"limited-{strategy.lower()}"})
    body: dict[str, Any] = {
        "name": "limited",
        "flow_id": flow.json()["id"],
        "concurrency_limit": 1,
        "concurrency_options": {"collision_strategy": strategy},
    }
    if pool is not None:
        body["work_pool_name"] = pool
    answer = await api.post("/deployments/", json=body)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _run(api: httpx.AsyncClient, deployment_id: str) -> str:
    answer = await api.post(f"/deployments/{deployment_id}/create_flow_run", json={})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _claim(api: httpx.AsyncClient, run_id: str) -> dict[str, Any]:
    answer = await api.post(f"/flow_runs/{run_id}/set_state", json={"state": {"type": "PENDING"}})
    result: dict[str, Any] = answer.json()
    return result


async def test_enqueue_refuses_a_claim_beyond_the_limit(api: httpx.AsyncClient) -> None:
    deployment_id = await _deployment(api, "ENQUEUE")
    first, second = await _run(api, deployment_id), await _run(api, deployment_id)

    assert (await _claim(api, first))["status"] == "ACCEPT"
    refused = await _claim(api, second)

    assert refused["status"] == "REJECT"
    assert "concurrency limit (1)" in refused["details"]["reason"]
    assert refused["state"]["type"] == "SCHEDULED"
    done = await api.post(
        f"/flow_runs/{first}/set_state", json={"state": {"type": "COMPLETED"}, "force": True}
    )
    assert done.status_code == 201
    assert (await _claim(api, second))["status"] == "ACCEPT"  # the slot is free again


async def test_cancel_new_cancels_a_claim_beyond_the_limit(api: httpx.AsyncClient) -> None:
    deployment_id = await _deployment(api, "CANCEL_NEW")
    first, second = await _run(api, deployment_id), await _run(api, deployment_id)

    assert (await _claim(api, first))["status"] == "ACCEPT"
    cancelled = await _claim(api, second)

    assert cancelled["status"] == "ACCEPT"
    assert cancelled["state"]["type"] == "CANCELLED"
    assert "CANCEL_NEW" in cancelled["state"]["message"]


async def test_pool_polls_hand_out_runs_by_strategy(api: httpx.AsyncClient) -> None:
    assert (await api.post("/work_pools/", json={"name": "p"})).status_code == 201
    enqueue = await _deployment(api, "ENQUEUE", pool="p")
    for _ in range(2):
        await _run(api, enqueue)
    poll = await api.post("/work_pools/p/get_scheduled_flow_runs", json={})
    assert len(poll.json()) == 1

    flow = await api.post("/flows/", json={"name": "other"})
    answer = await api.post(
        "/deployments/",
        json={
            "name": "cancel-new",
            "flow_id": flow.json()["id"],
            "work_pool_name": "p",
            "concurrency_limit": 1,
            "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
        },
    )
    cancel_new = answer.json()["id"]
    for _ in range(2):
        await _run(api, cancel_new)
    poll = await api.post("/work_pools/p/get_scheduled_flow_runs", json={})
    handed = [d["flow_run"]["deployment_id"] for d in poll.json()]
    assert handed.count(cancel_new) == 2  # handed out; the claim decides


async def test_runner_poll_respects_the_limit_and_long_polls(api: httpx.AsyncClient) -> None:
    deployment_id = await _deployment(api, "ENQUEUE")
    first = await _run(api, deployment_id)
    await _run(api, deployment_id)
    body = {"deployment_ids": [deployment_id]}

    due = await api.post("/deployments/get_scheduled_flow_runs", json=body)
    assert len(due.json()) == 1

    await _claim(api, first)
    started = time.monotonic()
    waited = await api.post(
        "/deployments/get_scheduled_flow_runs", json={**body, "wait_seconds": 0.3}
    )
    assert waited.json() == []
    assert time.monotonic() - started >= 0.25

    too_long = await api.post(
        "/deployments/get_scheduled_flow_runs", json={**body, "wait_seconds": 99}
    )
    assert too_long.status_code == 422
