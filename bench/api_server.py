#!/usr/bin/env python
"""Side-by-side benchmark of the Podium API server against Prefect 3's.

One run starts each server in turn as a subprocess on 127.0.0.1 (a free port,
a fresh temporary SQLite home), measures it, stops it, and prints a table
comparing the two. Results also go to bench/results/api_server.json.

Figures per server:

* startup: seconds from process start until ``GET /api/health`` answers 200, in a
  fresh home; the median of ``--startups`` starts (the last one is the server
  measured below).
* sequential: one client creating ``--runs`` flow runs, each driven
  PENDING -> RUNNING -> COMPLETED (create + 2 state sets = one run); runs/s.
* concurrent: ``--clients`` clients at once, each doing ``--runs`` runs;
  runs/s over all of them together.
* reads: one client repeating ``POST /api/flow_runs/filter`` (limit 200,
  COMPLETED runs) for ``--read-seconds``; requests/s.
* rss: resident memory of the server's whole process tree, after startup and
  after the workloads.

Errors are counted, never retried: any exception, non-2xx answer, or a state
set whose answer is not ``"status": "ACCEPT"``.

Only the processes this script starts are stopped, by their process group,
whatever happens.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
DEFAULT_PREFECT_VENV = Path.home() / ".cache" / "podium-bench" / "prefect-venv"
DEFAULT_PODIUM_BIN = REPO_DIR / ".venv" / "bin" / "podium"

READ_BODY = {"limit": 200, "flow_runs": {"state": {"type": {"any_": ["COMPLETED"]}}}}
REQUEST_TIMEOUT = 30.0
MAX_ERROR_SAMPLES = 10

# Targets from the issue. For ratio targets the ratio is Podium / Prefect.
TARGET_THROUGHPUT_RATIO = 10.0
TARGET_MEMORY_RATIO = 0.5
TARGET_STARTUP_SECONDS = 1.0


# --------------------------------------------------------------------------
# process handling


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                stat = fh.read()
        except OSError:
            continue
        # the command name may contain spaces and parentheses: split after it
        fields = stat[stat.rfind(")") + 2 :].split()
        ppid = int(fields[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its live descendants."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        if not os.path.exists(f"/proc/{current}"):
            continue
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mib(pid: int) -> tuple[float, int]:
    pids = process_tree(pid)
    return sum(rss_kib(p) for p in pids) / 1024.0, len(pids)


class ServerProcess:
    """A server started in its own process group; ``stop`` ends that group."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], home: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.home = home
        self.log_path = home / "server.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.started_at = time.perf_counter()
            self.proc = subprocess.Popen(
                self.argv,
                env=self.env,
                cwd=self.home,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.proc is None:
            return
        pid = self.proc.pid
        # Descendants that left the group are still ours: note them first.
        extra = [p for p in process_tree(pid) if p != pid]
        for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
            for child in extra:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(child, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.proc.poll() is not None and not any(
                    os.path.exists(f"/proc/{c}") and not _is_zombie(c) for c in extra
                ):
                    break
                time.sleep(0.05)
            else:
                continue
            break
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=5)
        self.proc = None


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
        return stat[stat.rfind(")") + 2] == "Z"
    except OSError:
        return True


# --------------------------------------------------------------------------
# workloads


@dataclass
class Counter:
    ok_runs: int = 0
    requests: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)  # per whole run, seconds
    samples: list[dict[str, Any]] = field(default_factory=list)

    def error(self, what: str, detail: Any) -> None:
        self.errors += 1
        if len(self.samples) < MAX_ERROR_SAMPLES:
            self.samples.append({"request": what, "detail": detail})


def _check(resp: httpx.Response, what: str, counter: Counter, want_accept: bool) -> Any:
    counter.requests += 1
    if not 200 <= resp.status_code < 300:
        counter.error(what, {"status_code": resp.status_code, "body": resp.text[:500]})
        return None
    try:
        body = resp.json()
    except ValueError:
        counter.error(what, {"status_code": resp.status_code, "body": resp.text[:500]})
        return None
    if want_accept and (not isinstance(body, dict) or body.get("status") != "ACCEPT"):
        counter.error(what, {"status_code": resp.status_code, "body": resp.text[:500]})
        return None
    return body


def create_flow(base_url: str, name: str) -> str:
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        resp = client.post("/api/flows/", json={"name": name})
        resp.raise_for_status()
        return resp.json()["id"]


