"""The client: one interface, HTTP or embedded transport."""

from podium.client.orchestration import PodiumClient, SyncPodiumClient, get_client

__all__ = ["PodiumClient", "SyncPodiumClient", "get_client"]
