#!/usr/bin/env python
"""Instructions per task run, counted by valgrind's callgrind: for comparing Podium builds.

Wall-clock figures on a shared machine move by a factor of two from one hour to the
next; an instruction count does not move with the machine's load. This runs a flow of
N small tasks K1 and K2 times in fresh processes under callgrind, and reports

    (instructions with K2 flows - instructions with K1 flows) / ((K2 - K1) * N)

for sequential calls and for ``.map``, with the embedded server recording every run
("full"), and with the task-run reporter sending nothing ("engine only": what the
task engine itself costs). It is a diagnostic for changes to Podium, not a target:
the targets are the side-by-side ratios of ``sdk.py``.

    .venv/bin/python bench/instructions.py            # about two minutes on two cores
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parent.parent
DEFAULT_PYTHON = REPO_DIR / ".venv" / "bin" / "python"

SCRIPT = """
import sys
from podium import flow, task

if sys.argv[3] == "engine":
    from podium.engine import _reporter

    _reporter.TaskRunReporter._send = lambda self, items: None


@task
def add_one(x: int) -> int:
    return x + 1


@flow
def sequential(n: int) -> int:
    return sum(add_one(i) for i in range(n))


@flow
def mapped(n: int) -> int:
    return sum(future.result() for future in add_one.map(range(n)))


run = mapped if sys.argv[1] == "map" else sequential
run(10)
for _ in range(int(sys.argv[2])):
    run(int(sys.argv[4]))
"""

COLLECTED = re.compile(r"Collected : (\d+)")


def count(python: Path, workload: str, flows: int, mode: str, n: int) -> int:
    """Instructions of one process running ``flows`` flows of ``n`` tasks."""
    with tempfile.TemporaryDirectory(prefix="podium-instructions-") as home:
        script = Path(home) / "workload.py"
        script.write_text(SCRIPT)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PODIUM_")}
        env["PODIUM_HOME"] = home
        done = subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={home}/callgrind.out",
                str(python),
                str(script),
                workload,
                str(flows),
                mode,
                str(n),
            ],
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        found = COLLECTED.search(done.stderr)
        if done.returncode != 0 or found is None:
            raise SystemExit(
                f"{workload}/{mode} with {flows} flow(s) failed (exit {done.returncode}):\n"
                f"{done.stderr[-2000:]}"
            )
        return int(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="tasks per flow (default 1000)")
    parser.add_argument("--flows", type=int, nargs=2, default=(1, 3), metavar=("K1", "K2"))
    parser.add_argument("--workloads", nargs="+", default=["sequential", "map"])
    parser.add_argument("--podium-python", type=Path, default=DEFAULT_PYTHON)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt-get install -y valgrind)")
    k1, k2 = args.flows
    if k2 <= k1:
        raise SystemExit(f"--flows: K2 ({k2}) must be larger than K1 ({k1})")
    runs = [
        (workload, mode, flows)
        for workload in args.workloads
        for mode in ("full", "engine")
        for flows in (k1, k2)
    ]
    with ThreadPoolExecutor(args.jobs) as pool:
        counts = dict(
            zip(
                runs,
                pool.map(
                    lambda run: count(args.podium_python, run[0], run[2], run[1], args.n), runs
                ),
                strict=True,
            )
        )
    print(f"instructions per task run (N={args.n}, flows {k1} and {k2}; callgrind)")
    for workload in args.workloads:
        per = {
            mode: (counts[(workload, mode, k2)] - counts[(workload, mode, k1)])
            / ((k2 - k1) * args.n)
            for mode in ("full", "engine")
        }
        print(
            f"  {workload:<10} full {per['full']:>10,.0f}   engine only {per['engine']:>10,.0f}"
            f"   recording {per['full'] - per['engine']:>10,.0f}"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
