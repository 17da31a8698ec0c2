"""Deployments and workers: Podium vs Prefect 3.

Two figures:

* **pickup**: seconds from ``POST /deployments/{id}/create_flow_run`` (a run
  scheduled for now) until the run is Running, on an idle process worker
  (``<cli> worker start --pool bench``), each server started fresh with its
  defaults. The run's flow does nothing; each sample waits for the run to end
  and one more idle second before the next.
* **scheduler pass**: one pass of each framework's own scheduler service
  function over 1,000 deployments with one hourly interval schedule each, on a
  fresh SQLite home per framework, both set to keep the same number of runs
  ahead per schedule (100 by default): cold (no runs yet: it creates them) and
  warm (all there: nothing to create). Podium runs in this process; Prefect in
  its own virtualenv's interpreter, from ``PREFECT_SCHEDULER_SCRIPT``.

Run: ``.venv/bin/python bench/deployments.py [--samples N] [--only podium]``
(Prefect from ``$PREFECT_VENV``, default ``$HOME/.cache/podium-bench/prefect-venv``;
see bench/README.md). Every process it starts is stopped by its process group.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from api_server import ServerProcess, clean_env, free_port, make_server, wait_healthy
from sqlalchemy import delete, func, select, update

from podium.server.app import create_app
from podium.server.database import orm
from podium.server.services import Scheduler
from podium.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PREFECT_VENV = Path.home() / ".cache" / "podium-bench" / "prefect-venv"

FLOW_SOURCE = """
from {package} import flow


@flow
def noop() -> int:
    return 1
"""


def _cli(name: str, args: argparse.Namespace) -> Path:
    if name == "prefect":
        return Path(args.prefect_venv) / "bin" / "prefect"
    return Path(args.podium_bin)


def _env(name: str, home: Path, api_url: str) -> dict[str, str]:
    env = clean_env()
    prefix = "PREFECT" if name == "prefect" else "PODIUM"
    env[f"{prefix}_HOME"] = str(home)
    env[f"{prefix}_API_URL"] = api_url
    return env


def _started_worker(name: str, args: argparse.Namespace, home: Path, env: dict[str, str]) -> Any:
    argv = [str(_cli(name, args)), "worker", "start", "--pool", "bench", "--type", "process"]
    worker = ServerProcess(f"{name}-worker", argv, env, home)
    worker.log_path = home / "worker.log"
    worker.start()
    return worker


def bench_pickup(name: str, args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"bench-deploy-{name}-"))
    (home / "server").mkdir()
    port = free_port()
    server = make_server(name, args, home / "server", port)
    worker: Any = None
    try:
        server.start()
        wait_healthy(server, f"http://127.0.0.1:{port}", 120)
        api = f"http://127.0.0.1:{port}/api"
        env = _env(name, home / "client", api)
        flows = home / "flows"
        flows.mkdir()
        (flows / "bench_flow.py").write_text(FLOW_SOURCE.format(package=name))
        subprocess.run(
            [str(_cli(name, args)), "work-pool", "create", "bench", "--type", "process"],
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        with httpx.Client(base_url=api, timeout=30) as http:
            flow_id = http.post("/flows/", json={"name": "noop"}).json()["id"]
            body = {
                "name": "bench",
                "flow_id": flow_id,
                "work_pool_name": "bench",
                "entrypoint": "bench_flow.py:noop",
                "path": str(flows),
                "parameter_openapi_schema": {"type": "object", "properties": {}},
                "pull_steps": [
                    {"prefect.deployments.steps.set_working_directory": {"directory": str(flows)}}
                ],
            }
            answer = http.post("/deployments/", json=body)
            answer.raise_for_status()
            deployment_id = answer.json()["id"]
            worker = _started_worker(name, args, home, env)
            deadline = time.monotonic() + 120
            while not http.post("/work_pools/bench/workers/filter", json={}).json():
                if time.monotonic() > deadline or not worker.alive():
                    raise RuntimeError(f"{name} worker did not start:\n{worker.log_tail()}")
                time.sleep(0.1)
            time.sleep(2.0)
            samples = [
                _one_pickup(http, deployment_id, args.run_timeout) for _ in range(args.samples)
            ]
        return {
            "samples": samples,
            "median": statistics.median(samples),
            "p90": sorted(samples)[max(int(len(samples) * 0.9) - 1, 0)],
            "max": max(samples),
        }
    finally:
        if worker is not None:
            worker.stop()
        server.stop()


def _one_pickup(http: httpx.Client, deployment_id: str, timeout: float) -> float:
    started = time.perf_counter()
    run = http.post(f"/deployments/{deployment_id}/create_flow_run", json={})
    run.raise_for_status()
    run_id = run.json()["id"]
    running_at = None
    deadline = time.monotonic() + timeout
    while True:
        state = http.get(f"/flow_runs/{run_id}").json().get("state_type")
        if running_at is None and state in ("RUNNING", "COMPLETED", "FAILED", "CRASHED"):
            running_at = time.perf_counter()
        if state in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"run {run_id} did not finish in {timeout}s (state {state})")
        time.sleep(0.005)
    time.sleep(1.0)
    assert running_at is not None
    return running_at - started


# How far ahead both schedulers create runs: N runs per schedule, within
# MAX_DAYS days (N <= MAX_DAYS * 86400 / interval, so N is what decides).
MAX_DAYS = 100


def podium_scheduler_settings(home: Path, runs: int) -> Settings:
    """Podium's defaults, with the horizon written out: ``runs`` per schedule."""
    return Settings(
        home=home,
        services_enabled=False,
        scheduler_max_runs=runs,
        scheduler_min_runs=min(3, runs),
        scheduler_max_scheduled_time=float(MAX_DAYS),
    )


