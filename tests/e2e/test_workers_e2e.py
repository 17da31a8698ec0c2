"""``podium worker start`` against a real server: runs, job variables, cancellation, crashes."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.e2e._deployment_support import (
    FLOWS_FILE,
    Processes,
    pid_alive,
    podium_command,
    wait_for,
)

from podium.client import SyncPodiumClient
from podium.runner._execute import load_flow_from_entrypoint
from podium.schemas.states import StateType

pytestmark = pytest.mark.e2e

POOL = "e2e-pool"


def _flow(name: str) -> Any:
    return load_flow_from_entrypoint(f"{FLOWS_FILE}:{name}")


def _start_worker(procs: Processes, env: dict[str, str], cwd: Path, log: str = "worker.log") -> Any:
    return procs.start([*podium_command(), "worker", "start", "--pool", POOL], env, cwd, log)


def _worker_env(client_env: Callable[..., dict[str, str]], server: Any) -> dict[str, str]:
    return client_env(server.api_url, PODIUM_HEARTBEAT_TIMEOUT_SECONDS="4")


def _final(client: SyncPodiumClient, run_id: Any, timeout: float) -> Any:
    return wait_for(
        lambda: (r := client.read_flow_run(run_id)).state is not None and r.state.is_final() and r,
        timeout,
        "a final state",
    )


def test_worker_runs_a_deployment_with_its_job_variables(
    served_client: tuple[Any, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    procs: Processes,
    tmp_path: Path,
) -> None:
    server, client = served_client
    created = procs.start(
        [*podium_command(), "work-pool", "create", POOL, "--type", "process"],
        _worker_env(client_env, server),
        tmp_path,
        "create.log",
    )
    assert created.wait(timeout=60) == 0, procs.log("create.log")
    deployment_id = _flow("write_env").deploy(
        "env",
        work_pool_name=POOL,
        print_next_steps=False,
        job_variables={"env": {"MY_VAR": "from-deployment", "OTHER": "x"}},
    )
    worker = _start_worker(procs, _worker_env(client_env, server), tmp_path)
    wait_for(lambda: client.read_workers_for_work_pool(POOL), 20, "the worker's heartbeat")

    out = tmp_path / "out.txt"
    started = time.monotonic()
    run = client.create_flow_run_from_deployment(
        deployment_id,
        parameters={"out": str(out)},
        job_variables={"env": {"MY_VAR": "from-the-run"}, "working_dir": str(tmp_path)},
    )
    final = _final(client, run.id, 30)
    elapsed = time.monotonic() - started

    assert final.state_type == StateType.COMPLETED, (final.state, procs.log("worker.log"))
    value, pid, cwd = out.read_text().splitlines()
    assert value == "from-the-run"  # the run's env replaced the deployment's whole
    assert Path(cwd) == tmp_path
    assert final.infrastructure_pid is not None and final.infrastructure_pid.endswith(f":{pid}")
    assert elapsed < 20
    assert worker.poll() is None


def test_cancelling_a_running_deployment_run_ends_it_and_its_process(
    served_client: tuple[Any, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    procs: Processes,
    run_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    server, client = served_client
    env = _worker_env(client_env, server)
    _start_worker(procs, env, tmp_path)
    wait_for(lambda: _pool_exists(client), 20, "the pool the worker creates")
    deployment_id = _flow("sleepy").deploy("sleep", work_pool_name=POOL, print_next_steps=False)
    pid_file = tmp_path / "pid"
    run = client.create_flow_run_from_deployment(
        deployment_id, parameters={"seconds": 120, "pid_file": str(pid_file)}
    )
    wait_for(lambda: client.read_flow_run(run.id).state_type == StateType.RUNNING, 30, "Running")
    pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 10, "the pid"))
    procs.adopt(pid)

    started = time.monotonic()
    result = run_cli("flow-run", "cancel", str(run.id), env=env)
    assert result.returncode == 0, result.stderr
    assert "Cancelling" in result.stdout

    final = _final(client, run.id, 10)
    assert final.state_type == StateType.CANCELLED, final.state
    wait_for(lambda: not pid_alive(pid), max(10 - (time.monotonic() - started), 1), "the exit")
    history = [s.type for s in client.read_flow_run_states(run.id)]
    assert StateType.CANCELLING in history and history[-1] == StateType.CANCELLED


def test_a_killed_run_is_found_by_its_missing_heartbeats_and_retried(
    served_client: tuple[Any, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    procs: Processes,
    tmp_path: Path,
) -> None:
    server, client = served_client
    env = _worker_env(client_env, server)
    first_worker = _start_worker(procs, env, tmp_path, "worker-1.log")
    wait_for(lambda: _pool_exists(client), 20, "the pool")
    deployment_id = _flow("crash_once").deploy("once", work_pool_name=POOL, print_next_steps=False)
    pid_file = tmp_path / "pid"
    run = client.create_flow_run_from_deployment(
        deployment_id, parameters={"marker": str(tmp_path / "marker"), "pid_file": str(pid_file)}
    )
    pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 30, "the pid"))
    procs.adopt(pid)

    # the worker and the flow run's process die at once: only the heartbeats can tell
    os.kill(first_worker.pid, signal.SIGKILL)
    first_worker.wait(timeout=10)
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()

    def retried() -> bool:
        states = client.read_flow_run_states(run.id)
        return any(s.name == "AwaitingRetry" for s in states)

    wait_for(retried, 15, "the crash to be detected and the run rescheduled")
    assert time.monotonic() - killed < 15
    awaiting = [s for s in client.read_flow_run_states(run.id) if s.name == "AwaitingRetry"]
    assert "heartbeat" in (awaiting[0].message or "").lower()

    _start_worker(procs, env, tmp_path, "worker-2.log")
    final = _final(client, run.id, 30)
    assert final.state_type == StateType.COMPLETED, (final.state, procs.log("worker-2.log"))
    assert final.run_count == 2


def test_bad_input_is_refused_with_a_message_naming_it(
    served_client: tuple[Any, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    run_cli: Callable[..., Any],
    tmp_path: Path,
) -> None:
    server, _ = served_client
    env = _worker_env(client_env, server)
    assert run_cli("work-pool", "create", POOL, env=env).returncode == 0
    _flow("say").deploy("say", work_pool_name=POOL, print_next_steps=False)

    unknown = run_cli("deployment", "run", "say/say", "--param", "colour=red", env=env)
    assert unknown.returncode == 1
    assert "colour: is not a known key" in unknown.stderr

    wrong = run_cli("deployment", "run", "say/say", "--param", "x=one", env=env)
    assert wrong.returncode == 1
    assert "x: 'one' is not of type 'integer'" in wrong.stderr

    bad_variable = run_cli(
        "deployment", "run", "say/say", "--job-variable", "stream_output=loud", env=env
    )
    assert bad_variable.returncode == 1
    assert "stream_output" in bad_variable.stderr

    template = tmp_path / "template.json"
    template.write_text(
        '{"job_configuration": {"command": "{{ command }}"}, "variables": {"type": "object", '
        '"properties": {"command": {"type": "integer", "default": "python"}}}}'
    )
    bad_pool = run_cli("work-pool", "create", "bad", "--base-job-template", str(template), env=env)
    assert bad_pool.returncode == 1
    assert "variables.properties.command.default" in bad_pool.stderr


def _pool_exists(client: SyncPodiumClient) -> bool:
    return any(p.name == POOL for p in client.read_work_pools())
