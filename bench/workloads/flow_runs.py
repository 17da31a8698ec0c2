"""N flow runs in a loop, each flow calling one trivial task: time per flow run.

One flow run before the loop is the warm-up (it pays for starting whatever the
framework starts on first use) and is reported apart.
"""

import argparse
import statistics

from _framework import ThreadMonitor, emit, flow, task, timed


@task
def noop(x: int) -> int:
    return x


@flow
def tiny(x: int) -> int:
    return noop(x)


def loop(n: int) -> int:
    total = 0
    for i in range(n):
        total += tiny(i)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.n

    warmup_s, _ = timed(tiny, 0)
    loops = []
    with ThreadMonitor() as monitor:
        for _ in range(args.repeats):
            t, value = timed(loop, n)
            assert value == n * (n - 1) // 2, value
            loops.append(t)
    t_loop = statistics.median(loops)
    emit(
        {
            "workload": "flow_runs",
            "n": n,
            "repeats": args.repeats,
            "warmup_s": warmup_s,
            "loop_s": loops,
            "per_flow_run_s": t_loop / n,
            "threads": monitor.as_dict(),
        }
    )


if __name__ == "__main__":
    main()
