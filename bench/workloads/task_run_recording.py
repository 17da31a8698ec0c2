"""Are a flow's task runs recorded by the time the flow call returns?

A flow calls a task N times. Right when the flow call returns, the task runs
recorded for that flow run are counted through the framework's own client
(all of them, and those COMPLETED; one pass over ``read_task_runs`` pages);
then the count is polled until all N are there (capped), and the delay from
the flow's return is reported.
Only meaningful with a framework (FRAMEWORK=podium or prefect).
"""

import argparse
import time

from _framework import count_task_runs, current_flow_run_id, emit, flow, sync_client, task


@task
def add_one(x: int) -> int:
    return x + 1


@flow
def many_tasks(n: int) -> str:
    for i in range(n):
        add_one(i)
    return current_flow_run_id()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--cap", type=float, default=60.0, help="seconds to keep polling")
    parser.add_argument("--poll", type=float, default=0.05)
    args = parser.parse_args()
    n = args.n

    many_tasks(1)  # warm-up: start what the framework starts on first use
    with sync_client() as client:
        t0 = time.perf_counter()
        flow_run_id = many_tasks(n)
        returned = time.perf_counter()
        at_return, completed_at_return = count_task_runs(client, flow_run_id)
        counted = time.perf_counter()

        all_recorded_after = 0.0 if at_return >= n else None
        all_completed_after = 0.0 if completed_at_return >= n else None
        recorded, completed = at_return, completed_at_return
        # (seconds after return, recorded, completed) at each change
        timeline = [(0.0, at_return, completed_at_return)]
        deadline = returned + args.cap
        while (all_recorded_after is None or all_completed_after is None) and (
            time.perf_counter() < deadline
        ):
            time.sleep(args.poll)
            recorded, completed = count_task_runs(client, flow_run_id)
            since = time.perf_counter() - returned
            if not timeline or timeline[-1][1:] != (recorded, completed):
                timeline.append((round(since, 3), recorded, completed))
            if all_recorded_after is None and recorded >= n:
                all_recorded_after = since
            if all_completed_after is None and completed >= n:
                all_completed_after = since
    emit(
        {
            "workload": "task_run_recording",
            "n": n,
            "flow_s": returned - t0,
            "flow_run_id": flow_run_id,
            "recorded_at_return": at_return,
            "completed_at_return": completed_at_return,
            "count_calls_s": counted - returned,
            "all_recorded_after_s": all_recorded_after,
            "all_completed_after_s": all_completed_after,
            "recorded_at_end": recorded,
            "completed_at_end": completed,
            "cap_s": args.cap,
            "timeline": timeline if len(timeline) <= 60 else timeline[:40] + timeline[-20:],
        }
    )


if __name__ == "__main__":
    main()
