"""Task-run records as the reporter sends them: plain dicts, ready for JSON.

Every task run gives the reporter at least two records: its creation (with its first
state) and its final state. Built as pydantic models and dumped again, those cost more
than the rest of the engine's work for a small task. Here they are plain dicts in the
shapes of :class:`~podium.schemas.actions.TaskRunCreate` and
:class:`~podium.schemas.actions.TaskRunStateProposal`, holding only the fields that
differ from the API's defaults: ``orjson`` encodes a whole batch in one call (UUIDs and
timestamps natively), and the API has less to parse and validate.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from podium.schemas.core import TaskRunInput
from podium.schemas.states import StateCreate

__all__ = [
    "Record",
    "creation",
    "policy_record",
    "proposal",
    "state_record",
    "timestamped",
]

Record = dict[str, Any]
"""One record in JSON form (UUID and datetime values are left for the encoder)."""


def timestamped(state_type: str, timestamp: dt.datetime) -> Record:
    """A state of a type with its default name and nothing else: the common case."""
    return {"type": state_type, "timestamp": timestamp}


def state_record(state: StateCreate) -> Record:
    """A proposed state in JSON form, without the fields left at their defaults."""
    return state.model_dump(mode="json", exclude_defaults=True)


def policy_record(policy: Any) -> Record:
    """A task's retry policy in JSON form (computed once per task, not per run)."""
    return dict(policy.model_dump(mode="json", exclude_defaults=True))


def creation(
    *,
    task_key: str,
    dynamic_key: str,
    id: UUID,
    name: str,
    flow_run_id: UUID | None,
    state: Record,
    tags: list[str],
    policy: Record,
    task_version: str | None = None,
    task_inputs: dict[str, list[TaskRunInput]] | None = None,
    cache_key: str | None = None,
    cache_expiration: dt.datetime | None = None,
    flow_run_run_count: int = 0,
) -> Record:
    """A task run's creation with its first state; fields at their defaults are left out."""
    record: Record = {
        "task_key": task_key,
        "dynamic_key": dynamic_key,
        "id": id,
        "name": name,
        "state": state,
    }
    if flow_run_id is not None:
        record["flow_run_id"] = flow_run_id
    if tags:
        record["tags"] = tags
    if policy:
        record["empirical_policy"] = policy
    if task_version is not None:
        record["task_version"] = task_version
    if task_inputs:
        record["task_inputs"] = {
            name: [_input(item) for item in items] for name, items in task_inputs.items()
        }
    if cache_key is not None:
        record["cache_key"] = cache_key
    if cache_expiration is not None:
        record["cache_expiration"] = cache_expiration
    if flow_run_run_count:
        record["flow_run_run_count"] = flow_run_run_count
    return record


def proposal(task_run_id: UUID, state: Record, force: bool = False) -> Record:
    """A state proposal for an existing task run."""
    if force:
        return {"task_run_id": task_run_id, "state": state, "force": True}
    return {"task_run_id": task_run_id, "state": state}


def _input(item: TaskRunInput | Record) -> Record:
    if isinstance(item, dict):
        return item
    out: Record = {"input_type": item.input_type}
    if item.id is not None:
        out["id"] = item.id
    if item.name is not None:
        out["name"] = item.name
    return out
