"""Bad input gets a clear answer: 404 naming the id, 422 naming the field."""

from __future__ import annotations

import uuid

import httpx
import pytest


@pytest.fixture
async def flow_id(api: httpx.AsyncClient) -> str:
    return (await api.post("/flows/", json={"name": "etl"})).json()["id"]


def assert_invalid(answer: httpx.Response, field: str) -> None:
    """A 422 whose ``detail`` names ``field`` and whose ``errors`` locate it."""
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["detail"].startswith("Invalid request: ")
    assert f"{field}:" in body["detail"]
    located = {".".join(str(p) for p in e["loc"][1:]) for e in body["errors"]}
    assert field in located


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/flow_runs/filter", {"flow_runs": {"tags": {"all_": "prod"}}}, "flow_runs.tags.all_"),
        ("/flow_runs/filter", {"flow_runs": {"id": {"any_": ["nope"]}}}, "flow_runs.id.any_.0"),
        ("/flow_runs/filter", {"flow_runs": {"colour": "red"}}, "flow_runs.colour"),
        (
            "/flow_runs/filter",
            {"flow_runs": {"state": {"type": {"any_": ["DONE"]}}}},
            "flow_runs.state.type.any_.0",
        ),
        ("/flow_runs/filter", {"limit": 5000}, "limit"),
        ("/flow_runs/filter", {"limit": -1}, "limit"),
        ("/flow_runs/filter", {"offset": -1}, "offset"),
        ("/flow_runs/filter", {"sort": "SIDEWAYS"}, "sort"),
        ("/flow_runs/filter", {"flow_run": {}}, "flow_run"),
        (
            "/flow_runs/count",
            {"flow_runs": {"start_time": {"after_": "yesterday"}}},
            "flow_runs.start_time.after_",
        ),
        (
            "/task_runs/filter",
            {"task_runs": {"flow_run_id": {"is_null_": "maybe"}}},
            "task_runs.flow_run_id.is_null_",
        ),
        ("/flows/filter", {"flows": {"name": {"like_": 3}}}, "flows.name.like_"),
        ("/logs/filter", {"logs": {"level": {"ge_": "high"}}}, "logs.level.ge_"),
    ],
)
async def test_invalid_filters_are_422_naming_the_field(
    api: httpx.AsyncClient, path: str, body: dict, field: str
) -> None:
    answer = await api.post(path, json=body)

    assert_invalid(answer, field)


async def test_bad_state_type_is_422_naming_state_type(
    api: httpx.AsyncClient, flow_id: str
) -> None:
    created = await api.post("/flow_runs/", json={"flow_id": flow_id, "state": {"type": "DONE"}})
    run = (await api.post("/flow_runs/", json={"flow_id": flow_id})).json()
    proposed = await api.post(f"/flow_runs/{run['id']}/set_state", json={"state": {"type": "X"}})

    assert_invalid(created, "state.type")
    assert "'COMPLETED'" in created.json()["detail"]
    assert_invalid(proposed, "state.type")


async def test_unknown_body_fields_are_422_not_ignored(
    api: httpx.AsyncClient, flow_id: str
) -> None:
    run = (await api.post("/flow_runs/", json={"flow_id": flow_id})).json()

    create = await api.post("/flow_runs/", json={"flow_id": flow_id, "paramters": {}})
    update = await api.patch(f"/flow_runs/{run['id']}", json={"nmae": "x"})
    flow = await api.post("/flows/", json={"name": "x", "colour": "red"})

    assert_invalid(create, "paramters")
    assert "is not a known field" in create.json()["detail"]
    assert_invalid(update, "nmae")
    assert_invalid(flow, "colour")
    assert (await api.post("/flow_runs/count")).json() == 1


async def test_missing_and_malformed_body_fields(api: httpx.AsyncClient, flow_id: str) -> None:
    no_flow_id = await api.post("/flow_runs/", json={"name": "x"})
    bad_flow_id = await api.post("/flow_runs/", json={"flow_id": "not-a-uuid"})
    bad_name = await api.post("/flows/", json={"name": "a/b"})
    empty_name = await api.post("/flows/", json={"name": ""})
    no_task_key = await api.post("/task_runs/", json={"dynamic_key": "0"})
    bad_log = await api.post("/logs/", json=[{"name": "n", "level": 20, "message": "m"}])

    assert_invalid(no_flow_id, "flow_id")
    assert "flow_id: is required" in no_flow_id.json()["detail"]
    assert_invalid(bad_flow_id, "flow_id")
    assert_invalid(bad_name, "name")
    assert_invalid(empty_name, "name")
    assert_invalid(no_task_key, "task_key")
    assert_invalid(bad_log, "0.timestamp")


async def test_bad_batch_entries_name_their_position(api: httpx.AsyncClient) -> None:
    batch = {
        "task_runs": [{"task_key": "k", "dynamic_key": "0"}, {"task_key": "k"}],
        "states": [{"task_run_id": str(uuid.uuid4()), "state": {"type": "LATE"}}],
    }

    answer = await api.post("/task_runs/batch", json=batch)

    assert_invalid(answer, "task_runs.1.dynamic_key")
    assert_invalid(answer, "states.0.state.type")


async def test_malformed_ids_in_paths_and_queries(api: httpx.AsyncClient) -> None:
    path = await api.get("/flow_runs/123")
    query = await api.get("/flow_run_states/", params={"flow_run_id": "123"})
    missing_query = await api.get("/task_run_states/")

    assert_invalid(path, "id")
    assert_invalid(query, "flow_run_id")
    assert_invalid(missing_query, "task_run_id")


async def test_body_that_is_not_json_is_422(api: httpx.AsyncClient) -> None:
    answer = await api.post(
        "/flows/", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert answer.status_code == 422
    assert answer.json()["detail"].startswith("Invalid request")


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/flows/{id}", "Flow"),
        ("PATCH", "/flows/{id}", "Flow"),
        ("DELETE", "/flows/{id}", "Flow"),
        ("GET", "/flow_runs/{id}", "Flow run"),
        ("POST", "/flow_runs/{id}/set_state", "Flow run"),
        ("GET", "/task_runs/{id}", "Task run"),
        ("POST", "/task_runs/{id}/set_state", "Task run"),
    ],
)
async def test_unknown_ids_are_404_naming_the_id(
    api: httpx.AsyncClient, method: str, path: str, kind: str
) -> None:
    missing = str(uuid.uuid4())
    body = {"state": {"type": "RUNNING"}} if path.endswith("set_state") else None
    if method == "PATCH":
        body = {"tags": []}

    answer = await api.request(method, path.format(id=missing), json=body)

    assert answer.status_code == 404
    assert answer.json()["detail"] == f"{kind} with id {missing} was not found."


async def test_refused_transition_carries_the_rules_reason(
    api: httpx.AsyncClient, flow_id: str
) -> None:
    run = (await api.post("/flow_runs/", json={"flow_id": flow_id})).json()
    url = f"/flow_runs/{run['id']}/set_state"
    await api.post(url, json={"state": {"type": "CANCELLING"}})

    answer = await api.post(url, json={"state": {"type": "RUNNING"}})

    assert answer.status_code == 200
    assert answer.json()["status"] == "ABORT"
    reason = answer.json()["details"]["reason"]
    assert "CANCELLING" in reason
    assert "only a terminal state may follow" in reason
