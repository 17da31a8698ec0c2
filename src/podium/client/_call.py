"""What a client method asks of the API: one request, before it is sent.

Its own module so that both the client body (``_base``) and the embedded
server's sender (``_asgi``) can import it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Call"]


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] | None = None
