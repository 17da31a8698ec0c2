"""SDK test fixtures: a sync client on the test's API, and a real HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._servers import api_url, free_port, start_http_server, stop

from podium.client import SyncPodiumClient, get_client
from podium.settings import clear_settings_cache


@pytest.fixture
def client() -> Iterator[SyncPodiumClient]:
    """A sync client for the API the test's settings point at."""
    with get_client(sync_client=True) as c:
        yield c


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``podium server start``'s app under uvicorn in a subprocess; yields its API URL."""
    port = free_port()
    process = start_http_server(tmp_path_factory.mktemp("server-home"), port)
    try:
        yield api_url(port)
    finally:
        stop(process)


@pytest.fixture
def over_http(http_server: str, monkeypatch: pytest.MonkeyPatch, podium_home: Path) -> str:
    """Point this test's client and engine at the HTTP server."""
    monkeypatch.setenv("PODIUM_API_URL", http_server)
    clear_settings_cache()
    return http_server
