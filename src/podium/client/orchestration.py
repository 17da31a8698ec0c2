"""``get_client()``: the one client, over HTTP or to the embedded server.

With ``PODIUM_API_URL`` set, requests go over HTTP to that server; without
it, to the same API app running inside this process (SQLite under
``$PODIUM_HOME``). Both clients expose the same methods, named after Prefect
3's client: ``async with get_client() as client`` or
``with get_client(sync_client=True) as client``.
"""

from __future__ import annotations

from typing import Any, Literal, overload

import httpx

from podium.client._asgi import DirectSender
from podium.client._base import BaseClient
from podium.client._deployments import DeploymentCalls
from podium.client._embedded import AsyncEmbeddedTransport, EmbeddedServer, EmbeddedTransport
from podium.client._flows import FlowCalls
from podium.client._logs import LogCalls
from podium.client._runs import RunCalls
from podium.client._work_pools import WorkPoolCalls
from podium.server.auth import authorization_header
from podium.settings import Settings, get_settings

EMBEDDED_BASE_URL = "http://embedded/api"


class _Calls(FlowCalls, RunCalls, LogCalls, DeploymentCalls, WorkPoolCalls, BaseClient):
    pass


class PodiumClient(_Calls):
    """Async client: every API method is a coroutine function."""

    is_async = True

    async def __aenter__(self) -> PodiumClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        assert isinstance(self._http, httpx.AsyncClient)
        await self._http.aclose()


class SyncPodiumClient(_Calls):
    """Sync client: the same methods as :class:`PodiumClient`, called directly."""

    is_async = False

    def __enter__(self) -> SyncPodiumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        assert isinstance(self._http, httpx.Client)
        self._http.close()


def _http_options(settings: Settings, httpx_settings: dict[str, Any] | None) -> dict[str, Any]:
    headers = {}
    if settings.api_auth_string is not None:
        headers["authorization"] = authorization_header(settings.api_auth_string.get_secret_value())
    options: dict[str, Any] = {
        "headers": headers,
        "timeout": settings.api_request_timeout,
    }
    options.update(httpx_settings or {})
    return options


@overload
def get_client(
    httpx_settings: dict[str, Any] | None = None, sync_client: Literal[False] = False
) -> PodiumClient: ...


@overload
def get_client(
    httpx_settings: dict[str, Any] | None = None, *, sync_client: Literal[True]
) -> SyncPodiumClient: ...


def get_client(
    httpx_settings: dict[str, Any] | None = None, sync_client: bool = False
) -> PodiumClient | SyncPodiumClient:
    """A client for the configured API: HTTP with ``PODIUM_API_URL``, else embedded."""
    settings = get_settings()
    options = _http_options(settings, httpx_settings)
    retries = settings.api_request_retries
    if settings.api_url:
        base_url = settings.api_url.rstrip("/")
        if sync_client:
            return SyncPodiumClient(httpx.Client(base_url=base_url, **options), retries=retries)
        return PodiumClient(httpx.AsyncClient(base_url=base_url, **options), retries=retries)
    server = EmbeddedServer.get(settings)
    # Calls go straight to the app, unless the caller's httpx settings (hooks, auth, a
    # transport of their own) must see every request.
    if sync_client:
        http = httpx.Client(
            base_url=EMBEDDED_BASE_URL, transport=EmbeddedTransport(server), **options
        )
        direct = None if httpx_settings else DirectSender(server, http)
        return SyncPodiumClient(http, retries=retries, direct=direct)
    ahttp = httpx.AsyncClient(
        base_url=EMBEDDED_BASE_URL, transport=AsyncEmbeddedTransport(server), **options
    )
    adirect = None if httpx_settings else DirectSender(server, ahttp)
    return PodiumClient(ahttp, retries=retries, direct=adirect)
