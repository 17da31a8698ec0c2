"""Real processes for tests: the API app under uvicorn, and stopping what a test started."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/api"


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """This environment without ``PODIUM_*`` settings, with ``home`` and ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
    env.update(PODIUM_HOME=str(home), **extra)
    return env


def start_http_server(
    home: Path, port: int, *, log: Path | None = None, **env: str
) -> subprocess.Popen[bytes]:
    """``podium server start``'s app under uvicorn in a subprocess, once it answers.

    Its output goes to ``log`` when given; a server that exits or does not answer
    ``/health`` within 30 s is an error that shows what it wrote.
    """
    out = log.open("wb") if log is not None else None
    try:
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
            env=clean_env(home, **env),
            stdout=out or subprocess.DEVNULL,
            stderr=subprocess.STDOUT if out else subprocess.PIPE,
        )
    finally:
        if out is not None:
            out.close()
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{api_url(port)}/health", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            written = log.read_text() if log is not None else (err or b"").decode()
            raise RuntimeError(f"the test server did not start:\n{written}")
        time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """End a process a test started: SIGTERM, then SIGKILL after 15 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate(timeout=5)
