"""Error answers become typed exceptions carrying the server's message."""

from __future__ import annotations

import inspect
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from podium.client import PodiumClient, SyncPodiumClient, get_client
from podium.exceptions import (
    InvalidRequest,
    ObjectNotFound,
    PodiumHTTPStatusError,
    Unauthorized,
)
from podium.schemas import actions
from podium.schemas.states import StateCreate
from podium.server.app import create_app
from podium.settings import Settings, clear_settings_cache

Client = PodiumClient | SyncPodiumClient


async def call(client: Client, method: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(client, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


@pytest.fixture(params=["async", "sync"])
async def client(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    if request.param == "async":
        async with get_client() as async_client:
            yield async_client
    else:
        with get_client(sync_client=True) as sync_client:
            yield sync_client


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("read_flow", "Flow"),
        ("read_flow_run", "Flow run"),
        ("read_task_run", "Task run"),
        ("delete_flow_run", "Flow run"),
        ("delete_task_run", "Task run"),
        ("read_flow_run_states", "Flow run"),
    ],
)
async def test_unknown_id_raises_object_not_found_with_the_message(
    client: Client, method: str, kind: str
) -> None:
    missing = uuid.uuid4()

    with pytest.raises(ObjectNotFound) as raised:
        await call(client, method, missing)

    assert raised.value.status_code == 404
    assert raised.value.detail == f"{kind} with id {missing} was not found."
    assert str(missing) in str(raised.value)


async def test_unknown_flow_name_raises_object_not_found(client: Client) -> None:
    with pytest.raises(ObjectNotFound, match="no-such-flow"):
        await call(client, "read_flow_by_name", "no-such-flow")


async def test_set_state_of_unknown_run_raises_object_not_found(client: Client) -> None:
    missing = uuid.uuid4()

    with pytest.raises(ObjectNotFound, match=str(missing)):
        await call(client, "set_flow_run_state", missing, StateCreate(type="RUNNING"))


async def test_batch_for_unknown_flow_run_names_it(client: Client) -> None:
    missing = uuid.uuid4()
    batch = actions.TaskRunBatch(
        task_runs=[actions.TaskRunCreate(task_key="t", dynamic_key="0", flow_run_id=missing)]
    )

    with pytest.raises(ObjectNotFound, match=f"flow_run_id {missing}"):
        await call(client, "report_task_runs", batch)


async def test_invalid_request_raises_invalid_request_naming_the_field(client: Client) -> None:
    with pytest.raises(InvalidRequest) as raised:
        await call(client, "read_flow_runs", limit=5000)

    assert raised.value.status_code == 422
    assert "limit" in raised.value.detail
    assert raised.value.body["errors"][0]["loc"] == ["body", "limit"]


async def test_typed_errors_share_one_base(client: Client) -> None:
    with pytest.raises(PodiumHTTPStatusError):
        await call(client, "read_flow", uuid.uuid4())
    with pytest.raises(PodiumHTTPStatusError):
        await call(client, "read_task_runs", limit=1001)


@pytest.fixture
def guarded_server(tmp_path: Path) -> Iterator[str]:
    """The real app over HTTP, requiring ``admin:secret``."""
    url = f"sqlite:///{tmp_path / 'guarded.db'}"
    app = create_app(Settings(database_url=url, api_auth_string="admin:secret"))
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}/api"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.mark.parametrize(
    ("auth", "works"), [(None, False), ("admin:wrong", False), ("admin:secret", True)]
)
def test_credentials_are_required_and_sent(
    guarded_server: str, monkeypatch: pytest.MonkeyPatch, auth: str | None, works: bool
) -> None:
    monkeypatch.setenv("PODIUM_API_URL", guarded_server)
    if auth is not None:
        monkeypatch.setenv("PODIUM_API_AUTH_STRING", auth)
    clear_settings_cache()

    with get_client(sync_client=True) as client:
        assert client.api_healthcheck() is None
        if works:
            flow_id = client.create_flow_from_name("guarded")
            assert client.read_flow(flow_id).name == "guarded"
        else:
            with pytest.raises(Unauthorized, match="PODIUM_API_AUTH_STRING") as raised:
                client.create_flow_from_name("guarded")
            assert raised.value.status_code == 401
