#!/usr/bin/env python
"""Side-by-side benchmark of the Podium SDK against Prefect 3's and plain Python.

The same workload scripts (``bench/workloads/``) run three times: with
``FRAMEWORK=podium`` (``from podium import flow, task``), ``FRAMEWORK=prefect``
(``from prefect import flow, task``, in Prefect's own virtualenv) and
``FRAMEWORK=plain`` (identity decorators: the same functions, undecorated).

Every workload runs in a fresh subprocess per framework, with a fresh
temporary home (``PODIUM_HOME`` / ``PREFECT_HOME``) and a fresh, empty working
directory. Both frameworks use their default local mode: no API URL, so
Podium's embedded server and Prefect's temporary server; Prefect's analytics
are off (``PREFECT_SERVER_ANALYTICS_ENABLED=false``, ``DO_NOT_TRACK=1``).

Workloads:

* import: ``python -c "import podium"`` / ``"import prefect"``, whole-process
  wall time minus that of ``python -c pass``, median of ``--import-runs``;
* hello: ``python hello.py`` (one flow, one task) as a whole process;
* tasks_sequential: per-task overhead of N task calls in one flow;
* tasks_map: ``.map`` over N items, then every result; peak thread count;
* flow_runs: N flow runs in a loop, one trivial task each;
* subflows: N subflows called from one parent flow;
* task_run_recording: task runs of a 1,000-task flow recorded by the time
  the flow call returns, counted through the framework's own client.

Each subprocess has a hard timeout. Only the processes this script starts are
stopped, by their process group and recorded descendants, whatever happens.
Results go to bench/results/sdk.json.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
WORKLOADS_DIR = BENCH_DIR / "workloads"
DEFAULT_PREFECT_VENV = Path.home() / ".cache" / "podium-bench" / "prefect-venv"
DEFAULT_PODIUM_PYTHON = REPO_DIR / ".venv" / "bin" / "python"
RESULT_MARKER = "BENCH_RESULT "

FRAMEWORKS = ("podium", "prefect", "plain")
IN_PROCESS_WORKLOADS = (
    "tasks_sequential",
    "tasks_map",
    "flow_runs",
    "subflows",
    "task_run_recording",
)
WORKLOADS = ("import", "hello", *IN_PROCESS_WORKLOADS)

# Targets from the issue. Ratios are Podium / Prefect.
TARGET_IMPORT_RATIO = 1 / 10
TARGET_HELLO_RATIO = 1 / 20
TARGET_PER_TASK_RATIO = 1 / 100
TARGET_PER_FLOW_RUN_RATIO = 1 / 100
TARGET_PER_SUBFLOW_RATIO = 1 / 100
# "bounded" threads: the peak with N items may exceed the peak with N/5 by this much
THREAD_GROWTH_SLACK = 2


@dataclass
class Sizes:
    tasks: int = 1000
    map: int = 5000
    flow_runs: int = 100
    subflows: int = 100
    record: int = 1000
    hello_runs: int = 5

    def n_for(self, workload: str) -> int | None:
        return {
            "tasks_sequential": self.tasks,
            "tasks_map": self.map,
            "flow_runs": self.flow_runs,
            "subflows": self.subflows,
            "task_run_recording": self.record,
        }.get(workload)


# With --quick Prefect runs fewer units where its cost is linear in N; the
# figures compared are per unit, so the comparison stays fair. Not for the
# sequential tasks: at 500, its flow runs ending on one-second steps put its
# overhead anywhere between 2.0 and 6.0 ms a task, below its figure at 1,000
# in the same hour (2.0 against 4.0 ms); 1,000 of them take only seconds.
QUICK_PREFECT = Sizes(tasks=1000, map=1000, flow_runs=10, subflows=10, record=1000, hello_runs=3)


# --------------------------------------------------------------------------
# process handling


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            stat = fh.read()
    except OSError:
        return None
    # the command name may contain spaces and parentheses: split after it
    return stat[stat.rfind(")") + 2 :].split()


def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = _stat_fields(int(entry))
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _start_time(pid: int) -> str | None:
    fields = _stat_fields(pid)
    return fields[19] if fields is not None else None  # field 22: starttime


def _alive(pid: int, start: str) -> bool:
    fields = _stat_fields(pid)
    return fields is not None and fields[19] == start and fields[0] != "Z"


def descendants(pid: int) -> dict[int, str]:
    """Live descendants of ``pid`` (not ``pid`` itself), with their start times."""
    children = _children_map()
    found: dict[int, str] = {}
    todo = list(children.get(pid, []))
    while todo:
        current = todo.pop()
        start = _start_time(current)
        if start is None:
            continue
        found[current] = start
        todo.extend(children.get(current, []))
    return found


@dataclass
class ProcessRun:
    argv: list[str]
    rc: int | None = None
    wall_s: float | None = None
    timed_out: bool = False
    stdout: str = ""
    stderr_tail: str = ""
    leftovers_killed: int = 0
    result: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not self.timed_out

    def error(self) -> str | None:
        if self.timed_out:
            return f"timed out after {self.wall_s:.0f} s\n{self.stderr_tail}"
        if self.rc != 0:
            return f"exit code {self.rc}\n{self.stderr_tail}"
        return None


def run_process(
    argv: list[str], env: dict[str, str], cwd: Path, timeout: float, log_dir: Path
) -> ProcessRun:
    """Run ``argv`` in its own process group; time it; always stop what is left.

    The wall time is from just before spawning to the moment the process is
    reaped (a blocking wait, so it is not rounded to a polling interval).
    A watchdog thread notes the process's descendants as they appear (they may
    leave its group or outlive it) and kills the group at ``timeout``.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    out_path, err_path = log_dir / "stdout.txt", log_dir / "stderr.txt"
    run = ProcessRun(argv=argv)
    seen: dict[int, str] = {}
    done = threading.Event()
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            start_new_session=True,
        )

        def watchdog() -> None:
            deadline = t0 + timeout
            interval = 0.05
            while not done.wait(interval):
                with contextlib.suppress(Exception):
                    seen.update(descendants(proc.pid))
                if time.perf_counter() > deadline:
                    run.timed_out = True
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    return
                interval = min(0.5, interval * 2)

        guard = threading.Thread(target=watchdog, name="watchdog", daemon=True)
        guard.start()
        try:
            proc.wait()
            run.wall_s = time.perf_counter() - t0
        finally:
            done.set()
            guard.join()
            run.leftovers_killed = _stop_all(proc, seen)
    run.rc = proc.returncode
    run.stdout = out_path.read_text(errors="replace")
    err_text = err_path.read_text(errors="replace")
    run.stderr_tail = _error_excerpt(err_text)
    for line in reversed(run.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            run.result = json.loads(line[len(RESULT_MARKER) :])
            break
    return run


def _error_excerpt(stderr: str) -> str:
    """The last traceback through a workload script if any, else the last lines."""
    lines = stderr.splitlines()
    marker = "Traceback (most recent call last)"
    starts = [i for i, line in enumerate(lines) if marker in line]
    for start in reversed(starts):
        end = next((j for j in starts if j > start), len(lines))
        block = lines[start:end]
        if any(str(WORKLOADS_DIR) in line for line in block):
            return "\n".join(block[:60])
    return "\n".join(lines[-30:])


def _stop_all(proc: subprocess.Popen[bytes], seen: dict[int, str]) -> int:
    """Stop ``proc``'s group and every descendant noted; count those still alive."""
    with contextlib.suppress(Exception):
        seen.update(descendants(proc.pid))
    leftovers = {p: s for p, s in seen.items() if _alive(p, s)}
    group_alive = True
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        for pid, start in leftovers.items():
            if _alive(pid, start):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            group_alive = _group_alive(proc.pid)
            if not group_alive and not any(_alive(p, s) for p, s in leftovers.items()):
                break
            time.sleep(0.05)
        else:
            continue
        break
    with contextlib.suppress(Exception):
        proc.wait(timeout=5)
    return len(leftovers)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # only zombies left? they are gone as far as we are concerned
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None and int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


# --------------------------------------------------------------------------
# environments


@dataclass
class Framework:
    name: str
    python: Path
    module: str | None  # what ``import`` measures; None for plain Python
    sizes: Sizes
    runs: dict[str, Any] = field(default_factory=dict)


def base_env() -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "PODIUM_"))
        and k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE", "PYTHONSTARTUP"}
        and k not in {"FRAMEWORK", "VIRTUAL_ENV", "DO_NOT_TRACK"}
    }
    env["PYTHONUNBUFFERED"] = "1"
    env["DO_NOT_TRACK"] = "1"
    return env


