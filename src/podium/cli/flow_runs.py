"""``podium flow-run``: list, inspect and delete flow runs, and read their logs."""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Any
from uuid import UUID

import typer
from rich.table import Table

from podium.cli._output import (
    OUTPUT_OPTION_HELP,
    OutputFormat,
    console,
    err_console,
    exit_with_error,
    format_duration,
    format_time,
    print_json,
    print_table,
    state_text,
    to_jsonable,
)
from podium.client import SyncPodiumClient, get_client
from podium.exceptions import ObjectNotFound
from podium.schemas.core import FlowRun, Log, TaskRun
from podium.schemas.filters import (
    FilterIds,
    FilterNames,
    FilterOptionalIds,
    FilterState,
    FilterStateName,
    FilterStateType,
    FlowFilter,
    FlowRunFilter,
    LogFilter,
    Operator,
    TaskRunFilter,
)
from podium.schemas.responses import MAX_LIMIT, SetStateStatus
from podium.schemas.sorting import FlowRunSort, LogSort, TaskRunSort
from podium.schemas.states import StateCreate, StateType

app = typer.Typer(name="flow-run", no_args_is_help=True, add_completion=False)

STATE_NAMES = (
    "Scheduled Late AwaitingRetry AwaitingConcurrencySlot Pending Running Retrying Completed "
    "Cached RolledBack Failed Crashed Cancelled Cancelling Paused Suspended"
).split()
"""State names ``--state`` accepts, besides the state types."""

TASK_RUN_ROWS = 50
"""Task runs ``inspect`` lists one by one; beyond this it shows the counts only."""

ID_ARGUMENT = typer.Argument(..., metavar="ID", help="The flow run's id.", show_default=False)


@app.callback()
def flow_run() -> None:
    """Work with flow runs."""


