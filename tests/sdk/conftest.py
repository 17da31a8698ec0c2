"""SDK test fixtures: a sync client on the test's API, and a real HTTP server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from podium.client import SyncPodiumClient, get_client
from podium.settings import clear_settings_cache


@pytest.fixture
def client() -> Iterator[SyncPodiumClient]:
    """A sync client for the API the test's settings point at."""
    with get_client(sync_client=True) as c:
        yield c


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``podium server start``'s app under uvicorn in a subprocess; yields its API URL."""
    home = tmp_path_factory.mktemp("server-home")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env["PODIUM_HOME"] = str(home)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            "podium.server.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    url = f"http://127.0.0.1:{port}/api"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            raise RuntimeError(f"the test server did not start:\n{err.decode()}")
        time.sleep(0.1)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture
def over_http(http_server: str, monkeypatch: pytest.MonkeyPatch, podium_home: Path) -> str:
    """Point this test's client and engine at the HTTP server."""
    monkeypatch.setenv("PODIUM_API_URL", http_server)
    clear_settings_cache()
    return http_server
