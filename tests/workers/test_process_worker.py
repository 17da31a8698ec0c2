"""The process worker in this process, on the embedded API: claims, jobs and crashes."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import pytest

from podium import flow
from podium.client import SyncPodiumClient, get_client
from podium.schemas.states import StateCreate, StateType
from podium.workers import ProcessJobConfiguration, ProcessWorker

POOL = "local"


@flow
def noop(x: int = 1) -> int:
    return x


@pytest.fixture
def client() -> Any:
    with get_client(sync_client=True) as c:
        yield c


@pytest.fixture
def worker(client: SyncPodiumClient) -> Any:
    worker = ProcessWorker(POOL, name="test-worker", grace_seconds=2)
    worker.setup(client)
    yield worker
    worker.shutdown()


def _final(client: SyncPodiumClient, run_id: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.read_flow_run(run_id)
        if run.state is not None and run.state.is_final():
            return run
        time.sleep(0.1)
    raise AssertionError(f"no final state: {client.read_flow_run(run_id).state}")


def test_the_worker_creates_its_pool_and_says_hello(
    worker: ProcessWorker, client: SyncPodiumClient
) -> None:
    pool = client.read_work_pool(POOL)
    assert pool.type == "process"
    assert pool.base_job_template == ProcessWorker.get_default_base_job_template()
    assert [w.name for w in client.read_workers_for_work_pool(POOL)] == ["test-worker"]


def test_configuration_merges_pool_deployment_and_run(
    worker: ProcessWorker, client: SyncPodiumClient, tmp_path: Path
) -> None:
    deployment_id = noop.deploy(
        "d",
        work_pool_name=POOL,
        job_variables={"env": {"A": "deployment"}, "stream_output": False},
        print_next_steps=False,
    )
    run = client.create_flow_run_from_deployment(
        deployment_id, job_variables={"working_dir": str(tmp_path), "command": "echo hi"}
    )

    configuration = worker.configuration_for(run)

    assert isinstance(configuration, ProcessJobConfiguration)
    assert configuration.env == {"A": "deployment"}
    assert configuration.stream_output is False
    assert configuration.working_dir == tmp_path
    assert configuration.command == "echo hi"
    assert configuration.name == run.name
    assert configuration.labels["podium.io/flow-run-id"] == str(run.id)


def test_a_process_that_exits_without_a_final_state_crashes_the_run(
    worker: ProcessWorker, client: SyncPodiumClient
) -> None:
    command = f"{sys.executable} -c 'import sys; sys.exit(3)'"
    deployment_id = noop.deploy(
        "d", work_pool_name=POOL, job_variables={"command": command}, print_next_steps=False
    )
    run = client.create_flow_run_from_deployment(deployment_id)

    assert worker.run_once(wait_seconds=0) == 1
    final = _final(client, run.id)

    assert final.state_type == StateType.CRASHED
    assert "exited with code 3" in (final.state.message or "")


def test_a_bad_working_dir_crashes_the_run_with_a_message(
    worker: ProcessWorker, client: SyncPodiumClient, tmp_path: Path
) -> None:
    deployment_id = noop.deploy("d", work_pool_name=POOL, print_next_steps=False)
    missing = tmp_path / "nowhere"
    run = client.create_flow_run_from_deployment(
        deployment_id, job_variables={"working_dir": str(missing)}
    )

    worker.run_once(wait_seconds=0)
    final = _final(client, run.id)

    assert final.state_type == StateType.CRASHED
    assert "nowhere" in (final.state.message or "")


def test_a_run_claimed_elsewhere_is_skipped(
    worker: ProcessWorker, client: SyncPodiumClient
) -> None:
    deployment_id = noop.deploy("d", work_pool_name=POOL, print_next_steps=False)
    run = client.create_flow_run_from_deployment(deployment_id)
    client.set_flow_run_state(run.id, StateCreate(type=StateType.PENDING))

    assert worker.submit(client.read_flow_run(run.id)) is False
    assert worker.active_runs() == 0


def test_the_worker_runs_a_deployment_to_completion(
    worker: ProcessWorker, client: SyncPodiumClient
) -> None:
    deployment_id = noop.deploy("d", work_pool_name=POOL, print_next_steps=False)
    run = client.create_flow_run_from_deployment(deployment_id, parameters={"x": 5})

    assert worker.run_once(wait_seconds=5) == 1
    final = _final(client, run.id, timeout=60)

    assert final.state_type == StateType.COMPLETED, final.state
    assert final.infrastructure_pid is not None


def test_the_worker_limit_caps_its_runs(client: SyncPodiumClient) -> None:
    worker = ProcessWorker(POOL, limit=1, grace_seconds=1)
    worker.setup(client)
    try:
        command = f"{sys.executable} -c 'import time; time.sleep(30)'"
        deployment_id = noop.deploy(
            "d", work_pool_name=POOL, job_variables={"command": command}, print_next_steps=False
        )
        runs = [client.create_flow_run_from_deployment(deployment_id) for _ in range(2)]

        assert worker.run_once(wait_seconds=0) == 1
        assert worker.run_once(wait_seconds=0) == 0
        states = sorted(client.read_flow_run(r.id).state_type.value for r in runs)
        assert states == ["PENDING", "SCHEDULED"]
    finally:
        worker.shutdown()
    for run in runs:
        assert client.read_flow_run(run.id).state_type not in (
            StateType.PENDING,
            StateType.RUNNING,
        )
