"""``podium deployment``, ``work-pool``, ``work-queue`` and ``flow-run cancel`` (in-process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from podium import flow
from podium.cli import app
from podium.client import SyncPodiumClient, get_client
from podium.schemas.states import StateType
from podium.workers import PROCESS_BASE_JOB_TEMPLATE


@flow
def greet(name: str, times: int = 1) -> str:
    return name * times


def podium(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return result


@pytest.fixture
def client() -> Any:
    with get_client(sync_client=True) as c:
        yield c


def test_deployment_ls_inspect_pause_resume_delete(client: SyncPodiumClient) -> None:
    deployment_id = greet.to_deployment("hourly", interval=3600).apply()

    listed = podium("deployment", "ls")
    assert "greet/hourly" in listed.stdout and "every 3600s" in listed.stdout
    shown = json.loads(podium("deployment", "inspect", "greet/hourly", "-o", "json").stdout)
    assert shown["id"] == str(deployment_id)
    assert shown["entrypoint"].endswith("test_deployment_commands.py:greet")

    podium("deployment", "pause", "greet/hourly")
    assert client.read_deployment(deployment_id).paused
    podium("deployment", "resume", str(deployment_id))
    assert not client.read_deployment(deployment_id).paused

    podium("deployment", "delete", "greet/hourly")
    missing = podium("deployment", "inspect", "greet/hourly", code=1)
    assert "not found" in missing.stderr


def test_deployment_run_with_params(client: SyncPodiumClient) -> None:
    greet.to_deployment("manual").apply()

    created = podium("deployment", "run", "greet/manual", "--param", "name=ab", "-p", "times=3")

    assert "Created flow run" in created.stdout
    (run,) = client.read_flow_runs()
    assert run.parameters == {"name": "ab", "times": 3}
    assert run.state_type == StateType.SCHEDULED


def test_deployment_run_names_bad_parameters() -> None:
    greet.to_deployment("manual").apply()

    unknown = podium("deployment", "run", "greet/manual", "-p", "name=a", "-p", "colour=1", code=1)
    assert "colour: is not a known key" in unknown.stderr
    wrong = podium("deployment", "run", "greet/manual", "-p", "name=a", "-p", "times=x", code=1)
    assert "times: 'x' is not of type 'integer'" in wrong.stderr
    missing = podium("deployment", "run", "greet/manual", code=1)
    assert "name: is required" in missing.stderr
    malformed = podium("deployment", "run", "greet/manual", "-p", "novalue", code=1)
    assert "expected KEY=VALUE" in malformed.stderr


def test_work_pool_commands(tmp_path: Path, client: SyncPodiumClient) -> None:
    created = podium("work-pool", "create", "local", "--concurrency-limit", "2")
    assert "Created work pool 'local'" in created.stdout
    pool = client.read_work_pool("local")
    assert pool.base_job_template == PROCESS_BASE_JOB_TEMPLATE
    assert pool.concurrency_limit == 2
    taken = podium("work-pool", "create", "local", code=1)
    assert "already exists" in taken.stderr

    assert "local" in podium("work-pool", "ls").stdout
    shown = json.loads(podium("work-pool", "inspect", "local", "-o", "json").stdout)
    assert shown["type"] == "process"

    podium("work-pool", "update", "local", "--concurrency-limit", "5")
    assert client.read_work_pool("local").concurrency_limit == 5
    podium("work-pool", "pause", "local")
    assert client.read_work_pool("local").is_paused
    podium("work-pool", "resume", "local")
    assert not client.read_work_pool("local").is_paused

    podium("work-queue", "create", "urgent", "--pool", "local", "--priority", "1")
    queues = podium("work-queue", "ls", "--pool", "local").stdout
    assert "urgent" in queues and "default" in queues

    podium("work-pool", "delete", "local")
    assert "not found" in podium("work-pool", "inspect", "local", code=1).stderr


def test_work_pool_templates_are_checked(tmp_path: Path) -> None:
    bad_default = tmp_path / "bad.json"
    bad_default.write_text(
        json.dumps(
            {
                "job_configuration": {"command": "{{ command }}"},
                "variables": {"properties": {"command": {"type": "integer", "default": "x"}}},
            }
        )
    )
    refused = podium("work-pool", "create", "p", "--base-job-template", str(bad_default), code=1)
    assert "variables.properties.command.default" in refused.stderr

    undeclared = tmp_path / "undeclared.json"
    undeclared.write_text(
        json.dumps({"job_configuration": {"image": "{{ image }}"}, "variables": {}})
    )
    refused = podium("work-pool", "create", "p", "--base-job-template", str(undeclared), code=1)
    assert "undeclared variable(s) image" in refused.stderr

    not_json = tmp_path / "broken.json"
    not_json.write_text("{")
    assert (
        "not valid JSON"
        in podium("work-pool", "create", "p", "--base-job-template", str(not_json), code=1).stderr
    )


def test_invalid_job_variables_are_refused(client: SyncPodiumClient) -> None:
    podium("work-pool", "create", "local")
    with pytest.raises(Exception, match="stream_output: 'loud' is not of type 'boolean'"):
        greet.deploy(
            "bad",
            work_pool_name="local",
            job_variables={"stream_output": "loud"},
            print_next_steps=False,
        )
    greet.deploy("good", work_pool_name="local", print_next_steps=False)
    refused = podium(
        "deployment", "run", "greet/good", "-p", "name=a", "--job-variable", "nope=1", code=1
    )
    assert "nope: is not a known key" in refused.stderr


def test_flow_run_cancel(client: SyncPodiumClient) -> None:
    greet.to_deployment("manual").apply()
    podium("deployment", "run", "greet/manual", "-p", "name=a")
    (run,) = client.read_flow_runs()

    cancelled = podium("flow-run", "cancel", str(run.id))

    assert "Cancelled" in cancelled.stdout
    assert client.read_flow_run(run.id).state_type == StateType.CANCELLED  # not started yet
    again = podium("flow-run", "cancel", str(run.id), code=1)
    assert "was not cancelled" in again.stderr