def framework_env(fw: Framework, home: Path) -> dict[str, str]:
    env = base_env()
    env["FRAMEWORK"] = fw.name
    if fw.name == "prefect":
        env["PREFECT_HOME"] = str(home)
        env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
        # Its temporary server gives up after 20 s by default; on a slow or loaded
        # machine its start alone can take longer, and the workload would fail.
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "180"
    else:
        env["PODIUM_HOME"] = str(home)
    return env


class Homes:
    """Fresh temporary homes (each also the working directory of its process)."""

    def __init__(self, keep: bool) -> None:
        self.keep = keep
        self.root = Path(tempfile.mkdtemp(prefix="podium-bench-sdk-"))
        self.count = 0

    def new(self, label: str) -> Path:
        self.count += 1
        home = self.root / f"{self.count:03d}-{label}"
        home.mkdir()
        return home

    def cleanup(self) -> None:
        if self.keep:
            print(f"homes and logs kept in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def run_in_fresh_home(
    fw: Framework,
    homes: Homes,
    label: str,
    argv: list[str],
    timeout: float,
    home: Path | None = None,
) -> ProcessRun:
    home = home or homes.new(f"{fw.name}-{label}")
    log_dir = home / "_logs" / f"{label}-{time.monotonic_ns()}"
    return run_process(argv, framework_env(fw, home), home, timeout, log_dir)


