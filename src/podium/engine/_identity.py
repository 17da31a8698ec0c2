"""Call-site identity of task and subflow calls.

A call is identified by its parent run, its call site (module, function, line) and its
occurrence there, never by a counter shared by the whole run. For subflows the
parameters are part of the identity too: the key is a hash of

    parent flow run id | flow name | module | qualname | line | hash(parameters) | n

where ``n`` counts earlier calls in this attempt of the parent with the same site and
the same parameters. Calls made concurrently (threads, ``asyncio.gather``) with
different parameters therefore get different keys whatever order they run in, and a
retry of the parent recomputes the same keys, which is how a retried parent finds the
child runs of its earlier attempt (see ``docs/sdk.md``). Parameters that cannot be
hashed give no key: such a subflow always runs again rather than risk taking another
call's result.
"""

from __future__ import annotations

import hashlib
from types import FrameType
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from podium.cache_policies import hash_objects
from podium.context import FlowRunContext
from podium.engine._common import new_id
from podium.exceptions import HashError

__all__ = ["mapped_call_identities", "subflow_key", "subflow_task_run_id", "task_call_identity"]


def task_call_identity(
    task_key: str, flow_ctx: FlowRunContext | None, frame: FrameType
) -> tuple[str, int]:
    """The dynamic key of a task call and its index among this task's calls in the run."""
    code = frame.f_code
    if flow_ctx is None:
        # The id's last digits: its random part (the first ones are the time).
        return f"{code.co_qualname}:{frame.f_lineno}#{new_id().hex[-12:]}", 0
    lineno = frame.f_lineno
    occurrence, index = flow_ctx.next_occurrences((task_key, code, lineno), task_key)
    return f"{code.co_qualname}:{lineno}#{occurrence}", index


def mapped_call_identities(
    task_key: str, flow_ctx: FlowRunContext, frame: FrameType, calls: int
) -> list[tuple[str, int]]:
    """:func:`task_call_identity` of ``calls`` calls from one site, counted at once."""
    code = frame.f_code
    lineno = frame.f_lineno
    occurrence, index = flow_ctx.next_occurrences((task_key, code, lineno), task_key, calls)
    site = f"{code.co_qualname}:{lineno}#"
    return [(f"{site}{occurrence + i}", index + i) for i in range(calls)]


def subflow_key(
    parent: FlowRunContext, flow_name: str, frame: FrameType, parameters: dict[str, Any]
) -> str | None:
    """The identity key of a subflow call, or ``None`` if its parameters cannot be hashed."""
    try:
        params_hash = hash_objects(parameters)
    except (HashError, ValueError, TypeError, RecursionError):
        return None
    code = frame.f_code
    module = frame.f_globals.get("__name__", code.co_filename)
    site = (module, code.co_qualname, frame.f_lineno)
    occurrence = parent.next_occurrence(("subflow", flow_name, site, params_hash))
    raw = "|".join(
        [str(parent.flow_run.id), flow_name, *map(str, site), params_hash, str(occurrence)]
    )
    return "subflow:" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def subflow_task_run_id(key: str | None) -> UUID:
    """The id of the task run that stands for a subflow call in its parent."""
    return uuid5(NAMESPACE_URL, key) if key else new_id()
