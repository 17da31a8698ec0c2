"""ProcessPoolTaskRunner: task runs in worker processes, recorded by the parent."""

from __future__ import annotations

import os

from podium import flow, get_run_logger, task
from podium.schemas.filters import FilterIds, FlowRunFilter, LogFilter
from podium.schemas.states import StateType
from podium.task_runners import ProcessPoolTaskRunner


@task
def pid_times(x: int) -> tuple[int, int]:
    get_run_logger().info("in worker %s", x)
    return os.getpid(), x * 3


@task
def explode() -> None:
    raise ValueError("in a worker")


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def in_processes() -> list:
    futures = pid_times.map([1, 2, 3])
    failed = explode.submit()
    failed.wait()
    return [f.result() for f in futures] + [failed.state.type, failed.state.message]


def test_process_pool_runs_and_records(client):
    state = in_processes(return_state=True)
    *results, failed_type, failed_message = state.result()
    assert [value for _, value in results] == [3, 6, 9]
    assert all(pid != os.getpid() for pid, _ in results)
    assert failed_type == StateType.FAILED and "in a worker" in failed_message
    flow_run_id = state.state_details.flow_run_id
    runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FilterIds(any_=[flow_run_id])))
    assert sorted(r.state_type for r in runs) == [StateType.COMPLETED] * 3 + [StateType.FAILED]
    logs = client.read_logs(LogFilter(flow_run_id=FilterIds(any_=[flow_run_id])))
    assert sum("in worker" in log.message for log in logs) == 3
