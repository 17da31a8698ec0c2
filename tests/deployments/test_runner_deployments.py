"""flow.to_deployment, RunnerDeployment.apply, deploy and run_deployment (embedded API)."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pydantic
import pytest

from podium import flow
from podium.client import SyncPodiumClient, get_client
from podium.deployments import ConcurrencyLimitConfig, RunnerDeployment, deploy, run_deployment
from podium.deployments._schema import parameter_schema
from podium.exceptions import InvalidRequest, ObjectNotFound
from podium.runner._execute import load_flow_from_entrypoint
from podium.schemas.states import StateType


class Point(pydantic.BaseModel):
    x: int
    y: int = 0


class Opaque:
    pass


@flow
def etl(day: str, limit: int = 10, point: Point | None = None, verbose: bool = False) -> int:
    """Load one day."""
    return limit


@flow(retries=2, retry_delay_seconds=1)
def takes_anything(x: int, **extra: Any) -> int:
    return x


@pytest.fixture
def client() -> Any:
    with get_client(sync_client=True) as c:
        yield c


def test_the_parameter_schema_comes_from_the_signature() -> None:
    schema = parameter_schema(etl.fn)

    assert schema["required"] == ["day"]
    props = schema["properties"]
    assert props["day"] == {"title": "day", "type": "string"}
    assert props["limit"] == {"title": "limit", "type": "integer", "default": 10}
    assert props["verbose"]["type"] == "boolean"
    assert props["point"]["anyOf"][0] == {"$ref": "#/$defs/Point"}
    assert schema["$defs"]["Point"]["required"] == ["x"]
    assert "additionalProperties" not in schema


def test_kwargs_allow_other_names_and_odd_types_accept_anything() -> None:
    assert parameter_schema(takes_anything.fn)["additionalProperties"] is True

    def odd(thing: Opaque, n: int = 1) -> None: ...

    schema = parameter_schema(odd)
    assert schema["properties"]["thing"] == {"title": "thing"}
    assert schema["properties"]["n"]["type"] == "integer"


def test_to_deployment_fills_entrypoint_schedules_and_schema() -> None:
    deployment = etl.to_deployment(
        "daily", interval=[60, dt.timedelta(hours=1)], tags=["a"], parameters={"day": "x"}
    )

    assert isinstance(deployment, RunnerDeployment)
    assert deployment.full_name == "etl/daily"
    assert deployment.entrypoint == "tests/deployments/test_runner_deployments.py:etl"
    assert [s.interval for s in deployment.schedules] == [
        dt.timedelta(seconds=60),
        dt.timedelta(hours=1),
    ]
    assert deployment.description == "Load one day."
    assert deployment.parameter_openapi_schema == parameter_schema(etl.fn)
    assert load_flow_from_entrypoint(deployment.entrypoint).name == "etl"


def test_schedules_take_one_form_at_a_time() -> None:
    with pytest.raises(ValueError, match="not two"):
        etl.to_deployment("x", interval=60, cron="* * * * *")
    cron = etl.to_deployment("x", cron="0 9 * * *").schedules[0]
    assert cron.cron == "0 9 * * *"


def test_apply_registers_the_deployment(client: SyncPodiumClient) -> None:
    deployment = etl.to_deployment(
        "daily",
        cron="0 3 * * *",
        parameters={"day": "today"},
        concurrency_limit=ConcurrencyLimitConfig(limit=1, collision_strategy="CANCEL_NEW"),
    )
    deployment_id = deployment.apply(client=client)

    stored = client.read_deployment_by_name("etl/daily")
    assert stored.id == deployment_id
    assert stored.parameters == {"day": "today"}
    assert stored.parameter_openapi_schema == deployment.parameter_openapi_schema
    assert stored.entrypoint == deployment.entrypoint
    assert stored.concurrency_limit == 1
    assert stored.concurrency_options is not None
    assert stored.concurrency_options.collision_strategy == "CANCEL_NEW"
    assert len(stored.schedules) == 1
    assert deployment.apply(client=client) == deployment_id  # a redeploy updates it


def test_a_default_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="limit: 'ten' is not of type 'integer'"):
        etl.to_deployment("bad", parameters={"day": "x", "limit": "ten"}).apply()


def test_deploy_needs_an_existing_work_pool() -> None:
    with pytest.raises(ValueError, match="has no work pool"):
        deploy(etl.to_deployment("nowhere"), print_next_steps_message=False)
    with pytest.raises(ObjectNotFound, match="podium work-pool create missing"):
        etl.deploy("somewhere", work_pool_name="missing", print_next_steps=False)


def test_run_deployment_refuses_unknown_and_invalid_parameters() -> None:
    etl.to_deployment("daily").apply()

    with pytest.raises(InvalidRequest) as caught:
        run_deployment("etl/daily", parameters={"colour": "red", "limit": "x"}, timeout=0)

    assert "colour: is not a known key" in caught.value.detail
    assert "limit: 'x' is not of type 'integer'" in caught.value.detail
    with pytest.raises(InvalidRequest, match="day: is required"):
        run_deployment("etl/daily", timeout=0)
    with pytest.raises(ObjectNotFound):
        run_deployment("etl/nope", timeout=0)


def test_run_deployment_with_timeout_zero_returns_the_scheduled_run(
    client: SyncPodiumClient,
) -> None:
    deployment_id = etl.to_deployment("daily").apply()

    run = run_deployment(str(deployment_id), parameters={"day": "mon"}, timeout=0)

    assert run.state_type == StateType.SCHEDULED
    assert run.deployment_id == deployment_id
    assert run.parameters["day"] == "mon"
    assert run.parent_task_run_id is None


def test_run_deployment_inside_a_flow_is_linked_like_a_subflow(client: SyncPodiumClient) -> None:
    etl.to_deployment("daily").apply()

    @flow
    def parent() -> list[Any]:
        return [run_deployment("etl/daily", parameters={"day": d}, timeout=0) for d in "ab"]

    state = parent(return_state=True)
    children = state.result()

    parent_id = state.state_details.flow_run_id
    assert {c.parent_flow_run_id for c in children} == {parent_id}
    task_runs = {t.id: t for t in client.read_task_runs()}
    assert len({c.parent_task_run_id for c in children}) == 2
    for child in children:
        assert task_runs[child.parent_task_run_id].flow_run_id == parent_id


def test_a_deployment_run_executes_in_a_subprocess(client: SyncPodiumClient) -> None:
    deployment_id = takes_anything.to_deployment("any").apply()
    run = client.create_flow_run_from_deployment(deployment_id, parameters={"x": 3, "y": 4})

    done = subprocess.run(
        [sys.executable, "-m", "podium.runner._execute", str(run.id)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    final = client.read_flow_run(run.id)
    assert final.state_type == StateType.COMPLETED
    assert final.empirical_policy.retries == 2  # the flow's retries apply to its runs
    assert final.empirical_policy.retry_delay == 1


def test_a_flow_that_cannot_be_loaded_fails_the_run(
    client: SyncPodiumClient, tmp_path: Path
) -> None:
    flow_id = client.create_flow_from_name("ghost")
    deployment_id = client.create_deployment(
        flow_id, "gone", entrypoint=f"{tmp_path / 'missing.py'}:ghost"
    )
    run = client.create_flow_run_from_deployment(deployment_id)

    done = subprocess.run(
        [sys.executable, "-m", "podium.runner._execute", str(run.id)],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode != 0
    final = client.read_flow_run(run.id)
    assert final.state_type == StateType.FAILED
    assert final.state is not None and "missing.py" in (final.state.message or "")


@pytest.mark.parametrize(
    ("entrypoint", "message"),
    [
        ("no-colon", "Invalid entrypoint"),
        ("tests/deployments/test_runner_deployments.py:Point", "not a flow"),
        ("tests/deployments/test_runner_deployments.py:nothing", "names nothing"),
    ],
)
def test_entrypoint_errors_name_the_problem(entrypoint: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        load_flow_from_entrypoint(entrypoint)