# --------------------------------------------------------------------------
# workloads


def bench_import(fw: Framework, homes: Homes, runs: int, timeout: float) -> dict[str, Any]:
    """Whole-process wall time of importing the framework, minus a bare interpreter."""
    py = str(fw.python)
    commands = {"baseline": "pass"}
    if fw.module:
        commands["import"] = f"import {fw.module}"
        commands["import_flow_task"] = f"from {fw.module} import flow, task"
    times: dict[str, list[float]] = {k: [] for k in commands}
    errors: list[str] = []
    # untimed round first: bytecode caches written, files in the page cache
    for rnd in range(runs + 1):
        for key, code in commands.items():
            run = run_in_fresh_home(fw, homes, f"import-{key}", [py, "-c", code], timeout)
            if not run.ok:
                errors.append(f"{code}: {run.error()}")
                continue
            if rnd > 0:
                times[key].append(run.wall_s)
    out: dict[str, Any] = {"runs": runs, "wall_s": times, "errors": errors[:3]}
    base = statistics.median(times["baseline"]) if times["baseline"] else None
    out["baseline_s"] = base
    for key in ("import", "import_flow_task"):
        if times.get(key) and base is not None:
            out[f"{key}_s"] = statistics.median(times[key]) - base
    return out


def bench_hello(fw: Framework, homes: Homes, runs: int, timeout: float) -> dict[str, Any]:
    """``python hello.py`` as a whole process: fresh homes, then one reused home."""
    argv = [str(fw.python), str(WORKLOADS_DIR / "hello.py")]
    errors: list[str] = []
    warm_home = homes.new(f"{fw.name}-hello-warm")
    # untimed warm-up in the home reused below: bytecode caches, page cache,
    # and (for the frameworks) that home's database
    warmup = run_in_fresh_home(fw, homes, "hello-warmup", argv, timeout, home=warm_home)
    if not warmup.ok:
        errors.append(f"warm-up: {warmup.error()}")
    cold, warm = [], []
    for _ in range(runs):
        run = run_in_fresh_home(fw, homes, "hello-cold", argv, timeout)
        if run.ok:
            cold.append(run.wall_s)
        else:
            errors.append(f"cold: {run.error()}")
    for _ in range(runs):
        run = run_in_fresh_home(fw, homes, "hello-warm", argv, timeout, home=warm_home)
        if run.ok:
            warm.append(run.wall_s)
        else:
            errors.append(f"warm home: {run.error()}")
    output = warmup.stdout.strip().splitlines()[-1:] if warmup.stdout.strip() else []
    return {
        "runs": runs,
        "warmup_s": warmup.wall_s,
        "cold_wall_s": cold,
        "warm_home_wall_s": warm,
        "cold_s": statistics.median(cold) if cold else None,
        "warm_home_s": statistics.median(warm) if warm else None,
        "printed": output[0] if output else None,
        "errors": errors[:3],
    }


