"""Per-task overhead of N sequential task calls inside one flow.

overhead per task = (flow calling the task N times - the same flow calling the
task's body directly N times) / N, both timed with perf_counter around the
flow call, after a warm-up flow run that is not counted. After each flow with tasks the
script waits until its task runs are recorded (``settle``; the wait is
reported, not counted) so work deferred by one flow does not slow the next.
It also reports the time from the end of the flow's body to the return of the
flow call (the framework's work at flow exit, such as writing pending records),
per task.
"""

import argparse
import statistics
import time

from _framework import ThreadMonitor, current_flow_run_id, emit, flow, settle, task, timed


@task
def add_one(x: int) -> int:
    return x + 1


@flow
def with_tasks(n: int) -> tuple[int, str | None, float]:
    total = 0
    for i in range(n):
        total += add_one(i)
    return total, current_flow_run_id(), time.perf_counter()


@flow
def with_bodies(n: int) -> tuple[int, str | None]:
    body = add_one.fn
    total = 0
    for i in range(n):
        total += body(i)
    return total, current_flow_run_id()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = args.n
    expected = n * (n + 1) // 2

    warmup_s, (_, run_id, _) = timed(with_tasks, 1)
    settle(run_id, 1)
    direct, tasks, settled, exits = [], [], [], []
    with ThreadMonitor() as monitor:
        for _ in range(args.repeats):
            t, (value, _) = timed(with_bodies, n)
            assert value == expected, value
            direct.append(t)
            start = time.perf_counter()
            value, run_id, body_end = with_tasks(n)
            end = time.perf_counter()
            assert value == expected, value
            tasks.append(end - start)
            exits.append(end - body_end)
            settled.append(settle(run_id, n))
    t_direct, t_tasks = statistics.median(direct), statistics.median(tasks)
    emit(
        {
            "workload": "tasks_sequential",
            "n": n,
            "repeats": args.repeats,
            "warmup_s": warmup_s,
            "flow_with_bodies_s": direct,
            "flow_with_tasks_s": tasks,
            "exit_after_body_s": exits,
            "settle_after_tasks_s": settled,
            "per_task_s": t_tasks / n,
            "overhead_per_task_s": (t_tasks - t_direct) / n,
            "exit_after_body_per_task_s": statistics.median(exits) / n,
            "threads": monitor.as_dict(),
        }
    )


if __name__ == "__main__":
    main()
