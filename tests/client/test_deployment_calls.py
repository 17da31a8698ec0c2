"""The client's deployment and work-pool calls, against the embedded server."""

from __future__ import annotations

import pytest

from podium.client import get_client
from podium.exceptions import InvalidRequest
from podium.schedules import Interval
from podium.schemas.deployments import DeploymentUpdate
from podium.schemas.work_pools import WorkPoolCreate

TEMPLATE = {
    "job_configuration": {"image": "{{ image }}"},
    "variables": {"properties": {"image": {"type": "string", "default": "py"}}},
}


@pytest.fixture(autouse=True)
def no_services(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODIUM_SERVICES_ENABLED", "false")


def test_deploy_schedule_run_and_poll_with_the_sync_client() -> None:
    with get_client(sync_client=True) as client:
        pool = client.create_work_pool(WorkPoolCreate(name="pool", base_job_template=TEMPLATE))
        again = client.create_work_pool(
            WorkPoolCreate(name="pool", base_job_template=TEMPLATE, concurrency_limit=2),
            overwrite=True,
        )
        flow_id = client.create_flow_from_name("etl")
        deployment_id = client.create_deployment(
            flow_id,
            "nightly",
            schedules=[Interval(3600, slug="hourly", active=False)],
            parameters={"x": 1},
            parameter_openapi_schema={"type": "object", "properties": {"x": {"type": "integer"}}},
            work_pool_name="pool",
        )
        deployment = client.read_deployment_by_name("etl/nightly")
        client.update_deployment(deployment_id, DeploymentUpdate(description="d"))
        run = client.create_flow_run_from_deployment(deployment_id, parameters={"x": 2})
        client.send_worker_heartbeat("pool", "w1", heartbeat_interval_seconds=5)
        due = client.get_scheduled_flow_runs_for_work_pool("pool", wait_seconds=1)
        with pytest.raises(InvalidRequest, match="colour"):
            client.create_flow_run_from_deployment(deployment_id, parameters={"colour": 1})
        client.pause_deployment(deployment_id)
        paused = client.read_deployment(deployment_id)
        state = client.heartbeat_flow_run(run.id)

    assert again.id == pool.id and again.concurrency_limit == 2
    assert deployment.id == deployment_id
    assert [s.slug for s in deployment.schedules] == ["hourly"]
    assert run.parameters == {"x": 2}
    assert [d.flow_run.id for d in due] == [run.id]
    assert paused.paused and paused.description == "d"
    assert state is not None and state.type == "SCHEDULED"


async def test_async_client_reads_pools_and_queues() -> None:
    async with get_client() as client:
        await client.create_work_pool(WorkPoolCreate(name="p"))
        queue = await client.create_work_queue("gpu", priority=1, work_pool_name="p")
        queues = await client.read_work_queues(work_pool_name="p")
        pools = await client.read_work_pools()
        workers = await client.read_workers_for_work_pool("p")

    assert queue.work_pool_name == "p"
    assert sorted(q.name for q in queues) == ["default", "gpu"]
    assert [p.name for p in pools] == ["p"]
    assert workers == []
