"""Start ``podium server start`` as a real process and talk to it over HTTP.

``start_server(**env)`` launches the venv's ``podium`` console script on a
free port with ``$PODIUM_HOME`` in the test's temporary directory, waits for
``/api/health`` and returns the server; the fixture stops every server it
started (by PID: SIGTERM, then SIGKILL if it does not exit).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from tests.e2e._deployment_support import FAST_SERVICES, Processes, podium_command

from podium.client import SyncPodiumClient, get_client
from podium.settings import clear_settings_cache

STARTUP_TIMEOUT = 30.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    env: dict[str, str]
    ready_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        """SIGTERM (graceful), SIGKILL after a timeout; the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        return self.process.returncode


def wait_until_healthy(server: ServerProcess) -> None:
    started = time.monotonic()
    with httpx.Client(timeout=2.0) as http:
        while time.monotonic() - started < STARTUP_TIMEOUT:
            if server.process.poll() is not None:
                code = server.process.returncode
                pytest.fail(f"podium server exited with {code}:\n{server.log()}")
            try:
                if http.get(f"{server.api_url}/health").status_code == 200:
                    server.ready_seconds = time.monotonic() - started
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(f"podium server did not answer /api/health in {STARTUP_TIMEOUT}s:\n{server.log()}")


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., ServerProcess]]:
    servers: list[ServerProcess] = []

    def start(**settings: str) -> ServerProcess:
        port = free_port()
        env = {key: value for key, value in os.environ.items() if not key.startswith("PODIUM_")}
        env.update(
            PODIUM_HOME=str(tmp_path / f"server-home-{len(servers)}"),
            PODIUM_LOGGING_LEVEL="WARNING",
            **settings,
        )
        log_path = tmp_path / f"server-{len(servers)}.log"
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                [*podium_command(), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = ServerProcess(process, port, log_path, env)
        servers.append(server)
        wait_until_healthy(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*podium_command(), *args], env=env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def run_cli() -> Callable[..., subprocess.CompletedProcess[str]]:
    """``run_cli("flow-run", "ls", env=...)``: run ``podium`` as a process with exactly ``env``."""
    return _run_cli


@pytest.fixture
def client_env(tmp_path: Path) -> Callable[..., dict[str, str]]:
    """``client_env(api_url, **settings)``: an environment for CLI processes using that API."""

    def make(api_url: str, **settings: str) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PODIUM_")}
        env.update(PODIUM_HOME=str(tmp_path / "client-home"), PODIUM_API_URL=api_url, **settings)
        return env

    return make


@pytest.fixture
def procs(tmp_path: Path) -> Iterator[Processes]:
    """Processes the test starts, all ended by PID when it ends."""
    tracked = Processes(tmp_path)
    try:
        yield tracked
    finally:
        tracked.stop_all()


@pytest.fixture
def served_client(
    start_server: Callable[..., ServerProcess], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[ServerProcess, SyncPodiumClient]]:
    """A server with fast services, and a client pointed at it (PODIUM_API_URL set)."""
    server = start_server(**FAST_SERVICES)
    monkeypatch.setenv("PODIUM_API_URL", server.api_url)
    clear_settings_cache()
    with get_client(sync_client=True) as client:
        yield server, client
