"""An app that includes its later routers on first use answers exactly as the full app.

The embedded server builds its app with ``defer_routers=True``: the deployment and
work-pool routers are imported when a request first needs them. Every request below
goes to both apps, on databases of their own, and must get the same answer.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute

from podium.server.api import CORE_ROUTERS, MORE_ROUTERS, load_routers
from podium.server.app import create_app
from podium.settings import Settings

# (method, path, JSON body): creations first, then reads, filters and mistakes
REQUESTS: list[tuple[str, str, Any]] = [
    ("POST", "/work_pools/", {"name": "pool", "type": "process"}),
    ("POST", "/flows/", {"name": "etl"}),
    ("GET", "/work_pools/pool", None),
    ("POST", "/work_pools/pool/queues", {"name": "urgent", "priority": 2}),
    ("POST", "/work_pools/pool/queues/filter", {}),
    ("POST", "/work_queues/filter", {}),
    ("POST", "/deployments/filter", {}),
    ("POST", "/deployments/count", {}),
    ("GET", "/work_pools/", None),  # a method the path does not take: 405
    ("POST", "/work_pools", {"name": "other", "type": "process"}),  # no slash: redirect
    ("GET", "/deployments/name/etl/missing", None),  # 404 from the route
    ("GET", "/no-such-thing", None),  # 404 from the router
    ("POST", "/flows/filter", {}),
    ("GET", "/health", None),
]

VOLATILE = ("id", "created", "updated", "default_queue_id", "work_pool_id")


def _stable(value: Any) -> Any:
    """The answer without the fields that differ between two databases (ids, times)."""
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


@pytest.fixture
async def apps(tmp_path: Path) -> AsyncIterator[dict[str, FastAPI]]:
    built: dict[str, FastAPI] = {}
    for name, defer in (("full", False), ("deferred", True)):
        url = f"sqlite:///{tmp_path / name / 'podium.db'}"
        settings = Settings(database_url=url, services_enabled=False)
        built[name] = create_app(settings, defer_routers=defer)
    async with (
        built["full"].router.lifespan_context(built["full"]),
        built["deferred"].router.lifespan_context(built["deferred"]),
    ):
        yield built


async def _answers(app: FastAPI) -> list[tuple[int, Any, str | None]]:
    transport = httpx.ASGITransport(app=app)
    answers = []
    async with httpx.AsyncClient(transport=transport, base_url="http://podium/api") as api:
        for method, path, body in REQUESTS:
            answer = await api.request(method, path, json=body)
            content = answer.json() if answer.content else None
            answers.append((answer.status_code, _stable(content), answer.headers.get("location")))
    return answers


async def test_deferred_app_answers_like_the_full_app(apps: dict[str, FastAPI]) -> None:
    full = await _answers(apps["full"])
    deferred = await _answers(apps["deferred"])

    assert [status for status, _, _ in full] == [
        201, 201, 200, 201, 200, 200, 200, 200, 405, 307, 404, 404, 200, 200,
    ]  # fmt: skip
    assert deferred == full


async def test_deferred_app_publishes_the_full_openapi_schema(apps: dict[str, FastAPI]) -> None:
    schemas = []
    for app in (apps["deferred"], apps["full"]):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://podium") as client:
            answer = await client.get("/api/openapi.json")
            assert answer.status_code == 200
            schemas.append(answer.json())

    assert "/api/work_pools/{name}/get_scheduled_flow_runs" in schemas[0]["paths"]
    assert schemas[0] == schemas[1]


def test_later_routers_share_no_path_with_the_core_routers() -> None:
    """Were a later route to take a core route's path, including it later could change
    which route answers; the split keeps them apart by their first path segment."""

    def first_segments(names: tuple[tuple[str, str], ...]) -> set[str]:
        return {
            route.path.split("/")[1]
            for router in load_routers(names)
            for route in router.routes
            if isinstance(route, APIRoute)
        }

    assert first_segments(CORE_ROUTERS).isdisjoint(first_segments(MORE_ROUTERS))
