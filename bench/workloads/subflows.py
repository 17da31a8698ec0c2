"""N subflows called from one parent flow: time per subflow.

Each subflow calls one trivial task (like a flow run of flow_runs.py).
time per subflow = (parent calling N subflows - the same parent calling none) / N,
after a warm-up parent with one subflow that is not counted.
"""

import argparse
import statistics

from _framework import ThreadMonitor, emit, flow, task, timed


@task
def noop(x: int) -> int:
    return x


@flow
def child(x: int) -> int:
    return noop(x)


@flow
def parent(n: int) -> int:
    total = 0
    for i in range(n):
        total += child(i)
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.n

    warmup_s, _ = timed(parent, 1)
    empty, full = [], []
    with ThreadMonitor() as monitor:
        for _ in range(args.repeats):
            t, value = timed(parent, 0)
            assert value == 0, value
            empty.append(t)
            t, value = timed(parent, n)
            assert value == n * (n - 1) // 2, value
            full.append(t)
    t_empty, t_full = statistics.median(empty), statistics.median(full)
    emit(
        {
            "workload": "subflows",
            "n": n,
            "repeats": args.repeats,
            "warmup_s": warmup_s,
            "parent_without_subflows_s": empty,
            "parent_with_subflows_s": full,
            "per_subflow_s": (t_full - t_empty) / n,
            "threads": monitor.as_dict(),
        }
    )


if __name__ == "__main__":
    main()
