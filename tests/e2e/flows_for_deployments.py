"""Flows that the deployment and worker end-to-end tests run in real processes."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from podium import flow, task


@task
def double(x: int) -> int:
    return 2 * x


@flow
def say(x: int = 1) -> int:
    return double(x)


@flow
def write_env(out: str, name: str = "MY_VAR") -> str:
    value = os.environ.get(name, "<unset>")
    Path(out).write_text(f"{value}\n{os.getpid()}\n{os.getcwd()}")
    return value


@flow
def sleepy(seconds: float = 60.0, pid_file: str | None = None) -> None:
    if pid_file:
        Path(pid_file).write_text(str(os.getpid()))
    time.sleep(seconds)


@flow(retries=1)
def crash_once(marker: str, pid_file: str) -> str:
    """Sleeps on its first attempt (the test kills it there); completes on the next."""
    first = not Path(marker).exists()
    Path(marker).write_text("started")
    if first:
        Path(pid_file).write_text(str(os.getpid()))
        time.sleep(120)
    return "done"


if __name__ == "__main__":
    say.serve(sys.argv[1] if len(sys.argv) > 1 else "every2", interval=2)
