"""``flow.serve`` in a real process against a real ``podium server start``."""

from __future__ import annotations

import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.e2e._deployment_support import (
    FLOWS_FILE,
    Processes,
    pid_alive,
    wait_for,
)

from podium.client import SyncPodiumClient
from podium.deployments import run_deployment
from podium.schemas.filters import FilterIds, FlowRunFilter
from podium.schemas.states import StateType

pytestmark = pytest.mark.e2e


def _runs_of(client: SyncPodiumClient, deployment_id: object) -> list:
    runs = client.read_flow_runs()
    return [r for r in runs if r.deployment_id == deployment_id]


def test_served_interval_deployment_runs_twice_and_stops_cleanly(
    served_client: tuple[object, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    procs: Processes,
) -> None:
    server, client = served_client
    env = client_env(server.api_url, PODIUM_HEARTBEAT_TIMEOUT_SECONDS="4")  # type: ignore[attr-defined]
    runner = procs.start(
        [sys.executable, str(FLOWS_FILE), "every2"], env, FLOWS_FILE.parent, "serve.log"
    )

    deployment = wait_for(
        lambda: next(iter(client.read_deployments()), None), 20, "the served deployment"
    )
    assert deployment.entrypoint == "flows_for_deployments.py:say"
    assert deployment.parameter_openapi_schema["properties"]["x"]["type"] == "integer"
    completed = wait_for(
        lambda: (
            [r for r in _runs_of(client, deployment.id) if r.state_type == StateType.COMPLETED]
            if len(
                [r for r in _runs_of(client, deployment.id) if r.state_type == StateType.COMPLETED]
            )
            >= 2
            else None
        ),
        30,
        "two completed runs",
    )
    assert all(r.state and r.state.name == "Completed" for r in completed)

    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=20) == 0, procs.log("serve.log")
    leftovers = [
        r
        for r in _runs_of(client, deployment.id)
        if r.state_type in (StateType.PENDING, StateType.RUNNING)
    ]
    assert leftovers == []
    assert client.read_deployment(deployment.id).paused  # pause_on_shutdown


def test_serve_stops_its_running_runs_on_sigterm(
    served_client: tuple[object, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    procs: Processes,
    tmp_path: Path,
) -> None:
    server, client = served_client
    script = tmp_path / "serve_sleepy.py"
    script.write_text(
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('flows', {str(FLOWS_FILE)!r})\n"
        "module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)\n"
        "sleepy = module.sleepy\n"
        "if __name__ == '__main__':\n"
        "    sleepy.serve('manual')\n"
    )
    env = client_env(server.api_url, PODIUM_HEARTBEAT_TIMEOUT_SECONDS="4")  # type: ignore[attr-defined]
    runner = procs.start([sys.executable, str(script)], env, tmp_path, "serve.log")
    deployment = wait_for(lambda: next(iter(client.read_deployments()), None), 20, "deployment")
    pid_file = tmp_path / "pid"
    run = client.create_flow_run_from_deployment(
        deployment.id, parameters={"seconds": 120, "pid_file": str(pid_file)}
    )
    wait_for(lambda: client.read_flow_run(run.id).state_type == StateType.RUNNING, 20, "Running")
    pid = int(wait_for(lambda: pid_file.exists() and pid_file.read_text(), 10, "pid"))
    procs.adopt(pid)

    runner.send_signal(signal.SIGINT)
    assert runner.wait(timeout=30) == 0, procs.log("serve.log")

    final = client.read_flow_run(run.id)
    assert final.state_type == StateType.CRASHED, final.state
    assert final.state is not None and final.state.message
    assert not pid_alive(pid)


def test_run_deployment_waits_for_the_served_run(
    served_client: tuple[object, SyncPodiumClient],
    client_env: Callable[..., dict[str, str]],
    procs: Processes,
) -> None:
    server, client = served_client
    env = client_env(server.api_url)  # type: ignore[attr-defined]
    procs.start([sys.executable, str(FLOWS_FILE), "manual"], env, FLOWS_FILE.parent, "serve.log")
    wait_for(lambda: client.read_deployments(), 20, "the served deployment")

    run = run_deployment("say/manual", parameters={"x": 21}, timeout=30, poll_interval=0.2)

    assert run.state_type == StateType.COMPLETED, run.state
    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FilterIds(any_=[run.id])))
    assert runs[0].parameters == {"x": 21}