def one_run_sync(client: httpx.Client, flow_id: str, counter: Counter) -> None:
    t0 = time.perf_counter()
    try:
        resp = client.post(
            "/api/flow_runs/", json={"flow_id": flow_id, "state": {"type": "PENDING"}}
        )
        body = _check(resp, "POST /api/flow_runs/", counter, want_accept=False)
        if body is None:
            return
        run_id = body["id"]
        for state in ("RUNNING", "COMPLETED"):
            resp = client.post(
                f"/api/flow_runs/{run_id}/set_state", json={"state": {"type": state}}
            )
            if _check(resp, f"set_state {state}", counter, want_accept=True) is None:
                return
    except Exception as exc:  # counted, not retried
        counter.error("run", repr(exc))
        return
    counter.ok_runs += 1
    counter.latencies.append(time.perf_counter() - t0)


async def one_run_async(client: httpx.AsyncClient, flow_id: str, counter: Counter) -> None:
    t0 = time.perf_counter()
    try:
        resp = await client.post(
            "/api/flow_runs/", json={"flow_id": flow_id, "state": {"type": "PENDING"}}
        )
        body = _check(resp, "POST /api/flow_runs/", counter, want_accept=False)
        if body is None:
            return
        run_id = body["id"]
        for state in ("RUNNING", "COMPLETED"):
            resp = await client.post(
                f"/api/flow_runs/{run_id}/set_state", json={"state": {"type": state}}
            )
            if _check(resp, f"set_state {state}", counter, want_accept=True) is None:
                return
    except Exception as exc:  # counted, not retried
        counter.error("run", repr(exc))
        return
    counter.ok_runs += 1
    counter.latencies.append(time.perf_counter() - t0)


def _summary(counter: Counter, elapsed: float, cpu: float, unit_count: int) -> dict[str, Any]:
    lat = sorted(counter.latencies)

    def pct(p: float) -> float | None:
        if not lat:
            return None
        return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 2)

    return {
        "ok": unit_count,
        "requests": counter.requests,
        "errors": counter.errors,
        "elapsed_s": round(elapsed, 3),
        "per_second": round(unit_count / elapsed, 2) if elapsed > 0 else 0.0,
        "latency_ms": {
            "p50": pct(0.50),
            "p90": pct(0.90),
            "p99": pct(0.99),
            "mean": round(statistics.fmean(lat) * 1000, 2) if lat else None,
        },
        # share of one core the benchmark client itself used: near 100% means
        # the client, not the server, may be the limit
        "client_cpu_pct": round(100 * cpu / elapsed, 1) if elapsed > 0 else 0.0,
        "error_samples": counter.samples,
    }


def workload_sequential(base_url: str, flow_id: str, runs: int) -> dict[str, Any]:
    counter = Counter()
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        one_run_sync(client, flow_id, Counter())  # warm the connection, not counted
        cpu0, t0 = time.process_time(), time.perf_counter()
        for _ in range(runs):
            one_run_sync(client, flow_id, counter)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    return _summary(counter, elapsed, cpu, counter.ok_runs)


def workload_concurrent(base_url: str, flow_id: str, runs: int, clients: int) -> dict[str, Any]:
    counter = Counter()

    async def worker(client: httpx.AsyncClient) -> None:
        for _ in range(runs):
            await one_run_async(client, flow_id, counter)

    async def main() -> tuple[float, float]:
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with contextlib.AsyncExitStack() as stack:
            pool = [
                await stack.enter_async_context(
                    httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT, limits=limits)
                )
                for _ in range(clients)
            ]
            await asyncio.gather(*(one_run_async(c, flow_id, Counter()) for c in pool))
            cpu0, t0 = time.process_time(), time.perf_counter()
            await asyncio.gather(*(worker(c) for c in pool))
            return time.perf_counter() - t0, time.process_time() - cpu0

    elapsed, cpu = asyncio.run(main())
    result = _summary(counter, elapsed, cpu, counter.ok_runs)
    result["clients"] = clients
    result["attempted_runs"] = runs * clients
    return result


