"""``.map`` over N items in one flow, then every result.

Figures: total time of the flow call, overhead per item against the same flow
calling the body directly, and the peak thread count of the process while
mapping. A map over N/5 items runs first as the warm-up; its thread peak is
kept too, so a thread count that grows with N shows. After each mapped flow
the script waits until its task runs are recorded (reported, not counted), so
work deferred by one flow does not slow the next one measured.
"""

import argparse
import statistics

from _framework import (
    ThreadMonitor,
    current_flow_run_id,
    emit,
    flow,
    os_threads,
    settle,
    task,
    timed,
)


@task
def double(x: int) -> int:
    return 2 * x


@flow
def mapped(n: int) -> tuple[int, str | None]:
    futures = double.map(list(range(n)))
    return sum(future.result() for future in futures), current_flow_run_id()


@flow
def direct(n: int) -> tuple[int, str | None]:
    body = double.fn
    return sum(body(i) for i in range(n)), current_flow_run_id()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.n
    expected = n * (n - 1)
    small = max(1, n // 5)

    threads_before = os_threads()
    with ThreadMonitor() as warm_monitor:
        warmup_s, (value, run_id) = timed(mapped, small)
    assert value == small * (small - 1), value
    settle(run_id, small)

    direct_s, mapped_s, settled = [], [], []
    with ThreadMonitor() as monitor:
        for _ in range(args.repeats):
            t, (value, _) = timed(direct, n)
            assert value == expected, value
            direct_s.append(t)
            t, (value, run_id) = timed(mapped, n)
            assert value == expected, value
            mapped_s.append(t)
            settled.append(settle(run_id, n))
    t_direct, t_mapped = statistics.median(direct_s), statistics.median(mapped_s)
    emit(
        {
            "workload": "tasks_map",
            "n": n,
            "repeats": args.repeats,
            "warmup_n": small,
            "warmup_s": warmup_s,
            "flow_direct_s": direct_s,
            "flow_mapped_s": mapped_s,
            "settle_after_mapped_s": settled,
            "total_s": t_mapped,
            "per_item_s": t_mapped / n,
            "overhead_per_item_s": (t_mapped - t_direct) / n,
            "threads_before": threads_before,
            "threads_warmup": warm_monitor.as_dict(),
            "threads": monitor.as_dict(),
            "threads_after": os_threads(),
        }
    )


if __name__ == "__main__":
    main()
