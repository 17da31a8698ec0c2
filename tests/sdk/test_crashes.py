"""Interrupts and killed processes end runs as Crashed where the process can report it."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from podium import flow, runtime, task
from podium.client import get_client
from podium.schemas.states import StateType


def test_keyboard_interrupt_in_flow_is_crashed(client):
    ids = []

    @flow
    def interrupted() -> None:
        ids.append(runtime.flow_run.id)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    run = client.read_flow_run(ids[0])
    assert run.state_type == StateType.CRASHED
    assert "interrupt" in run.state.message


def test_keyboard_interrupt_in_task_crashes_task_and_flow(client):
    ids = {}

    @task
    def t() -> None:
        ids["task"] = runtime.task_run.id
        raise KeyboardInterrupt

    @flow
    def f() -> None:
        ids["flow"] = runtime.flow_run.id
        t()

    with pytest.raises(KeyboardInterrupt):
        f()
    assert client.read_task_run(ids["task"]).state_type == StateType.CRASHED
    assert client.read_flow_run(ids["flow"]).state_type == StateType.CRASHED


def test_sigterm_ends_flow_run_as_crashed(podium_home):
    script = textwrap.dedent(
        """
        import time
        from podium import flow

        @flow
        def long_running() -> None:
            print("STARTED", flush=True)
            time.sleep(60)

        long_running()
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as process:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while b"STARTED" not in process.stdout.readline():
            assert time.monotonic() < deadline
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode != 0
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs()
    assert len(runs) == 1
    assert runs[0].state_type == StateType.CRASHED