def prefect_scheduler_env(home: Path, runs: int) -> dict[str, str]:
    """Prefect's scheduler settings giving ``runs`` per schedule.

    Prefect stops generating a schedule's dates as soon as it has both
    MIN_RUNS runs and runs reaching MIN_SCHEDULED_TIME ahead (defaults 3 and
    one hour, so 3 runs of an hourly schedule), and never goes past MAX_RUNS
    (100) or MAX_SCHEDULED_TIME (100 days). MIN_RUNS = MAX_RUNS = ``runs``
    makes it create exactly ``runs``, as Podium does; MIN_SCHEDULED_TIME keeps
    its default, so the warm pass selects no deployment (each has ``runs``
    runs reaching more than an hour ahead).
    """
    env = clean_env()
    env.update(
        PREFECT_HOME=str(home),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_SERVICES_SCHEDULER_MIN_RUNS=str(runs),
        PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS=str(runs),
        PREFECT_SERVER_SERVICES_SCHEDULER_MIN_SCHEDULED_TIME="PT1H",
        PREFECT_SERVER_SERVICES_SCHEDULER_MAX_SCHEDULED_TIME=f"P{MAX_DAYS}D",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    return env


def _pass_figures(
    count: int, cold: float, created: int, warm: float, again: int, per_deployment: list[int]
) -> dict[str, Any]:
    return {
        "deployments": count,
        "cold_seconds": cold,
        "runs_created": created,
        "runs_per_second": created / cold if cold > 0 else None,
        "runs_per_deployment_min": min(per_deployment, default=0),
        "runs_per_deployment_max": max(per_deployment, default=0),
        "warm_seconds": warm,
        "warm_created": again,
    }


def bench_scheduler(count: int, runs: int = 100, interval: float = 3600.0) -> dict[str, Any]:
    """One scheduler pass over ``count`` interval deployments, in this process (Podium)."""
    home = Path(tempfile.mkdtemp(prefix="bench-scheduler-podium-"))
    settings = podium_scheduler_settings(home, runs)

    async def run() -> dict[str, Any]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b/api") as http:
                flow_id = (await http.post("/flows/", json={"name": "f"})).json()["id"]
                schedule = {"schedule": {"interval": interval}}
                for i in range(count):
                    body = {"name": f"d{i}", "flow_id": flow_id, "paused": True}
                    body["schedules"] = [schedule]
                    (await http.post("/deployments/", json=body)).raise_for_status()
            db = app.state.db

            def _unpause(session: Any) -> None:
                session.execute(update(orm.Deployment).values(paused=False))
                session.execute(delete(orm.FlowRun))

            await db.write(_unpause)
            scheduler = Scheduler(db, settings)
            started = time.perf_counter()
            created = await scheduler.run_once()
            cold = time.perf_counter() - started
            started = time.perf_counter()
            again = await scheduler.run_once()
            warm = time.perf_counter() - started

            def _per_deployment(session: Any) -> list[int]:
                query = (
                    select(func.count())
                    .select_from(orm.FlowRun)
                    .group_by(orm.FlowRun.deployment_id)
                )
                return list(session.execute(query).scalars())

            per_deployment = await db.read(_per_deployment)
            return _pass_figures(count, cold, created, warm, again, per_deployment)

    try:
        return asyncio.run(run())
    finally:
        shutil.rmtree(home, ignore_errors=True)


# Run by Prefect's interpreter: argv = deployments, interval seconds; prints
# one JSON line. Deployments are created through Prefect's server models on
# its own database session (no server process, no services running), then
# its scheduler service function runs twice, timed alone.
PREFECT_SCHEDULER_SCRIPT = r"""
import asyncio
import datetime
import json
import sys
import time

import sqlalchemy as sa
from prefect.server import models, schemas
from prefect.server.database import provide_database_interface
from prefect.server.services.scheduler import schedule_deployments


async def main(count, interval):
    db = provide_database_interface()
    await db.create_db()
    every = datetime.timedelta(seconds=interval)
    async with db.session_context(begin_transaction=True) as session:
        flow = await models.flows.create_flow(session=session, flow=schemas.core.Flow(name="f"))
        for i in range(count):
            schedule = schemas.core.DeploymentSchedule(
                schedule=schemas.schedules.IntervalSchedule(interval=every)
            )
            deployment = schemas.core.Deployment(
                name=f"d{i}", flow_id=flow.id, paused=False, schedules=[schedule]
            )
            await models.deployments.create_deployment(session=session, deployment=deployment)
    async with db.session_context(begin_transaction=True) as session:
        await session.execute(sa.delete(db.FlowRun))

    async def per_deployment():
        async with db.session_context() as session:
            query = sa.select(sa.func.count()).select_from(db.FlowRun).group_by(
                db.FlowRun.deployment_id
            )
            return list((await session.execute(query)).scalars())

    started = time.perf_counter()
    await schedule_deployments()
    cold = time.perf_counter() - started
    after_cold = await per_deployment()
    started = time.perf_counter()
    await schedule_deployments()
    warm = time.perf_counter() - started
    after_warm = await per_deployment()
    print(json.dumps({
        "cold_seconds": cold,
        "runs_created": sum(after_cold),
        "warm_seconds": warm,
        "warm_created": sum(after_warm) - sum(after_cold),
        "per_deployment": after_cold,
    }))


asyncio.run(main(int(sys.argv[1]), float(sys.argv[2])))
"""


def bench_scheduler_prefect(
    count: int, runs: int, interval: float, prefect_venv: Path, timeout: float
) -> dict[str, Any]:
    """The same pass with Prefect, in its own interpreter and a fresh home."""
    home = Path(tempfile.mkdtemp(prefix="bench-scheduler-prefect-"))
    script = home / "prefect_scheduler_pass.py"
    script.write_text(PREFECT_SCHEDULER_SCRIPT)
    argv = [str(prefect_venv / "bin" / "python"), str(script), str(count), str(interval)]
    proc = subprocess.Popen(
        argv,
        env=prefect_scheduler_env(home, runs),
        cwd=home,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise RuntimeError(f"prefect scheduler pass exceeded {timeout}s") from exc
    finally:
        _stop_group(proc)
        shutil.rmtree(home, ignore_errors=True)
    if proc.returncode != 0:
        tail = err.decode(errors="replace")[-3000:]
        raise RuntimeError(f"prefect scheduler script failed ({proc.returncode}):\n{tail}")
    data = json.loads(out.decode().strip().splitlines()[-1])
    return _pass_figures(
        count,
        data["cold_seconds"],
        data["runs_created"],
        data["warm_seconds"],
        data["warm_created"],
        data["per_deployment"],
    )


def _stop_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL, the process group this benchmark started."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5.0)


TARGET_RATIO = 1 / 3


def print_scheduler(results: dict[str, Any], runs: int, interval: float) -> dict[str, Any] | None:
    """Print the scheduler table; the ratio figures when both sides ran."""
    sides: list[tuple[str, dict[str, Any]]] = []
    for name in ("podium", "prefect"):
        figures = results.get(f"scheduler_{name}")
        if figures and "error" not in figures:
            sides.append((name, figures))
    if not sides:
        return None
    count = sides[0][1]["deployments"]
    print(
        f"\nscheduler pass: {count} deployments x 1 interval schedule ({interval:g} s), "
        f"{runs} runs per schedule"
    )
    print(
        f"{'':8} {'cold s':>8} {'runs':>8} {'runs/s':>9} {'per dep':>9} "
        f"{'warm s':>8} {'warm runs':>9}"
    )
    for name, r in sides:
        per = f"{r['runs_per_deployment_min']}-{r['runs_per_deployment_max']}"
        print(
            f"{name:8} {r['cold_seconds']:8.2f} {r['runs_created']:8d} "
            f"{r['runs_per_second'] or 0:9.0f} {per:>9} {r['warm_seconds']:8.3f} "
            f"{r['warm_created']:9d}"
        )
    if len(sides) == 2:
        podium, prefect = sides[0][1], sides[1][1]
        ratio = podium["cold_seconds"] / prefect["cold_seconds"]
        ok = ratio <= TARGET_RATIO and podium["runs_created"] == prefect["runs_created"]
        figures = {
            "cold_podium_over_prefect": ratio,
            "warm_podium_over_prefect": podium["warm_seconds"] / prefect["warm_seconds"],
            "target": TARGET_RATIO,
            "met": ok,
        }
        print(
            f"cold pass time Podium/Prefect: {ratio:.3f} (target <= {TARGET_RATIO:.3f}): "
            f"{'met' if ok else 'NOT met'}"
            + ("" if podium["runs_created"] == prefect["runs_created"] else " (run counts differ)")
        )
        return figures
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--run-timeout", type=float, default=120.0)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--runs-per-deployment", type=int, default=100)
    parser.add_argument("--interval", type=float, default=3600.0)
    parser.add_argument("--scheduler-timeout", type=float, default=900.0)
    parser.add_argument("--skip-pickup", action="store_true")
    parser.add_argument("--skip-scheduler", action="store_true")
    parser.add_argument("--only", choices=["podium", "prefect"])
    parser.add_argument("--prefect-venv", default=str(DEFAULT_PREFECT_VENV))
    parser.add_argument("--podium-bin", default=str(ROOT / ".venv" / "bin" / "podium"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "deployments.json"))
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    for name in ("podium", "prefect"):
        if (args.only and args.only != name) or args.skip_pickup:
            continue
        with contextlib.suppress(KeyboardInterrupt):
            results[f"pickup_{name}"] = bench_pickup(name, args)
            r = results[f"pickup_{name}"]
            print(
                f"{name:8} pickup: median {r['median']:.3f}s  p90 {r['p90']:.3f}s  "
                f"max {r['max']:.3f}s"
            )
    failed = False
    if not args.skip_scheduler:
        n, runs, every = args.deployments, args.runs_per_deployment, args.interval
        for name in ("podium", "prefect"):
            if args.only and args.only != name:
                continue
            try:
                if name == "podium":
                    results["scheduler_podium"] = bench_scheduler(n, runs, every)
                else:
                    venv = Path(args.prefect_venv)
                    timeout = args.scheduler_timeout
                    results["scheduler_prefect"] = bench_scheduler_prefect(
                        n, runs, every, venv, timeout
                    )
            except RuntimeError as exc:
                failed = True
                results[f"scheduler_{name}"] = {"error": str(exc)}
                print(f"{name} scheduler pass failed: {exc}", file=sys.stderr)
        ratio = print_scheduler(results, runs, every)
        if ratio is not None:
            results["scheduler_ratio"] = ratio
    if "pickup_podium" in results and "pickup_prefect" in results:
        ratio = results["pickup_prefect"]["median"] / results["pickup_podium"]["median"]
        print(f"pickup median: Podium is {ratio:.1f}x faster than Prefect")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
