"""Basic authentication: with an auth string set, every route but health needs it."""

from __future__ import annotations

import base64
import hmac

from starlette.types import ASGIApp, Receive, Scope, Send

OPEN_PATHS = frozenset({"/api/health"})


def authorization_header(auth_string: str) -> str:
    """The ``Authorization`` value a client sends for ``user:password``."""
    return "Basic " + base64.b64encode(auth_string.encode()).decode()


class BasicAuthMiddleware:
    """Answers 401 unless the request carries the configured credentials."""

    def __init__(self, app: ASGIApp, auth_string: str) -> None:
        self.app = app
        self.expected = authorization_header(auth_string).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if hmac.compare_digest(given, self.expected):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 4401})
            return
        body = (
            b'{"detail":"Unauthorized: this server requires credentials; set '
            b"PODIUM_API_AUTH_STRING to the server's user:password.\"}"
        )
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Basic realm="podium"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
