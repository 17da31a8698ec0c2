"""Many clients writing to one SQLite database at once: every write lands, none is "locked".

Two shapes of concurrency, both through the real app:

- one server process (uvicorn) and 32 clients talking HTTP to it at once;
- four OS processes, each with its own embedded server, on the same
  ``PODIUM_HOME`` (so the same SQLite file): writers in different processes
  must wait for each other (``BEGIN IMMEDIATE`` + ``busy_timeout``), not fail.

Client retries are off, so an error the server answers cannot be hidden by a
retry that happens to succeed.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests._servers import api_url, clean_env, free_port, start_http_server, stop

from podium.client import get_client
from podium.schemas.filters import FilterState, FilterStateType, FlowRunFilter
from podium.schemas.states import StateCreate, StateType
from podium.settings import clear_settings_cache

pytestmark = pytest.mark.e2e

CLIENTS = 32
RUNS_PER_CLIENT = 50
PROCESSES = 4
RUNS_PER_PROCESS = 100

COMPLETED = FlowRunFilter(state=FilterState(type=FilterStateType(any_=[StateType.COMPLETED])))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A real ``uvicorn`` process serving the app on a fresh SQLite ``PODIUM_HOME``."""
    home = tmp_path / "server-home"
    home.mkdir()
    port = free_port()
    log = tmp_path / "server.log"
    process = start_http_server(home, port, log=log, PODIUM_API_REQUEST_RETRIES="0")
    try:
        yield api_url(port), log
    finally:
        stop(process)


async def drive_runs(errors: list[str], client_no: int) -> int:
    """One client: create its runs and take each Pending -> Running -> Completed."""
    done = 0
    try:
        async with get_client() as client:
            flow_id = await client.create_flow_from_name("load-test")
            for i in range(RUNS_PER_CLIENT):
                run = await client.create_flow_run(flow_id=flow_id, name=f"c{client_no}-{i}")
                for type_ in (StateType.RUNNING, StateType.COMPLETED):
                    result = await client.set_flow_run_state(run.id, StateCreate(type=type_))
                    if result.status != "ACCEPT":
                        errors.append(f"{run.name} {type_}: {result.status} {result.details}")
                done += 1
    except Exception as exc:
        errors.append(f"client {client_no}: {exc!r}")
    return done


async def test_32_http_clients_against_one_sqlite_server(
    server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, log = server
    monkeypatch.setenv("PODIUM_API_URL", url)
    monkeypatch.setenv("PODIUM_API_REQUEST_RETRIES", "0")
    clear_settings_cache()
    errors: list[str] = []

    started = time.monotonic()
    done = await asyncio.gather(*(drive_runs(errors, n) for n in range(CLIENTS)))
    elapsed = time.monotonic() - started

    async with get_client() as client:
        completed = await client.count_flow_runs(flow_run_filter=COMPLETED)
        total = await client.count_flow_runs()
        flows = await client.count_flows()
    print(f"\n{CLIENTS * RUNS_PER_CLIENT} runs by {CLIENTS} HTTP clients in {elapsed:.1f} s")
    assert [e for e in errors if "locked" in e.lower()] == []
    assert errors == []
    assert sum(done) == CLIENTS * RUNS_PER_CLIENT
    assert completed == total == CLIENTS * RUNS_PER_CLIENT
    assert flows == 1
    server_log = log.read_text()
    assert "locked" not in server_log.lower()
    assert "Traceback" not in server_log


CHILD = textwrap.dedent(
    """
    import json, os, sys, time
    from pathlib import Path

    from podium.client import get_client
    from podium.schemas.states import StateCreate, StateType

    runs, ready, go = int(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    name = f"p{os.getpid()}"
    errors, done = [], 0
    try:
        with get_client(sync_client=True) as client:
            flow_id = client.create_flow_from_name("multi-process")
            ready.touch()
            deadline = time.monotonic() + 60
            while not go.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            for i in range(runs):
                run = client.create_flow_run(flow_id=flow_id, name=f"{name}-{i}")
                for type_ in (StateType.RUNNING, StateType.COMPLETED):
                    result = client.set_flow_run_state(run.id, StateCreate(type=type_))
                    if result.status != "ACCEPT":
                        errors.append(f"{run.name} {type_}: {result.status} {result.details}")
                done += 1
    except Exception as exc:
        errors.append(repr(exc))
    print(json.dumps({"done": done, "errors": errors}))
    """
)


def test_processes_with_embedded_servers_share_one_sqlite_file(
    tmp_path: Path, podium_home: Path
) -> None:
    go = tmp_path / "go"
    ready = [tmp_path / f"ready-{n}" for n in range(PROCESSES)]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, str(RUNS_PER_PROCESS), str(flag), str(go)],
            env=clean_env(podium_home, PODIUM_API_REQUEST_RETRIES="0"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for flag in ready
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(flag.exists() for flag in ready):
            exited = [c for c in children if c.poll() is not None]
            if exited or time.monotonic() > deadline:
                pytest.fail(
                    f"a process did not get ready: {exited[0].communicate() if exited else ''}"
                )
            time.sleep(0.02)
        started = time.monotonic()
        go.touch()
        outputs = [child.communicate(timeout=120) for child in children]
        elapsed = time.monotonic() - started
    finally:
        for child in children:
            stop(child)

    reports = []
    for (out, err), child in zip(outputs, children, strict=True):
        assert child.returncode == 0, err.decode()
        assert "locked" not in err.decode().lower()
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    print(f"\n{PROCESSES * RUNS_PER_PROCESS} runs by {PROCESSES} processes in {elapsed:.1f} s")
    errors = [e for r in reports for e in r["errors"]]
    assert [e for e in errors if "locked" in e.lower()] == []
    assert errors == []
    assert [r["done"] for r in reports] == [RUNS_PER_PROCESS] * PROCESSES
    with get_client(sync_client=True) as client:
        assert client.count_flow_runs(flow_run_filter=COMPLETED) == PROCESSES * RUNS_PER_PROCESS
        assert client.count_flow_runs() == PROCESSES * RUNS_PER_PROCESS
        assert client.count_flows() == 1
