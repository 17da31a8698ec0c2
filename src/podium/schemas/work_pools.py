"""Work pools, their queues and the workers that poll them.

A pool's ``base_job_template`` is ``{"job_configuration": {...}, "variables":
<JSON schema>}``: the schema's ``properties`` name the job variables a
deployment or a run may set, with their types and defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any
from uuid import UUID

from pydantic import Field

from podium.schemas._base import ActionModel, ObjectModel, PodiumModel, UtcDateTime
from podium.schemas.actions import NAME_PATTERN
from podium.schemas.core import FlowRun
from podium.schemas.filters import WorkerFilter, WorkPoolFilter, WorkQueueFilter
from podium.schemas.responses import DEFAULT_LIMIT, MAX_LIMIT

MAX_WAIT_SECONDS = 30.0


class WorkPoolStatus(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkQueueStatus(StrEnum):
    READY = "READY"
    NOT_READY = "NOT_READY"
    PAUSED = "PAUSED"


class WorkerStatus(StrEnum):
    ONLINE = "ONLINE"
    OFFLINE = "OFFLINE"


# --- pools ----------------------------------------------------------------------


class WorkPool(ObjectModel):
    name: str
    description: str | None = None
    type: str
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: int | None = None
    status: WorkPoolStatus | None = None
    default_queue_id: UUID | None = None


class WorkPoolCreate(ActionModel):
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    description: str | None = None
    type: str = "process"
    base_job_template: dict[str, Any] = Field(default_factory=dict)
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)


class WorkPoolUpdate(ActionModel):
    description: str | None = None
    is_paused: bool | None = None
    base_job_template: dict[str, Any] | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)


class WorkPoolReadRequest(ActionModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)
    work_pools: WorkPoolFilter | None = None


class WorkPoolCountRequest(ActionModel):
    work_pools: WorkPoolFilter | None = None


# --- queues ---------------------------------------------------------------------


class WorkQueue(ObjectModel):
    name: str
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = None
    priority: int = 1
    work_pool_id: UUID
    work_pool_name: str | None = None
    last_polled: UtcDateTime | None = None
    status: WorkQueueStatus | None = None


class WorkQueueCreate(ActionModel):
    name: str = Field(min_length=1, max_length=200, pattern=NAME_PATTERN)
    description: str | None = None
    is_paused: bool = False
    concurrency_limit: int | None = Field(default=None, ge=0)
    priority: int | None = Field(
        default=None, ge=1, description="1 is polled first; defaults to after the last queue."
    )
    work_pool_name: str | None = Field(
        default=None, description="Only for ``POST /work_queues/``; defaults to 'default'."
    )


class WorkQueueUpdate(ActionModel):
    name: str | None = Field(default=None, min_length=1, max_length=200, pattern=NAME_PATTERN)
    description: str | None = None
    is_paused: bool | None = None
    concurrency_limit: int | None = Field(default=None, ge=0)
    priority: int | None = Field(default=None, ge=1)


class WorkQueueReadRequest(ActionModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)
    work_queues: WorkQueueFilter | None = None


# --- workers --------------------------------------------------------------------


class Worker(ObjectModel):
    name: str
    work_pool_id: UUID
    last_heartbeat_time: UtcDateTime | None = None
    heartbeat_interval_seconds: int | None = None
    status: WorkerStatus = WorkerStatus.OFFLINE


class WorkerHeartbeat(ActionModel):
    """Body of ``POST /work_pools/{name}/workers/heartbeat``."""

    name: str = Field(min_length=1)
    heartbeat_interval_seconds: int | None = Field(default=None, gt=0)


class WorkerReadRequest(ActionModel):
    limit: int = Field(default=DEFAULT_LIMIT, ge=0, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)
    workers: WorkerFilter | None = None


# --- polling for work -----------------------------------------------------------


class WorkerScheduledRunsRequest(ActionModel):
    """Body of ``POST /work_pools/{name}/get_scheduled_flow_runs``.

    With ``wait_seconds``, an empty answer is held back until a run becomes
    due or the wait is over (long polling): an idle worker hears of a run
    created for now within about a second.
    """

    work_queue_names: list[str] | None = None
    scheduled_before: UtcDateTime | None = None
    scheduled_after: UtcDateTime | None = None
    limit: int | None = Field(default=None, ge=0, le=MAX_LIMIT)
    wait_seconds: float = Field(default=0.0, ge=0.0, le=MAX_WAIT_SECONDS)


class WorkerFlowRunResponse(PodiumModel):
    work_pool_id: UUID
    work_queue_id: UUID
    flow_run: FlowRun


# --- base job templates: pure helpers shared by the server and the workers ---


def variables_schema(base_job_template: Mapping[str, Any] | None) -> dict[str, Any]:
    """The JSON schema of a pool's job variables (``{}`` for an empty template)."""
    schema = (base_job_template or {}).get("variables") or {}
    return dict(schema) if isinstance(schema, Mapping) else {}


def template_defaults(base_job_template: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``default`` of every variable the template's schema declares one for."""
    properties = variables_schema(base_job_template).get("properties") or {}
    return {
        name: spec["default"]
        for name, spec in properties.items()
        if isinstance(spec, Mapping) and "default" in spec
    }


def merge_job_variables(
    base_job_template: Mapping[str, Any] | None, *layers: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Template defaults overlaid by each layer in turn (deployment, then run)."""
    merged = template_defaults(base_job_template)
    for layer in layers:
        merged.update(layer or {})
    return merged
