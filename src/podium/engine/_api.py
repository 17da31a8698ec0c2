"""The engine's API client: one sync client per process and API target, reused.

Building a client per flow run would cost milliseconds (and a new connection pool per
run). The engine asks :func:`engine_client` instead; it returns the same client while
the settings point at the same API (``PODIUM_API_URL``, or the embedded server of the
same ``PODIUM_HOME``), and builds a new one when they change or the embedded server was
shut down.
"""

from __future__ import annotations

import atexit
import threading

from podium.client import SyncPodiumClient, get_client
from podium.settings import Settings, get_settings

__all__ = ["api_target", "engine_client"]

_lock = threading.Lock()
_clients: dict[tuple[str | None, str], SyncPodiumClient] = {}


_last_target: tuple[Settings, tuple[str | None, str]] | None = None


def api_target() -> tuple[str | None, str]:
    """What identifies the API the settings point at.

    Asked for several times per flow run (client, reporter, log shipper); it is kept
    for as long as the settings object is the same.
    """
    global _last_target
    settings = get_settings()
    last = _last_target
    if last is not None and last[0] is settings:
        return last[1]
    target = (settings.api_url, settings.resolved_database_url)
    _last_target = (settings, target)
    return target


def _is_stale(client: SyncPodiumClient) -> bool:
    transport = getattr(client._http, "_transport", None)
    server = getattr(transport, "server", None)
    return bool(getattr(server, "closed", False))


def engine_client(target: tuple[str | None, str] | None = None) -> SyncPodiumClient:
    """The shared sync client for the API the settings point at."""
    key = target or api_target()
    client = _clients.get(key)
    if client is not None and not _is_stale(client):
        return client
    with _lock:
        client = _clients.get(key)
        if client is None or _is_stale(client):
            for old_key, old in list(_clients.items()):
                if _is_stale(old):
                    del _clients[old_key]
                    old.close()
            client = get_client(sync_client=True)
            _clients[key] = client
    return client


def close_clients() -> None:
    """Close every client the engine made (at interpreter exit)."""
    with _lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        try:
            client.close()
        except Exception:
            pass


atexit.register(close_clients)