def bench_in_process(
    fw: Framework, homes: Homes, workload: str, repeats: int, timeout: float
) -> dict[str, Any]:
    n = fw.sizes.n_for(workload)
    argv = [str(fw.python), str(WORKLOADS_DIR / f"{workload}.py"), "--n", str(n)]
    if workload != "task_run_recording":
        argv += ["--repeats", str(repeats)]
    run = run_in_fresh_home(fw, homes, workload, argv, timeout)
    out: dict[str, Any] = {
        "process_wall_s": run.wall_s,
        "leftover_processes_killed": run.leftovers_killed,
    }
    if run.result is not None:
        out.update(run.result)
    if not run.ok or run.result is None:
        out["error"] = run.error() or f"no result line\n{run.stderr_tail}"
    return out


# --------------------------------------------------------------------------
# table


def _get(results: dict[str, Any], workload: str, fw: str, key: str) -> Any:
    value = results.get(workload, {}).get(fw, {})
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _fmt_ratio(r: float | None) -> str:
    if r is None:
        return "—"
    if r <= 0:
        return f"{r:.3g}"
    if r < 1:
        inverse = 1 / r
        return f"{r:.3g} (1/{inverse:.2g})" if inverse < 10 else f"{r:.3g} (1/{inverse:.0f})"
    return f"{r:.3g}"


def _fmt_value(v: Any, unit: str) -> str:
    """A number in the row's unit; durations move to a smaller unit when tiny."""
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if unit == "":
        return f"{v:g}"
    if v == 0:
        return f"0 {unit}"
    units = (("s", 1.0), ("ms", 1e3), ("µs", 1e6), ("ns", 1e9))
    start = [u for u, _ in units].index(unit)
    for name, scale in units[start:]:
        x = v * scale
        if abs(x) >= 1 or name == "ns":
            break
    return f"{x:.3g} {name}" if abs(x) < 100 else f"{x:.0f} {name}"


