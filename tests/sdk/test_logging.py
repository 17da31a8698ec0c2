"""Run logs: get_run_logger, print capture, and logs landing in the API."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from podium import flow, get_run_logger, task
from podium.client import get_client
from podium.exceptions import MissingContextError
from podium.schemas.filters import FilterIds, LogFilter


def logs_of(client, flow_run_id):
    return client.read_logs(LogFilter(flow_run_id=FilterIds(any_=[flow_run_id])))


def test_run_logger_in_flow_and_task_lands_in_api(client):
    @task
    def work() -> None:
        get_run_logger().warning("from the task")

    @flow
    def f() -> None:
        get_run_logger().info("from the flow")
        work()

    state = f(return_state=True)
    flow_run_id = state.state_details.flow_run_id
    logs = logs_of(client, flow_run_id)
    by_message = {log.message: log for log in logs}
    assert by_message["from the flow"].task_run_id is None
    assert by_message["from the task"].task_run_id is not None
    assert by_message["from the task"].level == 30
    assert any("Finished in state" in m for m in by_message)


async def test_run_logger_in_async_flow(client):
    @flow
    async def f() -> None:
        get_run_logger().info("async hello")

    state = await f(return_state=True)
    assert "async hello" in [
        log.message for log in logs_of(client, state.state_details.flow_run_id)
    ]


def test_run_logger_outside_a_run_is_a_clear_error():
    with pytest.raises(
        MissingContextError, match="inside a function decorated with @flow or @task"
    ):
        get_run_logger()


def test_log_prints(client, capsys):
    @task
    def loud() -> None:
        print("task print", 1)

    @task(log_prints=False)
    def quiet() -> None:
        print("not captured")

    @flow(log_prints=True)
    def f() -> None:
        print("flow print")
        loud()
        quiet()

    state = f(return_state=True)
    messages = [log.message for log in logs_of(client, state.state_details.flow_run_id)]
    assert "flow print" in messages and "task print 1" in messages
    assert "not captured" not in messages
    assert "not captured" in capsys.readouterr().out
    print("after the run")
    assert "after the run" in capsys.readouterr().out


def test_logs_of_a_run_ending_at_exit_are_not_lost(podium_home):
    script = textwrap.dedent(
        """
        from podium import flow, get_run_logger

        @flow
        def last() -> None:
            for i in range(50):
                get_run_logger().info(f"line {i}")

        last()
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    with get_client(sync_client=True) as client:
        messages = [log.message for log in client.read_logs(limit=1000)]
    assert all(f"line {i}" in messages for i in range(50))