def workload_reads(base_url: str, seconds: float, max_requests: int) -> dict[str, Any]:
    counter = Counter()
    rows: list[int] = []
    ok = 0
    with httpx.Client(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        client.post("/api/flow_runs/filter", json=READ_BODY)  # warm-up, not counted
        cpu0, t0 = time.process_time(), time.perf_counter()
        deadline = t0 + seconds
        while time.perf_counter() < deadline and counter.requests < max_requests:
            r0 = time.perf_counter()
            try:
                resp = client.post("/api/flow_runs/filter", json=READ_BODY)
            except Exception as exc:
                counter.requests += 1
                counter.error("POST /api/flow_runs/filter", repr(exc))
                continue
            body = _check(resp, "POST /api/flow_runs/filter", counter, want_accept=False)
            if body is None:
                continue
            if not isinstance(body, list):
                counter.error("POST /api/flow_runs/filter", {"body": resp.text[:500]})
                continue
            ok += 1
            rows.append(len(body))
            counter.latencies.append(time.perf_counter() - r0)
        elapsed, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    result = _summary(counter, elapsed, cpu, ok)
    result["rows_per_response"] = {
        "min": min(rows) if rows else None,
        "max": max(rows) if rows else None,
    }
    return result


# --------------------------------------------------------------------------
# one server


def wait_healthy(server: ServerProcess, base_url: str, timeout: float) -> float:
    deadline = server.started_at + timeout
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while True:
            if not server.alive():
                raise RuntimeError(
                    f"{server.name} server exited with code {server.proc.returncode}"
                    f" before answering /api/health:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if client.get("/api/health").status_code == 200:
                    return time.perf_counter() - server.started_at
            if time.perf_counter() > deadline:
                raise RuntimeError(
                    f"{server.name} server did not answer /api/health within {timeout}s:\n"
                    f"{server.log_tail()}"
                )
            time.sleep(0.01)


def clean_env() -> dict[str, str]:
    # As on a user's machine: no stray settings, and bytecode caches are written (a
    # PYTHONDONTWRITEBYTECODE left in the environment would make every start of an
    # editable install compile its changed modules again).
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "PODIUM_"))
        and k not in {"PYTHONPATH", "PYTHONDONTWRITEBYTECODE"}
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def make_server(name: str, args: argparse.Namespace, home: Path, port: int) -> ServerProcess:
    env = clean_env()
    if name == "prefect":
        exe = Path(args.prefect_venv) / "bin" / "prefect"
        env.update(
            PREFECT_HOME=str(home),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_UI_ENABLED="false",
            PREFECT_SERVER_UI_ENABLED="false",
        )
    else:
        exe = Path(args.podium_bin)
        env.update(PODIUM_HOME=str(home))
    if not exe.exists():
        raise RuntimeError(f"{name}: {exe} not found")
    argv = [str(exe), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    return ServerProcess(name, argv, env, home)


def time_startup(name: str, args: argparse.Namespace) -> float:
    """Start a server in a fresh home, time its first healthy answer, stop it."""
    home = Path(tempfile.mkdtemp(prefix=f"bench-{name}-start-"))
    port = free_port()
    server = make_server(name, args, home, port)
    try:
        server.start()
        startup = wait_healthy(server, f"http://127.0.0.1:{port}", args.startup_timeout)
        print(f"[{name}] start-up sample: healthy after {startup:.3f}s", flush=True)
        return startup
    finally:
        server.stop()
        shutil.rmtree(home, ignore_errors=True)


def bench_one(name: str, args: argparse.Namespace) -> dict[str, Any]:
    home = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    server = make_server(name, args, home, port)
    result: dict[str, Any] = {"command": " ".join(server.argv), "home": str(home)}
    try:
        samples = [time_startup(name, args) for _ in range(args.startups - 1)]
        print(f"[{name}] starting: {result['command']}", flush=True)
        server.start()
        samples.append(wait_healthy(server, base_url, args.startup_timeout))
        print(f"[{name}] healthy after {samples[-1]:.3f}s", flush=True)
        result["startup_s"] = round(statistics.median(samples), 3)
        result["startup_samples_s"] = [round(s, 3) for s in samples]
        time.sleep(1.0)  # let post-start work settle before measuring idle memory
        rss, nproc = tree_rss_mib(server.proc.pid)
        result["rss_idle_mib"] = round(rss, 1)

        tag = uuid.uuid4().hex[:8]
        flow_id = create_flow(base_url, f"bench-sequential-{tag}")
        print(f"[{name}] sequential: {args.runs} runs", flush=True)
        result["sequential"] = workload_sequential(base_url, flow_id, args.runs)
        print(f"[{name}]   {_brief(result['sequential'], 'runs/s')}", flush=True)

        flow_id = create_flow(base_url, f"bench-concurrent-{tag}")
        print(f"[{name}] concurrent: {args.clients} clients x {args.runs} runs", flush=True)
        result["concurrent"] = workload_concurrent(base_url, flow_id, args.runs, args.clients)
        print(f"[{name}]   {_brief(result['concurrent'], 'runs/s')}", flush=True)

        print(f"[{name}] reads: filter for {args.read_seconds}s", flush=True)
        result["reads"] = workload_reads(base_url, args.read_seconds, args.max_reads)
        print(f"[{name}]   {_brief(result['reads'], 'req/s')}", flush=True)

        if not server.alive():
            raise RuntimeError(f"{name} server died during the run:\n{server.log_tail()}")
        rss, nproc = tree_rss_mib(server.proc.pid)
        result["rss_mib"] = round(rss, 1)
        result["processes"] = nproc
        print(f"[{name}] rss {rss:.1f} MiB over {nproc} process(es)", flush=True)
    except Exception as exc:
        result["error"] = str(exc)
        print(f"[{name}] FAILED: {exc}", file=sys.stderr, flush=True)
    finally:
        server.stop()
        if args.keep_homes:
            result["log"] = str(server.log_path)
        else:
            if "error" in result:
                result["log_tail"] = server.log_tail(80)
            shutil.rmtree(home, ignore_errors=True)
    return result


def _brief(r: dict[str, Any], unit: str) -> str:
    return (
        f"{r['per_second']} {unit}, {r['errors']} errors, p50 {r['latency_ms']['p50']} ms, "
        f"client cpu {r['client_cpu_pct']}%"
    )


# --------------------------------------------------------------------------
# report

# key, label, extractor, better ("higher"/"lower"), target description
METRICS = [
    ("startup_s", "startup to /api/health 200 (s)", lambda r: r.get("startup_s"), "lower"),
    ("sequential", "1 client runs/s", lambda r: _get(r, "sequential", "per_second"), "higher"),
    ("concurrent", "8 clients runs/s", lambda r: _get(r, "concurrent", "per_second"), "higher"),
    ("reads", "filter reads req/s", lambda r: _get(r, "reads", "per_second"), "higher"),
    ("rss_mib", "RSS after run (MiB)", lambda r: r.get("rss_mib"), "lower"),
    ("rss_idle_mib", "RSS idle after start (MiB)", lambda r: r.get("rss_idle_mib"), "lower"),
    ("errors_sequential", "errors 1 client", lambda r: _get(r, "sequential", "errors"), "lower"),
    ("errors_concurrent", "errors 8 clients", lambda r: _get(r, "concurrent", "errors"), "lower"),
    ("errors_reads", "errors reads", lambda r: _get(r, "reads", "errors"), "lower"),
]


def _get(r: dict[str, Any], section: str, key: str) -> Any:
    sec = r.get(section)
    return sec.get(key) if isinstance(sec, dict) else None


def evaluate_target(key: str, podium: Any, ratio: float | None) -> tuple[str, bool | None]:
    if key in ("sequential", "concurrent", "reads"):
        met = None if ratio is None else ratio >= TARGET_THROUGHPUT_RATIO
        return f">= {TARGET_THROUGHPUT_RATIO:g}x", met
    if key == "rss_mib":
        met = None if ratio is None else ratio <= TARGET_MEMORY_RATIO
        return f"<= {TARGET_MEMORY_RATIO:g}x", met
    if key == "startup_s":
        met = None if podium is None else podium <= TARGET_STARTUP_SECONDS
        return f"Podium <= {TARGET_STARTUP_SECONDS:g} s", met
    if key == "errors_concurrent":
        met = None if podium is None else podium == 0
        return "Podium == 0", met
    return "", None


def build_rows(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    pod, pre = results.get("podium", {}), results.get("prefect", {})
    for key, label, get, better in METRICS:
        a, b = get(pod), get(pre)
        ratio = None
        numeric = isinstance(a, (int, float)) and isinstance(b, (int, float))
        if numeric and b and not key.startswith("errors"):
            ratio = a / b
        target, met = evaluate_target(key, a, ratio)
        rows.append(
            {
                "metric": key,
                "label": label,
                "podium": a,
                "prefect": b,
                "ratio": None if ratio is None else round(ratio, 3),
                "better": better,
                "target": target,
                "met": met,
            }
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    def fmt(v: Any) -> str:
        if v is None:
            return "-"
        if isinstance(v, float):
            return f"{v:,.3f}" if abs(v) < 10 else f"{v:,.1f}"
        return str(v)

    header = ["metric", "Podium", "Prefect", "Podium/Prefect", "better", "target", "met"]
    table = [header]
    for r in rows:
        met = "" if r["met"] is None else ("yes" if r["met"] else "NO")
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}x"
        table.append(
            [
                r["label"],
                fmt(r["podium"]),
                fmt(r["prefect"]),
                ratio,
                f"{r['better']} is better",
                r["target"],
                met,
            ]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        cells = [
            c.ljust(w) if i in (0, 4, 5) else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=300, help="runs per client (default 300)")
    p.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    p.add_argument("--read-seconds", type=float, default=10.0, help="duration of the read workload")
    p.add_argument("--max-reads", type=int, default=100_000, help="cap on read requests")
    p.add_argument("--only", choices=["podium", "prefect"], help="benchmark one server only")
    p.add_argument(
        "--prefect-venv",
        default=os.environ.get("PREFECT_VENV", str(DEFAULT_PREFECT_VENV)),
        help="virtualenv made by bench/setup_prefect.sh",
    )
    p.add_argument("--podium-bin", default=str(DEFAULT_PODIUM_BIN))
    p.add_argument("--startup-timeout", type=float, default=120.0)
    p.add_argument(
        "--startups",
        type=int,
        default=3,
        help="starts timed per server, each in a fresh home; the median is reported",
    )
    p.add_argument("--keep-homes", action="store_true", help="keep temp homes and logs")
    p.add_argument(
        "--output", default=str(BENCH_DIR / "results" / "api_server.json"), help="JSON output"
    )
    return p.parse_args(argv)


def _versions(args: argparse.Namespace) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for name, python, dist in (
        ("prefect", Path(args.prefect_venv) / "bin" / "python", "prefect"),
        ("podium", Path(args.podium_bin).parent / "python", "podium"),
    ):
        try:
            out[name] = subprocess.run(
                [str(python), "-c", f"import importlib.metadata as m; print(m.version({dist!r}))"],
                capture_output=True,
                text=True,
                timeout=30,
                check=True,
            ).stdout.strip()
        except Exception:
            out[name] = None
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sides = [args.only] if args.only else ["podium", "prefect"]

    # SIGTERM/SIGHUP become exceptions so that the finally blocks stop servers.
    def _raise(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)
    # a background job may inherit SIGINT ignored: make Ctrl-C / kill -INT work
    signal.signal(signal.SIGINT, signal.default_int_handler)

    results: dict[str, dict[str, Any]] = {}
    for side in sides:
        results[side] = bench_one(side, args)

    rows = build_rows(results)
    print()
    print(
        f"API server benchmark: {args.runs} runs per client, {args.clients} concurrent clients, "
        f"reads for {args.read_seconds:g}s"
    )
    print("ratio = Podium / Prefect; throughput: higher is better; time, memory: lower is better")
    print()
    print_table(rows)
    for side, res in results.items():
        if "error" in res:
            print(f"\n{side} FAILED: {res['error']}")
        for section in ("sequential", "concurrent", "reads"):
            samples = (res.get(section) or {}).get("error_samples") or []
            if samples:
                print(f"\n{side} {section} error samples:")
                for s in samples[:3]:
                    print(f"  {s}")

    report = {
        "benchmark": "api_server",
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "config": {
            "runs_per_client": args.runs,
            "clients": args.clients,
            "read_seconds": args.read_seconds,
            "read_body": READ_BODY,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "versions": _versions(args),
        "targets": {
            "throughput_ratio_min": TARGET_THROUGHPUT_RATIO,
            "memory_ratio_max": TARGET_MEMORY_RATIO,
            "podium_startup_s_max": TARGET_STARTUP_SECONDS,
            "podium_errors_concurrent": 0,
        },
        "results": results,
        "table": rows,
    }
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nresults written to {out}")
    return 1 if any("error" in r for r in results.values()) else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt as exc:
        print(f"interrupted ({exc or 'SIGINT'}); servers stopped", file=sys.stderr)
        sys.exit(130)
