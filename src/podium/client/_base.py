"""One client body for sync and async callers.

Each API method is written once, as a generator: it yields the
:class:`Call` it needs, receives the ``httpx.Response``, and returns the
parsed result. The :func:`api` descriptor turns it into a coroutine
function on :class:`~podium.client.orchestration.PodiumClient` and a plain
function on :class:`~podium.client.orchestration.SyncPodiumClient`; the two
differ only in how a call is sent. Retries (connection errors, 5xx, 429 with
``Retry-After``) and the mapping of error statuses to typed exceptions live
here, once.
"""

from __future__ import annotations

import asyncio
import functools
import random
import time
from collections.abc import Callable, Generator
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, TypeAdapter

from podium import _json as podium_json
from podium.client._asgi import DirectSender
from podium.client._call import Call
from podium.exceptions import (
    InvalidRequest,
    ObjectAlreadyExists,
    ObjectNotFound,
    PodiumHTTPStatusError,
    ServerUnavailable,
    Unauthorized,
)

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
    httpx.PoolTimeout,
)


Op = Generator[Call, httpx.Response, T]


def is_transient(error: BaseException) -> bool:
    """Whether a call that failed after the client's retries may succeed later as it is.

    True when the API could not be reached, or kept answering 429, 502, 503 or 504
    (a server restarting or overloaded); false for an answer about the request itself.
    """
    if isinstance(error, ServerUnavailable):
        return True
    return isinstance(error, PodiumHTTPStatusError) and error.status_code in RETRY_STATUSES


def segment(value: object) -> str:
    """A name as one path segment: ``?``, ``#``, spaces and the like percent-encoded.

    Names may hold characters that end a URL's path (a flow called ``etl?daily``);
    sent as they are, the server would look up ``etl``.
    """
    return quote(str(value), safe="")


@functools.cache
def list_adapter(model: Any) -> TypeAdapter[list[Any]]:
    """The adapter that reads a JSON list of ``model``: one per model, shared by every
    call module, and made when first asked for (made at import, it built the model's
    validators then, for calls a process may never make)."""
    return TypeAdapter(list[model])


def body(value: Any) -> Any:
    """A request body: pydantic models dumped to JSON-able data, unset fields left out."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude_unset=True)
    if isinstance(value, list):
        return [body(item) for item in value]
    return value


class api(Generic[T]):
    """Decorator: a generator method becomes a sync or async method by client kind."""

    def __init__(self, fn: Callable[..., Op[T]]) -> None:
        self.fn = fn
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __get__(self, client: Any, owner: type | None = None) -> Any:
        if client is None:
            return self
        fn = self.fn
        if client.is_async:

            async def call_async(*args: Any, **kwargs: Any) -> T:
                return await client._drive_async(fn(client, *args, **kwargs))

            return functools.wraps(fn)(call_async)

        def call_sync(*args: Any, **kwargs: Any) -> T:
            return client._drive_sync(fn(client, *args, **kwargs))

        return functools.wraps(fn)(call_sync)


def raise_for_status(response: httpx.Response) -> None:
    """Raise the typed exception for an error answer, with the server's message."""
    if response.status_code < 400:
        return
    try:
        payload = response.json()
        detail = payload.get("detail") if isinstance(payload, dict) else None
    except ValueError:
        payload, detail = response.text, None
    detail = str(detail or response.reason_phrase or "error")
    code = response.status_code
    cls: type[PodiumHTTPStatusError] = PodiumHTTPStatusError
    if code == 404:
        cls = ObjectNotFound
    elif code == 409:
        cls = ObjectAlreadyExists
    elif code in (400, 422):
        cls = InvalidRequest
    elif code == 401:
        cls = Unauthorized
    raise cls(code, detail, payload)


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def encode(call: Call) -> bytes | None:
    """The call's body as JSON bytes (``None`` without one); integers of any size."""
    return None if call.json is None else podium_json.dumps(body(call.json))


class BaseClient:
    """Sends calls with retries; subclasses pick sync or async httpx clients.

    ``direct``, given for the embedded server, sends calls straight to its app instead
    of through ``http`` (see :mod:`podium.client._asgi`); retries and errors are the same.
    """

    is_async: bool = False

    def __init__(
        self,
        http: httpx.Client | httpx.AsyncClient,
        *,
        retries: int = 5,
        direct: DirectSender | None = None,
    ) -> None:
        self._http = http
        self.retries = retries
        self._direct = direct
        self._flow_ids: dict[str, Any] = {}

    def _request(self, call: Call, content: bytes | None) -> httpx.Request:
        headers = {"content-type": "application/json"} if content is not None else None
        return self._http.build_request(
            call.method, call.path, content=content, params=call.params, headers=headers
        )

    def _next_step(
        self,
        call: Call,
        attempt: int,
        response: httpx.Response | None,
        error: Exception | None,
    ) -> httpx.Response | float:
        """The response to hand back, or how long to sleep before trying again."""
        retriable = (
            response is None
            or response.status_code in RETRY_STATUSES
            or (response.status_code >= 500)
        )
        if not retriable:
            assert response is not None
            raise_for_status(response)
            return response
        if attempt >= self.retries:
            if response is not None:
                raise_for_status(response)
            raise ServerUnavailable(
                f"Could not reach the Podium API at {self._http.base_url} for {call.method} "
                f"{call.path} after {attempt + 1} tries: {error!r}"
            ) from error
        after = _retry_after(response)
        if after is not None:
            return min(after, 60.0)
        return min(0.1 * 2**attempt, 10.0) * (0.5 + random.random() / 2)

    def _drive_sync(self, op: Op[T]) -> T:
        try:
            call = next(op)
            while True:
                call = op.send(self._send_sync(call))
        except StopIteration as stop:
            return stop.value

    async def _drive_async(self, op: Op[T]) -> T:
        try:
            call = next(op)
            while True:
                call = op.send(await self._send_async(call))
        except StopIteration as stop:
            return stop.value

    def _send_sync(self, call: Call) -> httpx.Response:
        http, direct = self._http, self._direct
        assert isinstance(http, httpx.Client)
        content = encode(call)
        for attempt in range(self.retries + 1):
            response, error = None, None
            try:
                if direct is not None:
                    response = direct.send(call, content)
                else:
                    response = http.send(self._request(call, content))
            except RETRY_ERRORS as exc:
                error = exc
            step = self._next_step(call, attempt, response, error)
            if isinstance(step, httpx.Response):
                return step
            time.sleep(step)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send_async(self, call: Call) -> httpx.Response:
        http, direct = self._http, self._direct
        assert isinstance(http, httpx.AsyncClient)
        content = encode(call)
        for attempt in range(self.retries + 1):
            response, error = None, None
            try:
                if direct is not None:
                    response = await direct.send_async(call, content)
                else:
                    response = await http.send(self._request(call, content))
            except RETRY_ERRORS as exc:
                error = exc
            step = self._next_step(call, attempt, response, error)
            if isinstance(step, httpx.Response):
                return step
            await asyncio.sleep(step)
        raise AssertionError("unreachable: the last attempt returns or raises")
