"""RunnerDeployment: a deployment described in Python, ready to be sent to the API.

``flow.to_deployment(...)`` builds one; ``serve(...)`` registers it and runs its runs in
this process's runner; ``deploy(...)`` (or ``flow.deploy``) registers it for a work pool,
whose workers run its runs. Either way the flow is found again, in another process, by
its ``entrypoint``: ``path/to/file.py:flow_name``, derived from the flow's source file.
"""

from __future__ import annotations

import datetime as dt
import inspect
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from podium.client import SyncPodiumClient, get_client
from podium.deployments._schema import parameter_schema
from podium.schedules import Schedule, construct_schedule
from podium.schemas.core import ConcurrencyLimitStrategy, ConcurrencyOptions

__all__ = ["ConcurrencyLimitConfig", "RunnerDeployment", "flow_entrypoint", "schedules_from"]


@dataclass(frozen=True)
class ConcurrencyLimitConfig:
    """A deployment's concurrency limit and what happens to a run beyond it.

    ``collision_strategy``: ``"ENQUEUE"`` (the run waits for a slot) or ``"CANCEL_NEW"``
    (the run is cancelled).
    """

    limit: int
    collision_strategy: ConcurrencyLimitStrategy | str = ConcurrencyLimitStrategy.ENQUEUE


def flow_entrypoint(flow: Any) -> str:
    """``path/to/file.py:name`` for a flow defined at the top level of a file.

    The path is relative to the working directory when the file is under it.

    Raises:
        ValueError: the flow has no source file (e.g. defined in a REPL).
    """
    fn = flow.fn
    try:
        source = inspect.getsourcefile(fn)
    except TypeError:
        source = None
    if source is None or not Path(source).is_file():
        raise ValueError(
            f"Flow {flow.name!r} has no source file, so other processes cannot load it; "
            "define it in a .py file, or pass entrypoint='path/to/file.py:flow_name'."
        )
    path = Path(source).resolve()
    try:
        shown = str(path.relative_to(Path.cwd()))
    except ValueError:
        shown = str(path)
    return f"{shown}:{_attribute_name(flow)}"


def _attribute_name(flow: Any) -> str:
    """The module attribute holding the flow (usually the function's name)."""
    module = sys.modules.get(getattr(flow.fn, "__module__", "") or "")
    name: str = flow.fn.__name__
    if module is not None and getattr(module, name, None) is not flow:
        for attribute, value in vars(module).items():
            if value is flow:
                return attribute
    return name


def schedules_from(
    interval: Any = None,
    cron: Any = None,
    rrule: Any = None,
    schedules: list[Any] | None = None,
    schedule: Any = None,
    timezone: str | None = None,
    anchor_date: dt.datetime | None = None,
) -> list[Any]:
    """The schedules given as ``interval=``/``cron=``/``rrule=`` (each one or a list),
    ``schedule=`` or ``schedules=``: only one kind of argument at a time."""
    given = [v for v in (interval, cron, rrule, schedule, schedules) if v is not None]
    if len(given) > 1:
        raise ValueError(
            "Give schedules as one of interval, cron, rrule, schedule or schedules; not two."
        )
    if schedules is not None:
        return list(schedules)
    if schedule is not None:
        return [schedule]
    out: list[Any] = []
    for kind, value in (("interval", interval), ("cron", cron), ("rrule", rrule)):
        if value is None:
            continue
        for one in value if isinstance(value, list | tuple) else [value]:
            if kind == "interval":
                built = construct_schedule(interval=one, anchor_date=anchor_date, timezone=timezone)
            else:
                built = construct_schedule(**{kind: one}, timezone=timezone)
            out.append(Schedule.model_validate({"schedule": built}))
    return out


@dataclass
class RunnerDeployment:
    """A deployment of a flow, before it is registered (see :meth:`apply`).

    Attributes mirror the API's deployment fields; ``flow`` is kept for ``serve``.
    """

    name: str
    flow_name: str
    entrypoint: str | None = None
    flow: Any = None
    description: str | None = None
    version: str | None = None
    tags: list[str] = field(default_factory=list)
    schedules: list[Any] = field(default_factory=list)
    paused: bool | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    parameter_openapi_schema: dict[str, Any] | None = None
    enforce_parameter_schema: bool = True
    concurrency_limit: int | ConcurrencyLimitConfig | None = None
    work_pool_name: str | None = None
    work_queue_name: str | None = None
    job_variables: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    @classmethod
    def from_flow(
        cls,
        flow: Any,
        name: str | None = None,
        *,
        interval: Any = None,
        cron: Any = None,
        rrule: Any = None,
        schedule: Any = None,
        schedules: list[Any] | None = None,
        paused: bool | None = None,
        parameters: dict[str, Any] | None = None,
        description: str | None = None,
        tags: list[str] | None = None,
        version: str | None = None,
        enforce_parameter_schema: bool = True,
        concurrency_limit: int | ConcurrencyLimitConfig | None = None,
        work_pool_name: str | None = None,
        work_queue_name: str | None = None,
        job_variables: dict[str, Any] | None = None,
        entrypoint: str | None = None,
    ) -> RunnerDeployment:
        """The deployment of ``flow`` (what ``flow.to_deployment`` returns)."""
        return cls(
            name=name or flow.name,
            flow_name=flow.name,
            entrypoint=entrypoint or flow_entrypoint(flow),
            flow=flow,
            description=description or flow.description,
            version=version or flow.version,
            tags=list(tags or []),
            schedules=schedules_from(interval, cron, rrule, schedules, schedule),
            paused=paused,
            parameters=dict(parameters or {}),
            parameter_openapi_schema=parameter_schema(flow.fn, flow._self_name),
            enforce_parameter_schema=enforce_parameter_schema,
            concurrency_limit=concurrency_limit,
            work_pool_name=work_pool_name,
            work_queue_name=work_queue_name,
            job_variables=dict(job_variables or {}),
            path=os.getcwd(),
        )

    @property
    def full_name(self) -> str:
        return f"{self.flow_name}/{self.name}"

    def _concurrency(self) -> tuple[int | None, ConcurrencyOptions | None]:
        limit = self.concurrency_limit
        if isinstance(limit, ConcurrencyLimitConfig):
            strategy = ConcurrencyLimitStrategy(limit.collision_strategy)
            return limit.limit, ConcurrencyOptions(collision_strategy=strategy)
        return limit, None

    def apply(
        self, work_pool_name: str | None = None, client: SyncPodiumClient | None = None
    ) -> UUID:
        """Create or update the deployment through the API; its id.

        Raises:
            InvalidRequest: the API refused it (the message names the problem, e.g. a
                default parameter of the wrong type or an unknown job variable).
            ObjectNotFound: its work pool does not exist.
        """
        if client is None:
            with get_client(sync_client=True) as own:
                return self.apply(work_pool_name, client=own)
        flow_id = client.create_flow_from_name(self.flow_name)
        limit, options = self._concurrency()
        return client.create_deployment(
            flow_id,
            self.name,
            version=self.version,
            schedules=self.schedules,
            concurrency_limit=limit,
            concurrency_options=options,
            parameters=self.parameters,
            description=self.description,
            work_queue_name=self.work_queue_name,
            work_pool_name=work_pool_name or self.work_pool_name,
            tags=self.tags,
            path=self.path,
            entrypoint=self.entrypoint,
            parameter_openapi_schema=self.parameter_openapi_schema,
            paused=self.paused,
            enforce_parameter_schema=self.enforce_parameter_schema,
            job_variables=self.job_variables,
        )