def _key(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def state_filter(states: list[str], state_types: list[StateType]) -> FilterState | None:
    """A filter matching any of the given state types or names; exits on an unknown one."""
    types = list(state_types)
    names: list[str] = []
    by_key = {_key(name): name for name in STATE_NAMES}
    for value in states:
        if value.strip().upper() in StateType.__members__:
            types.append(StateType[value.strip().upper()])
        elif _key(value) in by_key:
            names.append(by_key[_key(value)])
        else:
            exit_with_error(
                f"Unknown state {value!r}. Use a state type "
                f"({', '.join(StateType.__members__)}) or a state name ({', '.join(STATE_NAMES)})."
            )
    if not types and not names:
        return None
    return FilterState(
        operator=Operator.or_,
        type=FilterStateType(any_=types) if types else None,
        name=FilterStateName(any_=names) if names else None,
    )


def read_run(client: SyncPodiumClient, flow_run_id: UUID) -> FlowRun:
    """The flow run; exits with an error naming the id if there is none."""
    try:
        return client.read_flow_run(flow_run_id)
    except ObjectNotFound:
        exit_with_error(f"Flow run {str(flow_run_id)!r} not found.")


def read_task_runs(client: SyncPodiumClient, flow_run_id: UUID) -> list[TaskRun]:
    """Every task run of a flow run, in the order they were expected to start."""
    task_filter = TaskRunFilter(flow_run_id=FilterOptionalIds(any_=[flow_run_id]))
    runs: list[TaskRun] = []
    while True:
        page = client.read_task_runs(
            task_run_filter=task_filter,
            sort=TaskRunSort.EXPECTED_START_TIME_ASC,
            limit=MAX_LIMIT,
            offset=len(runs),
        )
        runs.extend(page)
        if len(page) < MAX_LIMIT:
            return runs


def flow_names(client: SyncPodiumClient, runs: list[FlowRun]) -> dict[UUID, str]:
    ids = sorted({run.flow_id for run in runs}, key=str)
    if not ids:
        return {}
    flows = client.read_flows(flow_filter=FlowFilter(id=FilterIds(any_=ids)), limit=MAX_LIMIT)
    return {flow.id: flow.name for flow in flows}


@app.command("ls")
def ls(
    flow_name: list[str] | None = typer.Option(
        None, "--flow-name", help="Only runs of this flow (repeatable).", show_default=False
    ),
    state: list[str] | None = typer.Option(
        None,
        "--state",
        help="Only runs in this state: a type (COMPLETED, FAILED, ...) or a name "
        "(Late, AwaitingRetry, ...); repeatable.",
        show_default=False,
    ),
    state_type: list[StateType] | None = typer.Option(
        None,
        "--state-type",
        case_sensitive=False,
        help="Only runs whose state has this type (repeatable).",
        show_default=False,
    ),
    limit: int = typer.Option(15, min=1, max=MAX_LIMIT, help="Largest number of runs to list."),
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """List flow runs, the most recently expected to start first."""
    run_filter = FlowRunFilter(state=state_filter(state or [], state_type or []))
    flow_filter = FlowFilter(name=FilterNames(any_=flow_name)) if flow_name else None
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(
            flow_filter=flow_filter,
            flow_run_filter=run_filter,
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=limit,
        )
        names = flow_names(client, runs)
    if output == OutputFormat.json:
        print_json(runs)
        return
    if not runs:
        err_console.print("No flow runs found.")
        return
    table = Table(title="Flow runs")
    table.add_column("ID", no_wrap=True, style="cyan")
    table.add_column("Flow", style="bold", overflow="fold")
    table.add_column("Name", overflow="fold")
    table.add_column("State", no_wrap=True)
    table.add_column("When (UTC)")
    for run in runs:
        table.add_row(
            str(run.id),
            names.get(run.flow_id, str(run.flow_id)),
            run.name,
            state_text(run.state_type, run.state_name),
            format_time(run.start_time or run.expected_start_time),
        )
    print_table(table)


def task_run_summary(task_runs: list[TaskRun]) -> dict[str, Any]:
    """Counts by state name and a short record of each task run."""
    counts = Counter(run.state_name or str(run.state_type) for run in task_runs)
    return {
        "count": len(task_runs),
        "by_state": dict(sorted(counts.items())),
        "items": [
            {
                "id": str(run.id),
                "name": run.name,
                "task_key": run.task_key,
                "state_type": run.state_type,
                "state_name": run.state_name,
                "start_time": run.start_time,
                "end_time": run.end_time,
                "total_run_time": run.total_run_time.total_seconds(),
            }
            for run in task_runs
        ],
    }


def _details_table(run: FlowRun, flow_name: str) -> Table:
    message = f" ({run.state.message})" if run.state and run.state.message else ""
    rows: list[tuple[str, Any]] = [
        ("ID", str(run.id)),
        ("Name", run.name),
        ("Flow", f"{flow_name} ({run.flow_id})"),
        ("State", state_text(run.state_type, run.state_name).append(message)),
        ("Run count", str(run.run_count)),
        ("Parameters", json.dumps(to_jsonable(run.parameters), default=str)),
        ("Tags", ", ".join(run.tags) or "-"),
        ("Created", format_time(run.created)),
        ("Expected start", format_time(run.expected_start_time)),
        ("Start", format_time(run.start_time)),
        ("End", format_time(run.end_time)),
        ("Total run time", format_duration(run.total_run_time)),
    ]
    optional = {
        "Flow version": run.flow_version,
        "Deployment": run.deployment_id,
        "Work queue": run.work_queue_name,
        "Parent task run": run.parent_task_run_id,
        "Idempotency key": run.idempotency_key,
        "Infrastructure PID": run.infrastructure_pid,
    }
    rows.extend((key, str(value)) for key, value in optional.items() if value is not None)
    table = Table(title=f"Flow run {run.name}", show_header=False)
    table.add_column("Field", style="bold", no_wrap=True)
    table.add_column("Value")
    for key, value in rows:
        table.add_row(key, value)
    return table


@app.command()
def inspect(
    flow_run_id: UUID = ID_ARGUMENT,
    output: OutputFormat | None = typer.Option(None, "--output", "-o", help=OUTPUT_OPTION_HELP),
) -> None:
    """Show a flow run: its fields, its state history and a summary of its task runs."""
    with get_client(sync_client=True) as client:
        run = read_run(client, flow_run_id)
        history = sorted(client.read_flow_run_states(flow_run_id), key=lambda s: s.timestamp)
        task_runs = read_task_runs(client, flow_run_id)
        flow_name = flow_names(client, [run]).get(run.flow_id, "?")
    summary = task_run_summary(task_runs)
    if output == OutputFormat.json:
        data = to_jsonable(run)
        data.update(flow_name=flow_name, state_history=history, task_runs=summary)
        print_json(data)
        return
    print_table(_details_table(run, flow_name))

    states = Table(title="State history")
    for column in ("#", "Timestamp (UTC)", "State", "Message"):
        states.add_column(column, no_wrap=column != "Message")
    for number, item in enumerate(history, start=1):
        states.add_row(
            str(number),
            format_time(item.timestamp, precise=True),
            state_text(item.type, item.name),
            item.message or "",
        )
    print_table(states)

    counts = ", ".join(f"{count} {name}" for name, count in summary["by_state"].items())
    console.print(f"[bold]Task runs:[/bold] {len(task_runs)}" + (f" ({counts})" if counts else ""))
    if not task_runs:
        return
    tasks = Table()
    for column in ("Name", "State", "Start (UTC)", "Duration"):
        tasks.add_column(column, no_wrap=column != "Name")
    for task in task_runs[:TASK_RUN_ROWS]:
        tasks.add_row(
            task.name,
            state_text(task.state_type, task.state_name),
            format_time(task.start_time),
            format_duration(task.total_run_time),
        )
    print_table(tasks)
    if len(task_runs) > TASK_RUN_ROWS:
        console.print(f"... and {len(task_runs) - TASK_RUN_ROWS} more (see --output json).")


@app.command()
def delete(flow_run_id: UUID = ID_ARGUMENT) -> None:
    """Delete a flow run, with its states, task runs and logs."""
    with get_client(sync_client=True) as client:
        try:
            client.delete_flow_run(flow_run_id)
        except ObjectNotFound:
            exit_with_error(f"Flow run {str(flow_run_id)!r} not found.")
    console.print(f"Deleted flow run {str(flow_run_id)!r}.")


def read_logs(
    client: SyncPodiumClient, flow_run_id: UUID, head: int | None, tail: int | None
) -> list[Log]:
    """The run's logs (its task runs' included) in time order: all, the first or the last N."""
    log_filter = LogFilter(flow_run_id=FilterIds(any_=[flow_run_id]))
    wanted = head or tail
    sort = LogSort.TIMESTAMP_DESC if tail else LogSort.TIMESTAMP_ASC
    logs: list[Log] = []
    while wanted is None or len(logs) < wanted:
        size = MAX_LIMIT if wanted is None else min(MAX_LIMIT, wanted - len(logs))
        page = client.read_logs(log_filter=log_filter, limit=size, offset=len(logs), sort=sort)
        logs.extend(page)
        if len(page) < size:
            break
    return logs[::-1] if tail else logs


def format_log(log: Log) -> str:
    level = logging.getLevelName(log.level)
    return f"{format_time(log.timestamp, precise=True)} | {level:<8} | {log.name} - {log.message}"


@app.command()
def logs(
    flow_run_id: UUID = ID_ARGUMENT,
    head: int | None = typer.Option(
        None, "--head", min=1, help="Show only the first N lines.", show_default=False
    ),
    tail: int | None = typer.Option(
        None, "--tail", min=1, help="Show only the last N lines.", show_default=False
    ),
) -> None:
    """Print a flow run's logs, its task runs' included: time (UTC), level, logger, message."""
    if head is not None and tail is not None:
        exit_with_error("Use --head or --tail, not both.")
    with get_client(sync_client=True) as client:
        read_run(client, flow_run_id)
        lines = read_logs(client, flow_run_id, head, tail)
    if not lines:
        err_console.print(f"Flow run {str(flow_run_id)!r} has no logs.")
    for log in lines:
        typer.echo(format_log(log))


@app.command()
def cancel(flow_run_id: UUID = ID_ARGUMENT) -> None:
    """Cancel a flow run: a run not started yet ends Cancelled at once; a running one
    becomes Cancelling, and the worker or runner that owns its process ends it."""
    with get_client(sync_client=True) as client:
        run = read_run(client, flow_run_id)
        started = run.state_type in (StateType.PENDING, StateType.RUNNING)
        target = StateType.CANCELLING if started else StateType.CANCELLED
        result = client.set_flow_run_state(
            flow_run_id, StateCreate(type=target, message="Cancelled from the command line.")
        )
    if result.status != SetStateStatus.ACCEPT:
        reason = getattr(result.details, "reason", None) or result.status.value
        exit_with_error(f"Flow run {str(flow_run_id)!r} was not cancelled: {reason}")
    console.print(f"Flow run {str(flow_run_id)!r} is {target.value.title()}.")
