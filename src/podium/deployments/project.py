"""``podium.yaml``: a project's deployments, registered by ``podium deploy``.

::

    deployments:
      - name: nightly
        entrypoint: flows/etl.py:etl        # relative to the file's folder
        description: Load yesterday's data
        version: "1.2"
        tags: [etl]
        parameters: {day: "yesterday"}
        schedules:
          - cron: "0 3 * * *"
            timezone: Europe/Berlin
          - interval: 3600                   # seconds
            active: false
        concurrency_limit: 1                 # or {limit: 1, collision_strategy: CANCEL_NEW}
        enforce_parameter_schema: true
        paused: false
        work_pool:
          name: local
          work_queue_name: default
          job_variables: {env: {LOG_LEVEL: DEBUG}}

Each deployment's flow is loaded from its entrypoint to derive the flow name and the
parameter schema. Mistakes are reported with the deployment and the key at fault.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from podium.deployments._runner_deployment import ConcurrencyLimitConfig, RunnerDeployment
from podium.deployments._schema import parameter_schema
from podium.runner._execute import load_flow_from_entrypoint
from podium.schedules import Schedule

__all__ = ["PROJECT_FILE", "ProjectError", "load_project", "project_deployments"]

PROJECT_FILE = "podium.yaml"

_KEYS = {
    "name",
    "entrypoint",
    "description",
    "version",
    "tags",
    "parameters",
    "schedules",
    "schedule",
    "concurrency_limit",
    "enforce_parameter_schema",
    "paused",
    "work_pool",
    "flow_name",
}
_POOL_KEYS = {"name", "work_queue_name", "job_variables"}


class ProjectError(ValueError):
    """The project file is missing or wrong; the message says where."""


def load_project(path: str | Path = PROJECT_FILE) -> list[dict[str, Any]]:
    """The ``deployments`` list of a project file, checked for unknown keys."""
    file = Path(path)
    if not file.is_file():
        raise ProjectError(f"No project file at {str(file)!r}; create a {PROJECT_FILE}.")
    try:
        data = yaml.safe_load(file.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ProjectError(f"{file} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("deployments", []), list):
        raise ProjectError(f"{file}: expected a mapping with a 'deployments' list.")
    entries = data.get("deployments") or []
    for index, entry in enumerate(entries):
        where = f"{file}: deployments[{index}]"
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ProjectError(f"{where}: each deployment needs a 'name'.")
        unknown = sorted(set(entry) - _KEYS)
        if unknown:
            raise ProjectError(f"{where} ({entry['name']}): unknown key(s) {', '.join(unknown)}.")
        pool = entry.get("work_pool") or {}
        if not isinstance(pool, dict) or set(pool) - _POOL_KEYS:
            raise ProjectError(
                f"{where} ({entry['name']}): work_pool takes {', '.join(sorted(_POOL_KEYS))}."
            )
    return entries


def project_deployments(
    path: str | Path = PROJECT_FILE, names: Iterable[str] | None = None
) -> list[RunnerDeployment]:
    """The project's deployments (all, or those named ``name`` or ``flow/name``)."""
    file = Path(path).resolve()
    entries = load_project(file)
    wanted = list(names or ())
    for name in wanted:
        if not any(_matches(entry, name) for entry in entries):
            known = ", ".join(e["name"] for e in entries) or "none"
            raise ProjectError(f"No deployment named {name!r} in {file} (it has: {known}).")
    chosen = [e for e in entries if not wanted or any(_matches(e, w) for w in wanted)]
    return [_deployment(entry, file.parent) for entry in chosen]


def _matches(entry: dict[str, Any], name: str) -> bool:
    return name == entry["name"] or name.endswith("/" + entry["name"])


def _deployment(entry: dict[str, Any], root: Path) -> RunnerDeployment:
    name = entry["name"]
    entrypoint = entry.get("entrypoint")
    if not entrypoint:
        raise ProjectError(f"Deployment {name!r}: 'entrypoint' is required (file.py:flow).")
    where, _, attribute = str(entrypoint).rpartition(":")
    if where.endswith(".py") and not os.path.isabs(where):
        where = str((root / where).resolve())
    try:
        flow = load_flow_from_entrypoint(f"{where}:{attribute}")
    except Exception as exc:
        raise ProjectError(f"Deployment {name!r}: cannot load {entrypoint!r}: {exc}") from exc
    pool = entry.get("work_pool") or {}
    try:
        schedules = [Schedule(**s) for s in entry.get("schedules") or []]
    except (TypeError, ValidationError) as exc:
        raise ProjectError(f"Deployment {name!r}: invalid schedule: {exc}") from exc
    limit = entry.get("concurrency_limit")
    if isinstance(limit, dict):
        limit = ConcurrencyLimitConfig(**limit)
    return RunnerDeployment(
        name=name,
        flow_name=flow.name,
        entrypoint=str(entrypoint),
        flow=flow,
        description=entry.get("description") or flow.description,
        version=None if entry.get("version") is None else str(entry["version"]),
        tags=list(entry.get("tags") or []),
        schedules=schedules,
        paused=entry.get("paused"),
        parameters=dict(entry.get("parameters") or {}),
        parameter_openapi_schema=parameter_schema(flow.fn, flow._self_name),
        enforce_parameter_schema=bool(entry.get("enforce_parameter_schema", True)),
        concurrency_limit=limit,
        work_pool_name=pool.get("name"),
        work_queue_name=pool.get("work_queue_name"),
        job_variables=dict(pool.get("job_variables") or {}),
        path=str(root),
    )
