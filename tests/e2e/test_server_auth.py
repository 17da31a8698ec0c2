"""A server started with ``PODIUM_API_AUTH_STRING`` requires credentials (but not for health)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from podium.client import get_client
from podium.exceptions import Unauthorized
from podium.settings import clear_settings_cache

pytestmark = pytest.mark.e2e


def test_basic_auth(
    start_server: Callable[..., Any],
    run_cli: Callable[..., Any],
    client_env: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = start_server(PODIUM_API_AUTH_STRING="admin:pass")

    with httpx.Client(base_url=server.api_url) as http:
        assert http.post("/flows/filter", json={}).status_code == 401
        assert http.get("/flows/00000000-0000-0000-0000-000000000000").status_code == 401
        assert http.get("/health").status_code == 200
        wrong = http.post("/flows/filter", json={}, auth=("admin", "nope"))
        assert wrong.status_code == 401
        assert http.post("/flows/filter", json={}, auth=("admin", "pass")).status_code == 200

    monkeypatch.setenv("PODIUM_API_URL", server.api_url)
    monkeypatch.setenv("PODIUM_API_AUTH_STRING", "admin:pass")
    clear_settings_cache()
    with get_client(sync_client=True) as client:
        run = client.create_flow_run("guarded")
        assert client.read_flow_run(run.id).id == run.id
        assert [flow.name for flow in client.read_flows()] == ["guarded"]

    monkeypatch.setenv("PODIUM_API_AUTH_STRING", "admin:wrong")
    clear_settings_cache()
    with get_client(sync_client=True) as client, pytest.raises(Unauthorized):
        client.read_flows()

    allowed = run_cli(
        "flow-run",
        "ls",
        "-o",
        "json",
        env=client_env(server.api_url, PODIUM_API_AUTH_STRING="admin:pass"),
    )
    assert allowed.returncode == 0, allowed.stderr
    assert [item["id"] for item in json.loads(allowed.stdout)] == [str(run.id)]

    refused = run_cli("flow-run", "ls", env=client_env(server.api_url))
    assert refused.returncode == 1
    assert "refused the request (401)" in refused.stderr
    assert "PODIUM_API_AUTH_STRING" in refused.stderr
    assert "Traceback" not in refused.stderr
