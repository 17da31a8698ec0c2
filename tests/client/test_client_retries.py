"""Retries against a real HTTP server: 5xx and 429 are retried, Retry-After is honoured.

A tiny scripted app, served by uvicorn on 127.0.0.1, answers each request
with the next scripted status (then 200 with a flow), and records what it saw.
"""

from __future__ import annotations

import inspect
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from podium.client import PodiumClient, SyncPodiumClient, get_client
from podium.exceptions import ObjectNotFound, PodiumHTTPStatusError, ServerUnavailable
from podium.settings import clear_settings_cache

Client = PodiumClient | SyncPodiumClient
FLOW_ID = str(uuid.uuid4())


@dataclass
class Seen:
    method: str
    path: str
    body: bytes
    at: float


@dataclass
class Script:
    """Answers to give, first to last; once used up, every answer is 200."""

    answers: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    async def handle(self, request: Request) -> JSONResponse:
        self.seen.append(
            Seen(request.method, request.url.path, await request.body(), time.monotonic())
        )
        if self.answers:
            status, headers = self.answers.pop(0)
            return JSONResponse({"detail": f"scripted {status}"}, status, headers=headers)
        return JSONResponse({"id": FLOW_ID, "name": "scripted", "tags": []})


@dataclass
class ScriptedServer:
    url: str
    script: Script


@pytest.fixture
def scripted() -> Iterator[ScriptedServer]:
    script = Script()
    app = Starlette(
        routes=[Route("/api/{path:path}", script.handle, methods=["GET", "POST", "PATCH"])]
    )
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", ws="none", access_log=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the scripted server did not start"
        time.sleep(0.01)
    try:
        yield ScriptedServer(f"http://127.0.0.1:{port}/api", script)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(params=["async", "sync"])
async def client(
    request: pytest.FixtureRequest, scripted: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Client]:
    monkeypatch.setenv("PODIUM_API_URL", scripted.url)
    monkeypatch.setenv("PODIUM_API_REQUEST_RETRIES", "3")
    clear_settings_cache()
    if request.param == "async":
        async with get_client() as async_client:
            yield async_client
    else:
        with get_client(sync_client=True) as sync_client:
            yield sync_client


async def call(client: Client, method: str, *args: Any, **kwargs: Any) -> Any:
    result = getattr(client, method)(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


async def test_503_twice_then_success(client: Client, scripted: ScriptedServer) -> None:
    scripted.script.answers = [(503, {"Retry-After": "0"})] * 2

    flow = await call(client, "read_flow", FLOW_ID)

    assert str(flow.id) == FLOW_ID
    assert len(scripted.script.seen) == 3
    assert {s.path for s in scripted.script.seen} == {f"/api/flows/{FLOW_ID}"}


async def test_429_then_success(client: Client, scripted: ScriptedServer) -> None:
    scripted.script.answers = [(429, {"Retry-After": "0"})]

    flow = await call(client, "read_flow_by_name", "scripted")

    assert flow.name == "scripted"
    assert len(scripted.script.seen) == 2


async def test_other_server_errors_are_retried(client: Client, scripted: ScriptedServer) -> None:
    scripted.script.answers = [(500, {}), (502, {}), (504, {})]

    flow = await call(client, "read_flow", FLOW_ID)

    assert flow.name == "scripted"
    assert len(scripted.script.seen) == 4


async def test_retry_after_is_honoured(client: Client, scripted: ScriptedServer) -> None:
    scripted.script.answers = [(429, {"Retry-After": "1"})]

    await call(client, "read_flow", FLOW_ID)

    first, second = scripted.script.seen
    assert second.at - first.at >= 0.9


async def test_a_retried_post_sends_the_same_body(client: Client, scripted: ScriptedServer) -> None:
    scripted.script.answers = [(503, {"Retry-After": "0"})]

    flow_id = await call(client, "create_flow_from_name", "scripted")

    assert str(flow_id) == FLOW_ID
    first, second = scripted.script.seen
    assert (first.method, first.path) == ("POST", "/api/flows/")
    assert first.body == second.body
    assert b'"scripted"' in first.body


async def test_gives_up_after_the_configured_retries(
    client: Client, scripted: ScriptedServer
) -> None:
    scripted.script.answers = [(503, {"Retry-After": "0"})] * 10

    with pytest.raises(PodiumHTTPStatusError) as raised:
        await call(client, "read_flow", FLOW_ID)

    assert raised.value.status_code == 503
    assert raised.value.detail == "scripted 503"
    assert len(scripted.script.seen) == 4


async def test_client_errors_are_not_retried(client: Client, scripted: ScriptedServer) -> None:
    scripted.script.answers = [(404, {}), (503, {})]

    with pytest.raises(ObjectNotFound, match="scripted 404"):
        await call(client, "read_flow", FLOW_ID)

    assert len(scripted.script.seen) == 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("sync_client", [False, True])
async def test_connection_refused_raises_server_unavailable_naming_the_url(
    monkeypatch: pytest.MonkeyPatch, sync_client: bool
) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api"
    monkeypatch.setenv("PODIUM_API_URL", url)
    monkeypatch.setenv("PODIUM_API_REQUEST_RETRIES", "2")
    clear_settings_cache()

    with pytest.raises(ServerUnavailable) as raised:
        if sync_client:
            with get_client(sync_client=True) as sync:
                sync.read_flow(uuid.UUID(FLOW_ID))
        else:
            async with get_client() as client:
                await client.read_flow(uuid.UUID(FLOW_ID))

    message = str(raised.value)
    assert url in message
    assert f"GET /flows/{FLOW_ID}" in message
    assert "after 3 tries" in message
    assert "ConnectError" in message
