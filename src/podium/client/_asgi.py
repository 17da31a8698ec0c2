"""Calls to the embedded server's ASGI app, without an HTTP client in between.

Through ``httpx.Client`` and its ASGI transport, a request to the app running in this
process pays for URL merging, cookie extraction, redirect and auth handling, and the
transport's stream and event objects: several hundred microseconds, which is more than
many of the API's own answers take. The engine makes a few such calls per flow run and
the reporter one per batch, so the client sends its calls to the embedded server with
:class:`DirectSender` instead: one ASGI ``http`` call on the server's loop, answered with
an ordinary ``httpx.Response``. The app, its middleware (auth included) and its answers
are the same as over HTTP.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import httpx

from podium.client._call import Call
from podium.client._embedded import EmbeddedServer

__all__ = ["Answer", "DirectSender", "Target", "call_app"]

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
"""An app's answer: status code, raw headers and the whole body."""

Target = tuple[str, bytes, bytes, list[tuple[bytes, bytes]]]
"""Where a request goes: path, raw (encoded) path, query string and headers."""

Message = MutableMapping[str, Any]
App = Callable[[dict[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Any]], Any]

# Headers a client of the in-process app must not send: it gets the body as is.
_SKIPPED = frozenset({b"accept-encoding", b"connection", b"content-length", b"host"})

# A path made of these needs no encoding: it is sent as it is written. Any other goes
# through httpx's URL handling, so that it reaches the app as it would over HTTP.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")


async def call_app(app: App, method: str, target: Target, body: bytes) -> Answer:
    """Run one HTTP request through ``app`` and collect its whole answer.

    As with httpx's ASGI transport (``raise_app_exceptions=False``), an app that
    raises before it answers gives a 500, and the request reads as disconnected only
    once the answer is complete.
    """
    path, raw_path, query, headers = target
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "headers": headers,
        "scheme": "http",
        "path": path,
        "raw_path": raw_path,
        "query_string": query,
        "server": ("embedded", None),
        "client": ("127.0.0.1", 123),
        "root_path": "",
    }
    status: int | None = None
    answer_headers: list[tuple[bytes, bytes]] = []
    chunks: list[bytes] = []
    received = False
    complete = asyncio.Event()

    async def receive() -> Message:
        nonlocal received
        if received:
            await complete.wait()
            return {"type": "http.disconnect"}
        received = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status, answer_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            answer_headers = list(message.get("headers", ()))
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if chunk and method != "HEAD":
                chunks.append(chunk)
            if not message.get("more_body", False):
                complete.set()

    try:
        await app(scope, receive, send)
    except Exception:
        complete.set()
    return (500 if status is None else status), answer_headers, b"".join(chunks)


class DirectSender:
    """Sends a client's calls straight to the embedded server's app.

    Args:
        server: the embedded server (its app runs on its own loop).
        http: the client's httpx client, for its base path and default headers
            (``authorization`` when an auth string is set).
    """

    def __init__(self, server: EmbeddedServer, http: httpx.Client | httpx.AsyncClient) -> None:
        self.server = server
        self._http = http
        self._prefix = http.base_url.raw_path.decode().rstrip("/")
        self._host = http.base_url.netloc

    def _target(self, call: Call, content: bytes | None) -> Target:
        headers = [(b"host", self._host)]
        headers.extend(
            (key.lower(), value)
            for key, value in self._http.headers.raw
            if key.lower() not in _SKIPPED
        )
        if content is not None:
            headers.append((b"content-type", b"application/json"))
            headers.append((b"content-length", str(len(content)).encode()))
        if call.params or not _PLAIN_PATH.fullmatch(call.path):
            url = self._http.build_request(call.method, call.path, params=call.params).url
            return url.path, url.raw_path.split(b"?")[0], url.query, headers
        path = self._prefix + call.path
        return path, path.encode(), b"", headers

    def send(self, call: Call, content: bytes | None) -> httpx.Response:
        """Answer ``call`` (with its encoded body) from this thread."""
        target = self._target(call, content)
        answer = self.server.run(call_app(self.server.app, call.method, target, content or b""))
        return self._response(call, answer)

    async def send_async(self, call: Call, content: bytes | None) -> httpx.Response:
        """Answer ``call`` from any event loop."""
        target = self._target(call, content)
        answer = await self.server.run_async(
            call_app(self.server.app, call.method, target, content or b"")
        )
        return self._response(call, answer)

    def _response(self, call: Call, answer: Answer) -> httpx.Response:
        status, headers, content = answer
        response = _Response(status, headers=headers, content=content)
        response.call, response.http = call, self._http
        return response


class _Response(httpx.Response):
    """An answer whose ``request`` is built only if someone asks for it.

    Parsing the URL for an ``httpx.Request`` costs more than the rest of the response,
    and the client itself never looks at it.
    """

    call: Call
    http: httpx.Client | httpx.AsyncClient

    @property
    def request(self) -> httpx.Request:
        if self._request is None:
            call = self.call
            self._request = self.http.build_request(call.method, call.path, params=call.params)
        return self._request

    @request.setter
    def request(self, value: httpx.Request) -> None:
        self._request = value
