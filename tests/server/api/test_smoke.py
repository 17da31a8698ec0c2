"""The API answers on both databases: a first check that fixtures and app agree."""

from __future__ import annotations

import httpx


async def test_flow_run_lifecycle(api: httpx.AsyncClient) -> None:
    flow = (await api.post("/flows/", json={"name": "etl"})).json()
    run = (await api.post("/flow_runs/", json={"flow_id": flow["id"]})).json()
    assert run["state"]["type"] == "PENDING"
    for state in ("RUNNING", "COMPLETED"):
        answer = await api.post(
            f"/flow_runs/{run['id']}/set_state", json={"state": {"type": state}}
        )
        assert answer.status_code == 201
        assert answer.json()["status"] == "ACCEPT"
    final = (await api.get(f"/flow_runs/{run['id']}")).json()
    assert final["state_type"] == "COMPLETED"
    assert final["run_count"] == 1
    assert final["end_time"] is not None
