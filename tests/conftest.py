"""Shared fixtures: an isolated PODIUM_HOME per test, and the real databases.

PostgreSQL and Redis are real servers on 127.0.0.1. In CI (``CI=true``) a
test that needs one fails loudly when it cannot reach it; elsewhere it is
skipped with the reason.
"""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from podium.client._embedded import EmbeddedServer
from podium.server.app import create_app
from podium.server.database import Database
from podium.server.database.orm import Base
from podium.settings import Settings, clear_settings_cache

POSTGRES_ADMIN_URL = os.environ.get(
    "PODIUM_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def service_reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require_service(name: str, host: str, port: int) -> None:
    """Fail in CI, skip elsewhere, when a server the test needs is not there."""
    if service_reachable(host, port):
        return
    message = f"{name} is not reachable on {host}:{port}"
    if IN_CI:
        pytest.fail(f"{message}; CI must start it (see .ci/run)")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def podium_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own PODIUM_HOME and no server configured."""
    home = tmp_path / "podium-home"
    home.mkdir()
    for name in list(os.environ):
        if name.startswith("PODIUM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PODIUM_HOME", str(home))
    clear_settings_cache()
    yield home
    EmbeddedServer.close_all()
    clear_settings_cache()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session; dropped afterwards."""
    require_service("PostgreSQL", "127.0.0.1", 5432)
    name = f"podium_test_{uuid.uuid4().hex[:10]}"
    admin = Database(POSTGRES_ADMIN_URL)

    async def _admin(sql: str) -> None:
        assert admin.async_engine is not None
        engine = admin.async_engine.execution_options(isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.exec_driver_sql(sql)
        await admin.dispose()

    asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    base = POSTGRES_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    admin = Database(POSTGRES_ADMIN_URL)
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'podium.db'}"
    return request.getfixturevalue("postgres_database")


async def _clear(db: Database) -> None:
    def _truncate(connection: object) -> None:
        for table in reversed(Base.metadata.sorted_tables):
            connection.execute(table.delete())  # type: ignore[attr-defined]

    await db.run_connection(_truncate)


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client on the real app (ASGI), on a migrated, empty database."""
    settings = Settings(database_url=database_url, services_enabled=False)
    db = Database(database_url)
    app = create_app(settings, database=db)
    async with app.router.lifespan_context(app):
        await _clear(db)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://podium/api") as client:
            yield client
    await db.dispose()


TaskRunBatch = tuple[list[dict[str, Any]], list[dict[str, Any]]]


def varied_task_run_batch(flow_run_id: str) -> TaskRunBatch:
    """A task-run batch body (creations, proposals) touching every kind of column.

    A plain run completed with data; a named run with a retry policy, tags, an
    upstream input and a cache key, completed as Cached; a run outside any flow
    run that never leaves Pending.
    """
    upstream = str(uuid.uuid4())
    runs = [
        {"id": upstream, "task_key": "extract", "dynamic_key": "0", "flow_run_id": flow_run_id},
        {
            "id": str(uuid.uuid4()),
            "task_key": "load",
            "dynamic_key": "1",
            "flow_run_id": flow_run_id,
            "name": "load-1",
            "cache_key": "abc",
            "cache_expiration": "2030-01-02T03:04:05.123456+00:00",
            "tags": ["t"],
            "empirical_policy": {"retries": 1, "retry_delay": [1, 2], "retry_jitter_factor": 0.5},
            "task_inputs": {"x": [{"input_type": "task_run", "id": upstream}]},
        },
        {"id": str(uuid.uuid4()), "task_key": "orphan", "dynamic_key": "0"},
    ]
    states = [
        {"task_run_id": upstream, "state": {"type": "RUNNING"}},
        {"task_run_id": upstream, "state": {"type": "COMPLETED", "data": [1, "two"]}},
        {"task_run_id": runs[1]["id"], "state": {"type": "RUNNING"}},
        {
            "task_run_id": runs[1]["id"],
            "state": {
                "type": "COMPLETED",
                "name": "Cached",
                "state_details": {"cache_key": "abc", "cache_expiration": "2030-01-02T03:04:05Z"},
            },
        },
    ]
    return runs, states


@pytest.fixture
def task_run_batch() -> Callable[[str], TaskRunBatch]:
    """Builds :func:`varied_task_run_batch` for a flow run's id."""
    return varied_task_run_batch
