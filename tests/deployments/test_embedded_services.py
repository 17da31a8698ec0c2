"""A runner serving without a server runs the loop services in its embedded server."""

from __future__ import annotations

import pytest

from podium.client._embedded import EmbeddedServer
from podium.runner._embedded import embedded_services
from podium.settings import clear_settings_cache, get_settings


def test_the_embedded_server_runs_its_services_while_the_runner_serves() -> None:
    services = EmbeddedServer.get(get_settings()).app.state.services
    assert services.runner is None  # an embedded server runs none of its own accord

    with embedded_services():
        running = services.runner
        names = sorted(type(service).__name__ for service in running.services)

    assert "Scheduler" in names and "CrashedRuns" in names
    assert services.runner is None


def test_with_an_api_url_the_runner_leaves_the_services_to_that_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PODIUM_API_URL", "http://127.0.0.1:9/api")
    clear_settings_cache()

    with embedded_services():
        assert not EmbeddedServer._instances
