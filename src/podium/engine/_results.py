"""Where task and flow results go, and which cache policy a task uses."""

from __future__ import annotations

from typing import Any

from podium.cache_policies import DEFAULT, NO_CACHE, CacheKeyFnPolicy, CachePolicy
from podium.context import FlowRunContext
from podium.results import ResultStore
from podium.settings import get_settings

__all__ = ["cache_policy_of", "result_store_for"]


def result_store_for(
    options: Any, flow_ctx: FlowRunContext | None, storage: Any = None
) -> ResultStore:
    """The store for a task's results: its own options, else its flow's, else the defaults.

    Stores are cached on the task per ``PODIUM_HOME`` (the default storage lives there).
    """
    home = str(get_settings().home)
    cached = options._store_cache
    if cached is not None and cached[0] == home and storage is None:
        return cached[1]
    flow_store = flow_ctx.result_store if flow_ctx is not None else None
    location = storage or options.result_storage
    serializer = options.result_serializer
    if location is None and flow_store is not None:
        location = flow_store.result_storage
    if serializer is None and flow_store is not None:
        serializer = flow_store.serializer
    store = ResultStore(result_storage=location, serializer=serializer or "pickle")
    if storage is None:
        options._store_cache = (home, store)
    return store


def cache_policy_of(task: Any) -> CachePolicy | None:
    """The task's cache policy (``cache_key_fn`` wins); ``None`` for no caching."""
    if task.cache_key_fn is not None:
        return CacheKeyFnPolicy(cache_key_fn=task.cache_key_fn)
    policy = task.cache_policy
    if policy is None:
        return DEFAULT
    return None if policy is NO_CACHE or type(policy) is type(NO_CACHE) else policy
