"""Deployments and workers: Podium vs Prefect 3.

Two figures:

* **pickup**: seconds from ``POST /deployments/{id}/create_flow_run`` (a run
  scheduled for now) until the run is Running, on an idle process worker
  (``<cli> worker start --pool bench``), each server started fresh with its
  defaults. The run's flow does nothing; each sample waits for the run to end
  and one more idle second before the next.
* **scheduler pass** (Podium only): one pass of the scheduler service over
  1,000 deployments with an hourly interval schedule, cold (no runs yet: it
  creates them) and warm (all there: it checks).

Run: ``.venv/bin/python bench/deployments.py [--samples N] [--only podium]``
(Prefect from ``$PREFECT_VENV``, default ``$HOME/.cache/podium-bench/prefect-venv``;
see bench/README.md). Every process it starts is stopped by its process group.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from api_server import ServerProcess, clean_env, free_port, make_server, wait_healthy
from sqlalchemy import delete, update

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


def bench_scheduler(count: int) -> dict[str, Any]:
    """One scheduler pass over ``count`` hourly deployments, in this process (Podium)."""
    home = Path(tempfile.mkdtemp(prefix="bench-scheduler-"))
    settings = Settings(home=home, services_enabled=False)

    async def run() -> dict[str, Any]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://b/api") as http:
                flow_id = (await http.post("/flows/", json={"name": "f"})).json()["id"]
                schedule = {"schedule": {"interval": 3600}}
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
            return {
                "deployments": count,
                "cold_seconds": cold,
                "runs_created": created,
                "warm_seconds": warm,
                "warm_created": again,
            }

    return asyncio.run(run())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10)
    parser.add_argument("--run-timeout", type=float, default=120.0)
    parser.add_argument("--deployments", type=int, default=1000)
    parser.add_argument("--only", choices=["podium", "prefect"])
    parser.add_argument("--prefect-venv", default=str(DEFAULT_PREFECT_VENV))
    parser.add_argument("--podium-bin", default=str(ROOT / ".venv" / "bin" / "podium"))
    parser.add_argument("--output", default=str(ROOT / "bench" / "results" / "deployments.json"))
    args = parser.parse_args(argv)

    results: dict[str, Any] = {}
    for name in ("podium", "prefect"):
        if args.only and args.only != name:
            continue
        with contextlib.suppress(KeyboardInterrupt):
            results[f"pickup_{name}"] = bench_pickup(name, args)
            r = results[f"pickup_{name}"]
            print(
                f"{name:8} pickup: median {r['median']:.3f}s  p90 {r['p90']:.3f}s  "
                f"max {r['max']:.3f}s"
            )
    if args.only != "prefect":
        results["scheduler_podium"] = s = bench_scheduler(args.deployments)
        print(
            f"podium   scheduler pass over {s['deployments']} deployments: cold "
            f"{s['cold_seconds']:.2f}s ({s['runs_created']} runs), warm {s['warm_seconds']:.3f}s"
        )
    if "pickup_podium" in results and "pickup_prefect" in results:
        ratio = results["pickup_prefect"]["median"] / results["pickup_podium"]["median"]
        print(f"pickup median: Podium is {ratio:.1f}x faster than Prefect")
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