def build_rows(results: dict[str, Any], frameworks: dict[str, Framework]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []

    def ns(workload: str) -> str:
        parts = []
        for name in FRAMEWORKS:
            fw = frameworks.get(name)
            if fw is None or workload not in results or name not in results[workload]:
                parts.append("—")
                continue
            if workload == "import":
                parts.append(str(results[workload][name].get("runs", "—")))
            elif workload == "hello":
                parts.append(str(fw.sizes.hello_runs))
            elif workload == "task_run_recording" and name == "plain":
                parts.append("—")
            else:
                parts.append(str(fw.sizes.n_for(workload)))
        return "/".join(parts)

    def add(
        workload: str,
        figure: str,
        key: str,
        unit: str,
        target: str = "(info)",
        target_ratio: float | None = None,
        plain: bool = True,
        ratio_prefect: bool = True,
    ) -> None:
        if workload not in results:
            return
        vals = {name: _get(results, workload, name, key) for name in FRAMEWORKS}
        if not plain:
            vals["plain"] = None
        pod, pf, pl = vals["podium"], vals["prefect"], vals["plain"]
        num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)  # noqa: E731
        r_pf = pod / pf if ratio_prefect and num(pod) and num(pf) and pf > 0 else None
        r_pl = pod / pl if num(pod) and num(pl) and pl > 0 else None
        met = None
        if target_ratio is not None and r_pf is not None:
            met = r_pf <= target_ratio
        rows.append(
            {
                "workload": workload,
                "figure": figure,
                "unit": unit,
                "n": ns(workload),
                "podium": pod,
                "prefect": pf,
                "plain": pl,
                "podium_over_prefect": r_pf,
                "podium_over_plain": r_pl,
                "target": target,
                "met": met,
            }
        )

    add(
        "import",
        "import (minus bare python)",
        "import_s",
        "s",
        "≤ 1/10",
        TARGET_IMPORT_RATIO,
        plain=False,
    )
    add("import", "import flow, task (minus bare python)", "import_flow_task_s", "s", plain=False)
    add("hello", "hello flow process, fresh home", "cold_s", "s", "≤ 1/20", TARGET_HELLO_RATIO)
    add("hello", "hello flow process, reused home", "warm_home_s", "s")
    add(
        "tasks_sequential",
        "sequential: overhead per task",
        "overhead_per_task_s",
        "µs",
        "≤ 1/100",
        TARGET_PER_TASK_RATIO,
    )
    add("tasks_sequential", "sequential: flow time / N", "per_task_s", "µs")
    add(
        "tasks_sequential",
        "sequential: flow exit after body / N",
        "exit_after_body_per_task_s",
        "µs",
    )
    add("tasks_sequential", "sequential: peak threads", "threads.peak_os", "")
    add(
        "tasks_map",
        "map: overhead per item",
        "overhead_per_item_s",
        "µs",
        "≤ 1/100",
        TARGET_PER_TASK_RATIO,
    )
    add("tasks_map", "map: flow time / N", "per_item_s", "µs")
    add("tasks_map", "map: total time (own N)", "total_s", "s", ratio_prefect=False)
    add("tasks_map", "map: peak threads, N/5 items", "threads_warmup.peak_os", "")
    add("tasks_map", "map: peak threads, N items", "threads.peak_os", "", "bounded")
    add(
        "flow_runs",
        "flow run: time per run",
        "per_flow_run_s",
        "ms",
        "≤ 1/100",
        TARGET_PER_FLOW_RUN_RATIO,
    )
    add(
        "subflows",
        "subflow: time per subflow",
        "per_subflow_s",
        "ms",
        "≤ 1/100",
        TARGET_PER_SUBFLOW_RATIO,
    )
    add(
        "task_run_recording",
        "task runs recorded at flow return",
        "recorded_at_return",
        "",
        "all",
        plain=False,
        ratio_prefect=False,
    )
    add(
        "task_run_recording",
        "task runs COMPLETED at flow return",
        "completed_at_return",
        "",
        "all",
        plain=False,
        ratio_prefect=False,
    )
    add(
        "task_run_recording",
        "all recorded, after flow return",
        "all_recorded_after_s",
        "s",
        "0",
        plain=False,
        ratio_prefect=False,
    )
    add(
        "task_run_recording",
        "all COMPLETED, after flow return",
        "all_completed_after_s",
        "s",
        "0",
        plain=False,
        ratio_prefect=False,
    )

    # targets that are not ratios
    for row in rows:
        pod = row["podium"]
        if row["figure"] == "map: peak threads, N items" and isinstance(pod, int):
            small = _get(results, "tasks_map", "podium", "threads_warmup.peak_os")
            row["met"] = isinstance(small, int) and pod <= small + THREAD_GROWTH_SLACK
        elif row["workload"] == "task_run_recording" and row["target"] == "all":
            n = _get(results, "task_run_recording", "podium", "n")
            row["met"] = isinstance(pod, int) and pod == n
            for name in ("podium", "prefect"):
                total = _get(results, "task_run_recording", name, "n")
                if isinstance(row[name], int) and total:
                    row[name] = f"{row[name]}/{total}"
        elif row["workload"] == "task_run_recording" and row["target"] == "0":
            if row["podium"] is None and _get(results, "task_run_recording", "podium", "n"):
                row["podium"] = "never"
            if row["prefect"] is None and _get(results, "task_run_recording", "prefect", "n"):
                row["prefect"] = "never"
            row["met"] = pod == 0.0 if pod is not None else False
            if _get(results, "task_run_recording", "podium", "error"):
                row["met"] = False
    # a failed run shows as FAIL rather than as an empty cell
    for row in rows:
        for name in FRAMEWORKS:
            if _get(results, row["workload"], name, "error") and row[name] is None:
                row[name] = "FAIL"
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = [
        "figure",
        "N pod/pf/plain",
        "Podium",
        "Prefect",
        "plain",
        "Podium/Prefect",
        "Podium/plain",
        "target",
        "met",
    ]
    table = [header]
    for row in rows:
        met = {True: "yes", False: "NO", None: ""}[row["met"]]
        table.append(
            [
                row["figure"],
                row["n"],
                _fmt_value(row["podium"], row["unit"]),
                _fmt_value(row["prefect"], row["unit"]),
                _fmt_value(row["plain"], row["unit"]),
                _fmt_ratio(row["podium_over_prefect"]),
                _fmt_ratio(row["podium_over_plain"]),
                row["target"],
                met,
            ]
        )
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    for i, r in enumerate(table):
        print("  ".join(cell.ljust(widths[j]) for j, cell in enumerate(r)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))


