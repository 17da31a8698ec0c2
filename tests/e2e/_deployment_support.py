"""Helpers of the deployment and worker end-to-end tests: processes and waiting."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

FLOWS_FILE = Path(__file__).parent / "flows_for_deployments.py"

FAST_SERVICES = {
    "PODIUM_SERVICES_ENABLED": "true",
    "PODIUM_SERVICES_LOOP_SECONDS": "0.5",
    "PODIUM_SCHEDULER_LOOP_SECONDS": "1",
    "PODIUM_HEARTBEAT_TIMEOUT_SECONDS": "4",
    "PODIUM_WORKER_HEARTBEAT_SECONDS": "2",
}
"""Server settings that make the services react within seconds."""

T = TypeVar("T")


def wait_for(check: Callable[[], T], timeout: float, what: str, every: float = 0.2) -> T:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}; last: {value!r}")
        time.sleep(every)


def podium_command() -> list[str]:
    """The ``podium`` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "podium"
    if script.exists():
        return [str(script)]
    found = shutil.which("podium")
    return [found] if found else [sys.executable, "-m", "podium.cli"]


def pid_alive(pid: int) -> bool:
    """Whether the process exists and is not a zombie (/proc)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


class Processes:
    """Processes a test starts; all of them are ended by PID when the test ends."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.started: list[subprocess.Popen[bytes]] = []
        self.extra_pids: list[int] = []

    def start(self, args: list[str], env: dict[str, str], cwd: Path, log: str) -> Any:
        with (self.tmp_path / log).open("wb") as out:
            process = subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def log(self, name: str) -> str:
        path = self.tmp_path / name
        return path.read_text(errors="replace") if path.exists() else ""

    def adopt(self, pid: int) -> None:
        """Also end ``pid`` (e.g. a flow run's process) at the end of the test."""
        self.extra_pids.append(pid)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        for pid in self.extra_pids:
            if pid_alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
