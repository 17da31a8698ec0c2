"""The client: one interface, HTTP or embedded transport."""

from podium import _httpx_cli

# Before httpx is first imported: its command-line client loads on first use only
# (start-up time; see podium._httpx_cli).
_httpx_cli.defer()

from podium.client._base import is_transient  # noqa: E402
from podium.client.orchestration import PodiumClient, SyncPodiumClient, get_client  # noqa: E402

__all__ = ["PodiumClient", "SyncPodiumClient", "get_client", "is_transient"]