# --------------------------------------------------------------------------
# main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller N for Prefect where its cost is linear (figures are per unit)",
    )
    parser.add_argument(
        "--only", action="append", choices=FRAMEWORKS, help="run only this framework (repeatable)"
    )
    parser.add_argument(
        "--workloads",
        nargs="+",
        choices=WORKLOADS,
        default=list(WORKLOADS),
        metavar="W",
        help=f"subset of: {' '.join(WORKLOADS)}",
    )
    parser.add_argument("--tasks", type=int, default=1000, help="sequential tasks (default 1000)")
    parser.add_argument("--map", type=int, default=5000, help="mapped items (default 5000)")
    parser.add_argument("--flow-runs", type=int, default=100, help="flow runs (default 100)")
    parser.add_argument("--subflows", type=int, default=100, help="subflows (default 100)")
    parser.add_argument(
        "--record-tasks",
        type=int,
        default=1000,
        help="tasks in the recording workload (default 1000)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed repetitions inside each in-process workload; median (default 3)",
    )
    parser.add_argument("--import-runs", type=int, default=5, help="default 5")
    parser.add_argument(
        "--hello-runs", type=int, default=5, help="default 5 (3 for Prefect with --quick)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="hard limit per subprocess, seconds (default 900)",
    )
    parser.add_argument(
        "--prefect-venv",
        type=Path,
        default=Path(os.environ.get("PREFECT_VENV", DEFAULT_PREFECT_VENV)),
    )
    parser.add_argument(
        "--podium-python",
        type=Path,
        default=DEFAULT_PODIUM_PYTHON,
        help="interpreter with podium installed; also runs plain Python",
    )
    parser.add_argument(
        "--keep-homes",
        action="store_true",
        help="keep every temporary home with the processes' stdout/stderr",
    )
    parser.add_argument("--output", type=Path, default=BENCH_DIR / "results" / "sdk.json")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    full = Sizes(
        args.tasks, args.map, args.flow_runs, args.subflows, args.record_tasks, args.hello_runs
    )
    prefect_sizes = full
    if args.quick:
        prefect_sizes = Sizes(
            tasks=min(full.tasks, QUICK_PREFECT.tasks),
            map=min(full.map, QUICK_PREFECT.map),
            flow_runs=min(full.flow_runs, QUICK_PREFECT.flow_runs),
            subflows=min(full.subflows, QUICK_PREFECT.subflows),
            record=full.record,
            hello_runs=min(full.hello_runs, QUICK_PREFECT.hello_runs),
        )
    prefect_python = args.prefect_venv / "bin" / "python"
    frameworks = {
        "podium": Framework("podium", args.podium_python, "podium", full),
        "prefect": Framework("prefect", prefect_python, "prefect", prefect_sizes),
        "plain": Framework("plain", args.podium_python, None, full),
    }
    selected = [name for name in FRAMEWORKS if not args.only or name in args.only]
    for name in selected:
        if not frameworks[name].python.exists():
            hint = " (run bench/setup_prefect.sh)" if name == "prefect" else ""
            print(f"error: {frameworks[name].python} not found{hint}", file=sys.stderr)
            return 2

    homes = Homes(args.keep_homes)
    results: dict[str, dict[str, Any]] = {}
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    failed: list[str] = []
    try:
        # workload by workload, the frameworks one after the other, so that a
        # change in the machine's load affects all three alike
        for workload in WORKLOADS:
            if workload not in args.workloads:
                continue
            results[workload] = {}
            for name in selected:
                fw = frameworks[name]
                if workload == "task_run_recording" and name == "plain":
                    continue
                print(f"[{time.strftime('%H:%M:%S')}] {workload} / {name} ...", flush=True)
                t0 = time.perf_counter()
                if workload == "import":
                    res = bench_import(fw, homes, args.import_runs, args.timeout)
                    if res["errors"]:
                        res["error"] = res["errors"][0]
                elif workload == "hello":
                    res = bench_hello(fw, homes, fw.sizes.hello_runs, args.timeout)
                    if res["errors"]:
                        res["error"] = res["errors"][0]
                else:
                    res = bench_in_process(fw, homes, workload, args.repeats, args.timeout)
                res["bench_s"] = time.perf_counter() - t0
                results[workload][name] = res
                if res.get("error"):
                    failed.append(f"{workload}/{name}")
                    print(f"  FAILED: {res['error']}", flush=True)
    except KeyboardInterrupt:
        print("interrupted; partial results follow", file=sys.stderr)
    finally:
        homes.cleanup()

    rows = build_rows(results, frameworks)
    meta = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "quick": args.quick,
        "repeats": args.repeats,
        "frameworks": {
            name: {"python": str(frameworks[name].python), "sizes": asdict(frameworks[name].sizes)}
            for name in selected
        },
        "failed": failed,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps({"meta": meta, "table": rows, "results": results}, indent=2, default=str)
    )

    print()
    versions = {
        name: _get(results, "tasks_sequential", name, "framework_version")
        for name in ("podium", "prefect")
    }
    print(
        f"Podium {versions['podium'] or '?'} vs Prefect {versions['prefect'] or '?'}"
        f" vs plain Python; {os.cpu_count()} CPUs, load average"
        f" {load_before[0]:.1f} -> {meta['machine']['loadavg_after'][0]:.1f}"
        + (" (--quick: Prefect runs fewer units)" if args.quick else "")
    )
    print_table(rows)
    print(
        "\nN pod/pf/plain: units (tasks, items, runs) each side ran, or process runs for"
        " import/hello.\nRatios compare per-unit figures; 'met' checks Podium against"
        " the target (ratios: Podium/Prefect)."
    )
    if os.cpu_count() and load_before[0] > os.cpu_count():
        print(
            f"note: load average {load_before[0]:.1f} exceeds the {os.cpu_count()} CPUs;"
            " other processes were competing, expect noisy figures."
        )
    if failed:
        print(f"failed: {', '.join(failed)} (details in {args.output})")
    print(f"results: {args.output}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
