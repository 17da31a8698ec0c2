"""Deployments through the API: upsert, reads, filters, schedules, runs from a deployment."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

SCHEMA = {
    "title": "Parameters",
    "type": "object",
    "properties": {
        "x": {"title": "x", "type": "integer", "position": 0},
        "name": {"title": "name", "type": "string", "default": "world", "position": 1},
    },
    "required": ["x"],
}
HOURLY = {"schedule": {"interval": 3600, "anchor_date": "2020-01-01T00:00:00Z"}}


async def make_flow(api: httpx.AsyncClient, name: str = "etl") -> str:
    answer = await api.post("/flows/", json={"name": name})
    return answer.json()["id"]


async def make_deployment(
    api: httpx.AsyncClient, flow_id: str, name: str = "nightly", **fields: Any
) -> dict[str, Any]:
    answer = await api.post("/deployments/", json={"name": name, "flow_id": flow_id, **fields})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def runs_of(api: httpx.AsyncClient, deployment_id: str) -> list[dict[str, Any]]:
    body = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}, "limit": 1000}
    answer = await api.post("/flow_runs/filter", json=body)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_create_is_an_upsert_by_flow_and_name(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    first = await api.post(
        "/deployments/",
        json={
            "name": "nightly",
            "flow_id": flow_id,
            "tags": ["a"],
            "parameters": {"x": 1},
            "parameter_openapi_schema": SCHEMA,
            "entrypoint": "flows.py:etl",
            "concurrency_limit": 2,
            "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
        },
    )
    again = await api.post(
        "/deployments/",
        json={"name": "nightly", "flow_id": flow_id, "version": "2", "tags": ["b"]},
    )

    assert first.status_code == 201, first.text
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["version"] == "2"
    assert again.json()["tags"] == ["b"]
    assert first.json()["parameter_openapi_schema"] == SCHEMA
    assert first.json()["concurrency_options"] == {"collision_strategy": "CANCEL_NEW"}
    assert (await api.post("/deployments/count", json={})).json() == 1


async def test_read_by_id_name_filter_and_delete(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api, "ingest")
    deployment = await make_deployment(api, flow_id, "hourly", tags=["prod"])
    await make_deployment(api, flow_id, "adhoc", paused=True)

    by_id = await api.get(f"/deployments/{deployment['id']}")
    by_name = await api.get("/deployments/name/ingest/hourly")
    tagged = await api.post(
        "/deployments/filter", json={"deployments": {"tags": {"all_": ["prod"]}}}
    )
    paused = await api.post("/deployments/filter", json={"deployments": {"paused": {"eq_": True}}})
    by_flow_name = await api.post(
        "/deployments/count",
        json={"deployments": {"flow_or_deployment_name": {"like_": "inges"}}},
    )

    assert by_id.json()["name"] == "hourly"
    assert by_name.json()["id"] == deployment["id"]
    assert [d["name"] for d in tagged.json()] == ["hourly"]
    assert [d["name"] for d in paused.json()] == ["adhoc"]
    assert by_flow_name.json() == 2
    assert (await api.delete(f"/deployments/{deployment['id']}")).status_code == 204
    missing = await api.get(f"/deployments/{deployment['id']}")
    assert missing.status_code == 404
    assert deployment["id"] in missing.json()["detail"]
    assert (await api.get("/deployments/name/ingest/nope")).status_code == 404


async def test_unknown_flow_is_404(api: httpx.AsyncClient) -> None:
    answer = await api.post("/deployments/", json={"name": "d", "flow_id": str(uuid.uuid4())})
    assert answer.status_code == 404


async def test_run_parameters_overlay_defaults(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(
        api, flow_id, parameters={"x": 1, "name": "default"}, parameter_openapi_schema=SCHEMA
    )

    answer = await api.post(
        f"/deployments/{deployment['id']}/create_flow_run",
        json={"parameters": {"name": "given"}, "tags": ["manual"]},
    )

    assert answer.status_code == 201, answer.text
    run = answer.json()
    assert run["parameters"] == {"x": 1, "name": "given"}
    assert run["deployment_id"] == deployment["id"]
    assert run["state"]["type"] == "SCHEDULED"
    assert "manual" in run["tags"]
    assert run["auto_scheduled"] is False


async def test_unknown_or_invalid_parameters_are_422_naming_them(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(api, flow_id, parameter_openapi_schema=SCHEMA)
    url = f"/deployments/{deployment['id']}/create_flow_run"

    unknown = await api.post(url, json={"parameters": {"x": 1, "colour": "red"}})
    wrong = await api.post(url, json={"parameters": {"x": "one"}})
    missing = await api.post(url, json={"parameters": {}})

    assert unknown.status_code == 422
    assert "colour" in unknown.json()["detail"]
    assert wrong.status_code == 422
    assert "x:" in wrong.json()["detail"] and "integer" in wrong.json()["detail"]
    assert missing.status_code == 422
    assert "x: is required" in missing.json()["detail"]


async def test_bad_default_parameters_are_refused_at_deploy(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    answer = await api.post(
        "/deployments/",
        json={
            "name": "d",
            "flow_id": flow_id,
            "parameters": {"y": 2},
            "parameter_openapi_schema": SCHEMA,
        },
    )
    assert answer.status_code == 422
    assert "y: is not a known key" in answer.json()["detail"]


async def test_idempotency_key_returns_the_same_run(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(api, flow_id)
    url = f"/deployments/{deployment['id']}/create_flow_run"

    first = await api.post(url, json={"idempotency_key": "k1"})
    second = await api.post(url, json={"idempotency_key": "k1"})

    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]


async def test_schedules_create_runs_ahead_and_changes_replace_them(
    api: httpx.AsyncClient,
) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(api, flow_id, schedules=[HOURLY])
    runs = await runs_of(api, deployment["id"])

    assert len(runs) == 100  # PODIUM_SCHEDULER_MAX_RUNS
    assert all(r["auto_scheduled"] and r["state"]["type"] == "SCHEDULED" for r in runs)
    assert all("auto-scheduled" in r["tags"] for r in runs)
    assert len({r["next_scheduled_start_time"] for r in runs}) == 100

    daily = {"schedule": {"cron": "0 9 * * *", "timezone": "Europe/Paris"}}
    patched = await api.patch(f"/deployments/{deployment['id']}", json={"schedules": [daily]})
    assert patched.status_code == 204
    runs = await runs_of(api, deployment["id"])
    assert len(runs) == 100
    assert all(r["next_scheduled_start_time"][11:16] in ("07:00", "08:00") for r in runs)


async def test_two_schedules_at_the_same_instant_make_one_run(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    every_hour = {"schedule": {"cron": "0 * * * *"}}
    deployment = await make_deployment(api, flow_id, schedules=[HOURLY, every_hour])

    runs = await runs_of(api, deployment["id"])

    assert len(runs) == 100
    assert len({r["idempotency_key"] for r in runs}) == 100


async def test_pause_deletes_future_runs_and_resume_recreates(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(api, flow_id, schedules=[HOURLY])
    manual = await api.post(f"/deployments/{deployment['id']}/create_flow_run", json={})

    assert (await api.post(f"/deployments/{deployment['id']}/pause_deployment")).status_code == 200
    remaining = await runs_of(api, deployment["id"])
    assert [r["id"] for r in remaining] == [manual.json()["id"]]
    assert (await api.get(f"/deployments/{deployment['id']}")).json()["paused"] is True

    assert (await api.post(f"/deployments/{deployment['id']}/resume_deployment")).status_code == 200
    assert len(await runs_of(api, deployment["id"])) == 101


async def test_schedule_crud_and_inactive_schedules(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(api, flow_id)
    url = f"/deployments/{deployment['id']}/schedules"

    created = await api.post(url, json=[{**HOURLY, "slug": "hourly", "active": False}])
    assert created.status_code == 201, created.text
    schedule = created.json()[0]
    assert schedule["slug"] == "hourly"
    assert schedule["schedule"]["interval"] == 3600
    assert await runs_of(api, deployment["id"]) == []

    activated = await api.patch(f"{url}/{schedule['id']}", json={"active": True})
    assert activated.status_code == 204
    assert len(await runs_of(api, deployment["id"])) == 100
    listed = await api.get(url)
    assert [s["active"] for s in listed.json()] == [True]

    assert (await api.delete(f"{url}/{schedule['id']}")).status_code == 204
    assert await runs_of(api, deployment["id"]) == []
    assert (await api.delete(f"{url}/{schedule['id']}")).status_code == 404


async def test_schedule_parameters_overlay_deployment_defaults(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(
        api,
        flow_id,
        parameters={"x": 1},
        parameter_openapi_schema=SCHEMA,
        schedules=[{**HOURLY, "parameters": {"name": "scheduled"}}],
    )
    runs = await runs_of(api, deployment["id"])
    assert runs[0]["parameters"] == {"x": 1, "name": "scheduled"}

    bad = await api.post(
        f"/deployments/{deployment['id']}/schedules",
        json=[{**HOURLY, "parameters": {"nope": 1}}],
    )
    assert bad.status_code == 422
    assert "nope" in bad.json()["detail"]


async def test_flow_runs_filter_by_deployment(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    prod = await make_deployment(api, flow_id, "prod", tags=["prod"])
    dev = await make_deployment(api, flow_id, "dev")
    await api.post(f"/deployments/{prod['id']}/create_flow_run", json={})
    await api.post(f"/deployments/{dev['id']}/create_flow_run", json={})

    answer = await api.post("/flow_runs/filter", json={"deployments": {"tags": {"all_": ["prod"]}}})
    count = await api.post("/flow_runs/count", json={"deployments": {"name": {"any_": ["dev"]}}})

    assert [r["deployment_id"] for r in answer.json()] == [prod["id"]]
    assert count.json() == 1


async def test_runner_polls_due_runs_of_its_deployments(api: httpx.AsyncClient) -> None:
    flow_id = await make_flow(api)
    deployment = await make_deployment(api, flow_id, schedules=[HOURLY])
    manual = await api.post(f"/deployments/{deployment['id']}/create_flow_run", json={})

    answer = await api.post(
        "/deployments/get_scheduled_flow_runs", json={"deployment_ids": [deployment["id"]]}
    )

    assert answer.status_code == 200, answer.text
    assert [r["id"] for r in answer.json()] == [manual.json()["id"]]
    polled = (await api.get(f"/deployments/{deployment['id']}")).json()
    assert polled["status"] == "READY"
    assert polled["last_polled"] is not None
