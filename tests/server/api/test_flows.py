"""Flows through the API: create (idempotent by name), read, filter, count, delete."""

from __future__ import annotations

import uuid

import httpx


async def create_flow(api: httpx.AsyncClient, name: str, **fields: object) -> dict:
    answer = await api.post("/flows/", json={"name": name, **fields})
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


async def test_create_flow_is_idempotent_by_name(api: httpx.AsyncClient) -> None:
    first = await api.post("/flows/", json={"name": "etl", "tags": ["nightly"]})
    again = await api.post("/flows/", json={"name": "etl"})

    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["tags"] == ["nightly"]
    assert (await api.post("/flows/count", json={})).json() == 1


async def test_created_flow_has_its_fields_and_times(api: httpx.AsyncClient) -> None:
    flow = await create_flow(api, "report", tags=["a", "b"], labels={"team": "data"})

    assert uuid.UUID(flow["id"])
    assert flow["name"] == "report"
    assert flow["tags"] == ["a", "b"]
    assert flow["labels"] == {"team": "data"}
    assert flow["created"].endswith("Z") or flow["created"].endswith("+00:00")


async def test_read_flow_by_id_and_by_name(api: httpx.AsyncClient) -> None:
    flow = await create_flow(api, "ingest")

    by_id = await api.get(f"/flows/{flow['id']}")
    by_name = await api.get("/flows/name/ingest")

    assert by_id.status_code == 200
    assert by_id.json() == flow
    assert by_name.status_code == 200
    assert by_name.json()["id"] == flow["id"]


async def test_read_unknown_flow_is_404_naming_it(api: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()

    by_id = await api.get(f"/flows/{missing}")
    by_name = await api.get("/flows/name/no-such-flow")

    assert by_id.status_code == 404
    assert str(missing) in by_id.json()["detail"]
    assert by_name.status_code == 404
    assert "no-such-flow" in by_name.json()["detail"]


async def test_filter_flows_by_name_like_and_tags(api: httpx.AsyncClient) -> None:
    await create_flow(api, "load-orders", tags=["prod", "daily"])
    await create_flow(api, "load-users", tags=["prod"])
    await create_flow(api, "Clean-Up", tags=["dev"])

    async def names(filter_: dict) -> list[str]:
        answer = await api.post("/flows/filter", json={"flows": filter_})
        assert answer.status_code == 200, answer.text
        return [f["name"] for f in answer.json()]

    assert await names({"name": {"any_": ["load-users", "Clean-Up"]}}) == [
        "Clean-Up",
        "load-users",
    ]
    assert await names({"name": {"like_": "LOAD"}}) == ["load-orders", "load-users"]
    assert await names({"name": {"like_": "clean"}}) == ["Clean-Up"]
    assert await names({"tags": {"all_": ["prod", "daily"]}}) == ["load-orders"]
    assert await names({"tags": {"any_": ["daily", "dev"]}}) == ["Clean-Up", "load-orders"]
    assert await names({"id": {"any_": []}}) == []


async def test_flow_filter_sort_limit_and_offset(api: httpx.AsyncClient) -> None:
    for name in ("b", "c", "a", "d"):
        await create_flow(api, name)

    async def page(**request: object) -> list[str]:
        answer = await api.post("/flows/filter", json=request)
        assert answer.status_code == 200, answer.text
        return [f["name"] for f in answer.json()]

    assert await page() == ["a", "b", "c", "d"]
    assert await page(sort="NAME_DESC") == ["d", "c", "b", "a"]
    assert await page(sort="CREATED_DESC") == ["d", "a", "c", "b"]
    assert await page(limit=2, offset=1) == ["b", "c"]
    assert await page(offset=10) == []


async def test_filter_flows_by_their_runs(api: httpx.AsyncClient) -> None:
    with_runs = await create_flow(api, "with-runs")
    await create_flow(api, "without-runs")
    await api.post("/flow_runs/", json={"flow_id": with_runs["id"], "tags": ["x"]})

    answer = await api.post("/flows/filter", json={"flow_runs": {"tags": {"all_": ["x"]}}})

    assert [f["name"] for f in answer.json()] == ["with-runs"]


async def test_count_flows_with_and_without_filter(api: httpx.AsyncClient) -> None:
    for name, tags in (("one", ["t"]), ("two", ["t"]), ("three", [])):
        await create_flow(api, name, tags=tags)

    assert (await api.post("/flows/count")).json() == 3
    tagged = await api.post("/flows/count", json={"flows": {"tags": {"all_": ["t"]}}})
    assert tagged.json() == 2


async def test_update_flow_tags(api: httpx.AsyncClient) -> None:
    flow = await create_flow(api, "tagged", tags=["old"])

    answer = await api.patch(f"/flows/{flow['id']}", json={"tags": ["new", "newer"]})

    assert answer.status_code == 204
    assert (await api.get(f"/flows/{flow['id']}")).json()["tags"] == ["new", "newer"]


async def test_delete_flow_cascades_to_its_runs(api: httpx.AsyncClient) -> None:
    doomed = await create_flow(api, "doomed")
    kept = await create_flow(api, "kept")
    doomed_run = (await api.post("/flow_runs/", json={"flow_id": doomed["id"]})).json()
    kept_run = (await api.post("/flow_runs/", json={"flow_id": kept["id"]})).json()
    task = await api.post(
        "/task_runs/",
        json={"task_key": "t", "dynamic_key": "0", "flow_run_id": doomed_run["id"]},
    )
    assert task.status_code == 201

    answer = await api.delete(f"/flows/{doomed['id']}")

    assert answer.status_code == 204
    assert (await api.get(f"/flows/{doomed['id']}")).status_code == 404
    assert (await api.get(f"/flow_runs/{doomed_run['id']}")).status_code == 404
    assert (await api.get(f"/task_runs/{task.json()['id']}")).status_code == 404
    assert (await api.get(f"/flow_runs/{kept_run['id']}")).status_code == 200
    assert (await api.post("/flow_runs/count")).json() == 1


async def test_delete_unknown_flow_is_404(api: httpx.AsyncClient) -> None:
    missing = uuid.uuid4()

    answer = await api.delete(f"/flows/{missing}")

    assert answer.status_code == 404
    assert str(missing) in answer.json()["detail"]
