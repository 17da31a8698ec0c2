"""Health and version routes."""

from __future__ import annotations

from importlib.metadata import version

import httpx

from podium._version import API_VERSION


async def test_health(api: httpx.AsyncClient) -> None:
    answer = await api.get("/health")

    assert answer.status_code == 200
    assert answer.json() is True


async def test_api_version(api: httpx.AsyncClient) -> None:
    answer = await api.get("/version")

    assert answer.status_code == 200
    assert answer.json() == API_VERSION


async def test_server_version_is_the_package_version(api: httpx.AsyncClient) -> None:
    answer = await api.get("/admin/version")

    assert answer.status_code == 200
    assert answer.json() == version("podium")


async def test_openapi_lists_the_resources(api: httpx.AsyncClient) -> None:
    answer = await api.get("/openapi.json")

    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path in (
        "/api/flows/",
        "/api/flow_runs/filter",
        "/api/flow_runs/{id}/set_state",
        "/api/flow_run_states/",
        "/api/task_runs/batch",
        "/api/logs/filter",
        "/api/health",
    ):
        assert path in paths


async def test_unknown_route_is_404_json(api: httpx.AsyncClient) -> None:
    answer = await api.get("/no-such-thing")

    assert answer.status_code == 404
    assert answer.json()["detail"]
