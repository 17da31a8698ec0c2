"""Work pools, queues and workers through the API, and polling a pool for runs."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

TEMPLATE = {
    "job_configuration": {"image": "{{ image }}", "cpu": "{{ cpu }}", "env": "{{ env }}"},
    "variables": {
        "type": "object",
        "properties": {
            "image": {"type": "string", "default": "python:3.11"},
            "cpu": {"type": "integer", "default": 1},
            "env": {"type": "object", "additionalProperties": {"type": "string"}},
            "region": {"type": "string"},
        },
        "required": ["region"],
    },
}


async def make_pool(api: httpx.AsyncClient, name: str = "pool", **fields: Any) -> dict[str, Any]:
    answer = await api.post("/work_pools/", json={"name": name, "type": "process", **fields})
    assert answer.status_code == 201, answer.text
    return answer.json()


async def make_deployment(api: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    flow = await api.post("/flows/", json={"name": "etl"})
    answer = await api.post(
        "/deployments/", json={"name": "d", "flow_id": flow.json()["id"], **fields}
    )
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def run_now(api: httpx.AsyncClient, deployment_id: str, **fields: Any) -> dict[str, Any]:
    answer = await api.post(f"/deployments/{deployment_id}/create_flow_run", json=fields)
    assert answer.status_code == 201, answer.text
    return answer.json()


async def poll(api: httpx.AsyncClient, pool: str = "pool", **body: Any) -> list[dict[str, Any]]:
    answer = await api.post(f"/work_pools/{pool}/get_scheduled_flow_runs", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def set_state(api: httpx.AsyncClient, run_id: str, type_: str) -> dict[str, Any]:
    answer = await api.post(f"/flow_runs/{run_id}/set_state", json={"state": {"type": type_}})
    return answer.json()


async def test_pool_crud_with_default_queue(api: httpx.AsyncClient) -> None:
    pool = await make_pool(api, base_job_template=TEMPLATE, concurrency_limit=3)

    assert pool["default_queue_id"] is not None
    assert pool["status"] == "NOT_READY"
    again = await api.post("/work_pools/", json={"name": "pool"})
    assert again.status_code == 409
    assert (await api.get("/work_pools/pool")).json()["id"] == pool["id"]
    queues = (await api.post("/work_pools/pool/queues/filter", json={})).json()
    assert [q["name"] for q in queues] == ["default"]
    assert queues[0]["work_pool_name"] == "pool"

    assert (await api.patch("/work_pools/pool", json={"is_paused": True})).status_code == 204
    assert (await api.get("/work_pools/pool")).json()["status"] == "PAUSED"
    listed = await api.post("/work_pools/filter", json={"work_pools": {"name": {"any_": ["pool"]}}})
    assert len(listed.json()) == 1
    assert (await api.post("/work_pools/count", json={})).json() == 1
    assert (await api.delete("/work_pools/pool")).status_code == 204
    missing = await api.get("/work_pools/pool")
    assert missing.status_code == 404
    assert "pool" in missing.json()["detail"]


async def test_pool_with_invalid_default_is_422_naming_it(api: httpx.AsyncClient) -> None:
    bad = {
        "job_configuration": {"cpu": "{{ cpu }}"},
        "variables": {"properties": {"cpu": {"type": "integer", "default": "lots"}}},
    }
    created = await api.post("/work_pools/", json={"name": "p", "base_job_template": bad})
    undeclared = await api.post(
        "/work_pools/",
        json={
            "name": "p",
            "base_job_template": {"job_configuration": {"a": "{{ gpu }}"}, "variables": {}},
        },
    )
    await make_pool(api, "ok")
    updated = await api.patch("/work_pools/ok", json={"base_job_template": bad})

    assert created.status_code == 422
    assert "cpu" in created.json()["detail"] and "integer" in created.json()["detail"]
    assert undeclared.status_code == 422
    assert "gpu" in undeclared.json()["detail"]
    assert updated.status_code == 422
    assert "cpu" in updated.json()["detail"]


async def test_queue_crud_and_priority(api: httpx.AsyncClient) -> None:
    await make_pool(api)
    high = await api.post("/work_pools/pool/queues", json={"name": "high", "priority": 1})
    low = await api.post("/work_pools/pool/queues", json={"name": "low"})
    duplicate = await api.post("/work_pools/pool/queues", json={"name": "low"})
    by_route = await api.post("/work_queues/", json={"name": "other", "work_pool_name": "pool"})

    assert high.status_code == 201 and low.status_code == 201
    assert low.json()["priority"] == 2
    assert duplicate.status_code == 409
    assert by_route.status_code == 201
    queue_id = by_route.json()["id"]
    assert (await api.get(f"/work_queues/{queue_id}")).json()["name"] == "other"
    assert (await api.patch(f"/work_queues/{queue_id}", json={"priority": 9})).status_code == 204
    assert (await api.get("/work_pools/pool/queues/other")).json()["priority"] == 9
    assert (await api.delete(f"/work_queues/{queue_id}")).status_code == 204
    default = await api.delete("/work_pools/pool/queues/default")
    assert default.status_code == 422
    assert "default queue" in default.json()["detail"]


async def test_invalid_job_variables_are_422_naming_the_key(api: httpx.AsyncClient) -> None:
    await make_pool(api, base_job_template=TEMPLATE)
    flow = await api.post("/flows/", json={"name": "etl"})
    body = {"name": "d", "flow_id": flow.json()["id"], "work_pool_name": "pool"}

    unknown = await api.post("/deployments/", json={**body, "job_variables": {"memory": 4}})
    wrong = await api.post("/deployments/", json={**body, "job_variables": {"cpu": "two"}})
    no_pool = await api.post("/deployments/", json={**body, "work_pool_name": "nope"})

    assert unknown.status_code == 422
    assert "memory: is not a known key" in unknown.json()["detail"]
    assert wrong.status_code == 422
    assert "cpu" in wrong.json()["detail"]
    assert no_pool.status_code == 404


async def test_required_job_variables_are_enforced_when_a_run_is_created(
    api: httpx.AsyncClient,
) -> None:
    await make_pool(api, base_job_template=TEMPLATE)
    deployment = await make_deployment(api, work_pool_name="pool", job_variables={"cpu": 2})
    url = f"/deployments/{deployment['id']}/create_flow_run"

    missing = await api.post(url, json={})
    given = await api.post(url, json={"job_variables": {"region": "eu"}})

    assert missing.status_code == 422
    assert "region: is required" in missing.json()["detail"]
    assert given.status_code == 201, given.text
    assert given.json()["job_variables"] == {"region": "eu"}
    assert given.json()["work_pool_name"] == "pool"


async def test_deployment_goes_to_the_named_queue_created_if_missing(
    api: httpx.AsyncClient,
) -> None:
    await make_pool(api)
    deployment = await make_deployment(api, work_pool_name="pool", work_queue_name="gpu")
    queue = (await api.get("/work_pools/pool/queues/gpu")).json()
    run = await run_now(api, deployment["id"])

    assert deployment["work_queue_id"] == queue["id"]
    assert run["work_queue_id"] == queue["id"]
    assert run["work_queue_name"] == "gpu"
    assert [r["flow_run"]["id"] for r in await poll(api)] == [run["id"]]
    assert await poll(api, work_queue_names=["default"]) == []


async def test_polling_respects_priority_and_limits(api: httpx.AsyncClient) -> None:
    await make_pool(api, concurrency_limit=3)
    await api.post("/work_pools/pool/queues", json={"name": "urgent", "priority": 1})
    await api.patch("/work_pools/pool/queues/default", json={"priority": 2, "concurrency_limit": 1})
    flow = await api.post("/flows/", json={"name": "etl"})
    deployments = []
    for name, queue in (("a", "urgent"), ("b", "default")):
        answer = await api.post(
            "/deployments/",
            json={
                "name": name,
                "flow_id": flow.json()["id"],
                "work_pool_name": "pool",
                "work_queue_name": queue,
                "concurrency_limit": 1 if name == "a" else None,
            },
        )
        deployments.append(answer.json())
    a_runs = [await run_now(api, deployments[0]["id"]) for _ in range(2)]
    b_runs = [await run_now(api, deployments[1]["id"]) for _ in range(3)]

    due = await poll(api)
    # urgent first, but deployment a allows one at a time; default queue allows one.
    assert [r["flow_run"]["id"] for r in due] == [a_runs[0]["id"], b_runs[0]["id"]]

    for run in due:
        assert (await set_state(api, run["flow_run"]["id"], "PENDING"))["status"] == "ACCEPT"
    assert await poll(api) == []
    await set_state(api, a_runs[0]["id"], "RUNNING")
    await set_state(api, a_runs[0]["id"], "COMPLETED")
    assert [r["flow_run"]["id"] for r in await poll(api)] == [a_runs[1]["id"]]


async def test_paused_pool_queue_or_deployment_gives_nothing(api: httpx.AsyncClient) -> None:
    await make_pool(api)
    deployment = await make_deployment(api, work_pool_name="pool")
    await run_now(api, deployment["id"])
    assert len(await poll(api)) == 1

    await api.post(f"/deployments/{deployment['id']}/pause_deployment")
    assert await poll(api) == []
    await api.post(f"/deployments/{deployment['id']}/resume_deployment")
    await api.patch("/work_pools/pool/queues/default", json={"is_paused": True})
    assert await poll(api) == []
    await api.patch("/work_pools/pool/queues/default", json={"is_paused": False})
    await api.patch("/work_pools/pool", json={"is_paused": True})
    assert await poll(api) == []


async def test_second_claim_of_a_run_is_aborted(api: httpx.AsyncClient) -> None:
    await make_pool(api)
    deployment = await make_deployment(api, work_pool_name="pool")
    run = await run_now(api, deployment["id"])

    first = await set_state(api, run["id"], "PENDING")
    second = await set_state(api, run["id"], "PENDING")

    assert first["status"] == "ACCEPT"
    assert second["status"] == "ABORT"


async def test_worker_heartbeats_make_workers_online(api: httpx.AsyncClient) -> None:
    await make_pool(api)
    beat = await api.post(
        "/work_pools/pool/workers/heartbeat",
        json={"name": "w1", "heartbeat_interval_seconds": 10},
    )
    await api.post("/work_pools/pool/workers/heartbeat", json={"name": "w1"})

    assert beat.status_code == 204
    workers = (await api.post("/work_pools/pool/workers/filter", json={})).json()
    assert [(w["name"], w["status"]) for w in workers] == [("w1", "ONLINE")]
    assert (await api.get("/work_pools/pool")).json()["status"] == "READY"
    assert (await api.delete("/work_pools/pool/workers/w1")).status_code == 204
    assert (await api.get("/work_pools/pool")).json()["status"] == "NOT_READY"


async def test_long_poll_returns_soon_after_a_run_is_created(api: httpx.AsyncClient) -> None:
    await make_pool(api)
    deployment = await make_deployment(api, work_pool_name="pool")

    async def create_later() -> float:
        await asyncio.sleep(0.5)
        await run_now(api, deployment["id"])
        return time.monotonic()

    started = time.monotonic()
    due, created_at = await asyncio.gather(poll(api, wait_seconds=20), create_later())
    answered_at = time.monotonic()

    assert len(due) == 1
    assert answered_at - created_at < 3.0
    assert answered_at - started < 10.0


async def test_long_poll_gives_up_after_wait_seconds(api: httpx.AsyncClient) -> None:
    await make_pool(api)
    started = time.monotonic()
    assert await poll(api, wait_seconds=0.3) == []
    assert time.monotonic() - started < 3.0
    too_long = await api.post("/work_pools/pool/get_scheduled_flow_runs", json={"wait_seconds": 99})
    assert too_long.status_code == 422
