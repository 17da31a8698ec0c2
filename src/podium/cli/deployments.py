"""``podium deployment``: list, inspect, run, pause, resume and delete deployments."""

from __future__ import annotations

import json
import time
from typing import Any
from uuid import UUID

import typer
from rich.table import Table

from podium.cli._output import (
    OUTPUT_OPTION_HELP,
    OutputFormat,
    console,
    exit_with_error,
    format_time,
    print_json,
    print_table,
    state_text,
    to_jsonable,
)
from podium.client import SyncPodiumClient, get_client
from podium.exceptions import InvalidRequest, ObjectNotFound
from podium.schemas.deployments import Deployment
from podium.schemas.responses import MAX_LIMIT
from podium.schemas.states import TERMINAL_STATES

app = typer.Typer(name="deployment", no_args_is_help=True, add_completion=False)

NAME_ARGUMENT = typer.Argument(
    ..., metavar="NAME", help="'<flow name>/<deployment name>' or the deployment's id."
)


@app.callback()
def deployment() -> None:
    """Work with deployments."""


def read_deployment(client: SyncPodiumClient, name: str) -> Deployment:
    """The deployment by ``flow/name`` or id; exits with a message if there is none."""
    try:
        try:
            return client.read_deployment(UUID(name))
        except ValueError:
            pass
        if "/" not in name:
            exit_with_error(f"Deployment {name!r} not found: give '<flow name>/<deployment name>'.")
        return client.read_deployment_by_name(name)
    except ObjectNotFound:
        exit_with_error(f"Deployment {name!r} not found.")


def _flow_names(client: SyncPodiumClient, deployments: list[Deployment]) -> dict[UUID, str]:
    names: dict[UUID, str] = {}
    for flow_id in {d.flow_id for d in deployments}:
        try:
            names[flow_id] = client.read_flow(flow_id).name
        except ObjectNotFound:
            names[flow_id] = "?"
    return names


def _schedule_text(deployment: Deployment) -> str:
    parts = []
    for item in deployment.schedules:
        schedule = item.schedule
        text = (
            f"every {schedule.interval.total_seconds():g}s"
            if hasattr(schedule, "interval")
            else str(getattr(schedule, "cron", None) or getattr(schedule, "rrule", ""))
        )
        parts.append(text + ("" if item.active else " (inactive)"))
    return ", ".join(parts) or "-"


@app.command("ls")
def ls(
    limit: int = typer.Option(100, min=1, max=MAX_LIMIT, help="Largest number to list."),
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """List deployments by name."""
    with get_client(sync_client=True) as client:
        deployments = client.read_deployments(limit=limit)
        flows = _flow_names(client, deployments)
    if output == OutputFormat.json:
        print_json(deployments)
        return
    table = Table(title="Deployments")
    for column in ("Name", "ID", "Schedules", "Work pool", "Paused", "Status"):
        table.add_column(column, no_wrap=column not in ("Schedules",))
    for item in deployments:
        table.add_row(
            f"{flows[item.flow_id]}/{item.name}",
            str(item.id),
            _schedule_text(item),
            item.work_pool_name or "-",
            "yes" if item.paused else "no",
            item.status.value,
        )
    print_table(table)


@app.command()
def inspect(
    name: str = NAME_ARGUMENT,
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """Show every field of a deployment."""
    with get_client(sync_client=True) as client:
        found = read_deployment(client, name)
    if output == OutputFormat.json:
        print_json(found)
        return
    console.print_json(json.dumps(to_jsonable(found), default=str))


def parse_params(values: list[str], json_params: str | None) -> dict[str, Any]:
    """``--param k=v`` (``v`` read as JSON when it parses, else as a string) and
    ``--params '{...}'``."""
    params: dict[str, Any] = {}
    if json_params:
        try:
            loaded = json.loads(json_params)
        except json.JSONDecodeError as exc:
            exit_with_error(f"--params is not valid JSON: {exc}")
        if not isinstance(loaded, dict):
            exit_with_error("--params must be a JSON object.")
        params.update(loaded)
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            exit_with_error(f"--param {item!r}: expected KEY=VALUE.")
        try:
            params[key] = json.loads(raw)
        except json.JSONDecodeError:
            params[key] = raw
    return params


@app.command()
def run(
    name: str = NAME_ARGUMENT,
    param: list[str] = typer.Option(
        [], "--param", "-p", help="A parameter as KEY=VALUE (VALUE as JSON if it parses)."
    ),
    params: str | None = typer.Option(None, "--params", help="Parameters as a JSON object."),
    job_variable: list[str] = typer.Option(
        [], "--job-variable", "-jv", help="A job variable as KEY=VALUE (VALUE as JSON)."
    ),
    watch: bool = typer.Option(False, "--watch", help="Wait for the run to end; show its state."),
    watch_timeout: float | None = typer.Option(None, help="Stop watching after this many seconds."),
) -> None:
    """Create a run of a deployment (it starts when a worker or runner picks it up)."""
    parameters = parse_params(param, params)
    job_variables = parse_params(job_variable, None)
    with get_client(sync_client=True) as client:
        found = read_deployment(client, name)
        try:
            flow_run = client.create_flow_run_from_deployment(
                found.id, parameters=parameters, job_variables=job_variables or None
            )
        except InvalidRequest as exc:
            exit_with_error(f"Deployment {name!r} refused the run: {exc.detail}")
        console.print(f"Created flow run {flow_run.name!r} ({flow_run.id}) of {name!r}.")
        if not watch:
            return
        deadline = None if watch_timeout is None else time.monotonic() + watch_timeout
        seen = None
        while True:
            if flow_run.state_name != seen:
                seen = flow_run.state_name
                line = state_text(flow_run.state_type, flow_run.state_name)
                console.print(
                    f"{format_time(flow_run.state.timestamp if flow_run.state else None)} ", line
                )
            if flow_run.state_type in TERMINAL_STATES:
                break
            if deadline is not None and time.monotonic() > deadline:
                exit_with_error(f"Flow run {flow_run.id} has not ended after {watch_timeout:g}s.")
            time.sleep(0.5)
            flow_run = client.read_flow_run(flow_run.id)
    message = flow_run.state.message if flow_run.state else None
    console.print(
        f"Flow run {flow_run.name!r} ended {flow_run.state_name}"
        + (f": {message}" if message else ".")
    )
    if flow_run.state_type is None or flow_run.state_type.value != "COMPLETED":
        raise typer.Exit(1)


@app.command()
def pause(name: str = NAME_ARGUMENT) -> None:
    """Pause a deployment's schedules (its unstarted scheduled runs are removed)."""
    with get_client(sync_client=True) as client:
        found = read_deployment(client, name)
        client.pause_deployment(found.id)
    console.print(f"Paused deployment {name!r}.")


@app.command()
def resume(name: str = NAME_ARGUMENT) -> None:
    """Resume a paused deployment's schedules."""
    with get_client(sync_client=True) as client:
        found = read_deployment(client, name)
        client.resume_deployment(found.id)
    console.print(f"Resumed deployment {name!r}.")


@app.command()
def delete(name: str = NAME_ARGUMENT) -> None:
    """Delete a deployment and its runs that have not started."""
    with get_client(sync_client=True) as client:
        found = read_deployment(client, name)
        client.delete_deployment(found.id)
    console.print(f"Deleted deployment {name!r}.")
