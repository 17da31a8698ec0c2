"""Result persistence and caching through the engine."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap
import threading
import time

from podium import flow, task
from podium.cache_policies import FLOW_PARAMETERS, INPUTS, NO_CACHE, RUN_ID, TASK_SOURCE
from podium.results import is_result_reference
from podium.schemas.states import StateType


def test_results_not_persisted_by_default(podium_home):
    @task
    def t(x: int) -> int:
        return x

    @flow
    def f():
        return t(1, return_state=True).data

    assert f() is None
    assert not (podium_home / "storage").exists()


def test_persist_result_writes_a_reference(client):
    @task(persist_result=True, cache_policy=NO_CACHE)
    def t(x: int) -> dict:
        return {"x": x}

    @flow
    def f():
        state = t(2, return_state=True)
        return state.data, state.state_details.task_run_id

    data, task_run_id = f()
    assert is_result_reference(data)
    stored = client.read_task_run(task_run_id).state
    assert is_result_reference(stored.data)


def test_cached_state_on_second_call(client):
    calls = []

    @task(cache_policy=INPUTS)
    def expensive(x: int) -> int:
        calls.append(x)
        return x * 10

    @flow
    def f(x: int):
        state = expensive(x, return_state=True)
        return state.name, state.result(), state.state_details.task_run_id

    assert f(1)[:2] == ("Completed", 10)
    name, value, task_run_id = f(1)
    assert (name, value) == ("Cached", 10)
    assert f(2)[:2] == ("Completed", 20)
    assert calls == [1, 2]
    run = client.read_task_run(task_run_id)
    assert run.state_name == "Cached" and run.state_type == StateType.COMPLETED
    assert run.cache_key


def test_policies_compose_and_run_id_scopes_cache():
    calls = []

    @task(cache_policy=INPUTS + TASK_SOURCE + RUN_ID)
    def t(x: int) -> int:
        calls.append(x)
        return x

    @flow
    def f():
        t(1)
        t(1)

    f()
    f()
    assert calls == [1, 1]  # once per flow run


def test_flow_parameters_policy():
    calls = []

    @task(cache_policy=FLOW_PARAMETERS)
    def t() -> int:
        calls.append(1)
        return len(calls)

    @flow
    def f(p: int):
        return t()

    assert f(1) == 1 and f(1) == 1 and f(2) == 2


def test_cache_key_fn_expiration_and_refresh():
    calls = []

    def key(ctx, inputs) -> str:
        return f"fixed-{inputs['x']}"

    @task(cache_key_fn=key, cache_expiration=dt.timedelta(seconds=0.3))
    def t(x: int) -> int:
        calls.append(x)
        return len(calls)

    @flow
    def f(refresh: bool = False):
        return t.with_options(refresh_cache=refresh)(1)

    assert f() == 1
    assert f() == 1
    assert f(refresh=True) == 2
    assert f() == 2
    time.sleep(0.4)
    assert f() == 3


def test_unhashable_input_warns_and_never_hits(client):
    calls = []

    @task(cache_policy=INPUTS)
    def t(lock) -> int:
        calls.append(1)
        return len(calls)

    @flow
    def f():
        return t(threading.Lock())

    assert f() == 1
    assert f() == 2
    messages = [log.message for log in client.read_logs()]
    assert any("No cache key" in m and "cannot be hashed" in m for m in messages)


def test_json_serializer_and_storage(tmp_path):
    @task(persist_result=True, result_serializer="json", result_storage=str(tmp_path / "r"))
    def t() -> dict:
        return {"a": [1, 2]}

    @flow
    def f():
        return t(return_state=True).data

    reference = f()
    assert reference["serializer"] == "json"
    assert list((tmp_path / "r").iterdir())


def test_cached_value_shared_between_processes(podium_home):
    script = textwrap.dedent(
        """
        import sys
        from podium import flow, task
        from podium.cache_policies import INPUTS

        @task(cache_policy=INPUTS, cache_key_fn=lambda ctx, inputs: "shared-key")
        def compute() -> str:
            print("COMPUTED")
            return sys.argv[1]

        @flow
        def f():
            state = compute(return_state=True)
            print(state.name, state.result())

        f()
        """
    )
    outputs = []
    for arg in ("first", "second"):
        result = subprocess.run(
            [sys.executable, "-c", script, arg], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "COMPUTED" in outputs[0] and "Completed first" in outputs[0]
    assert "COMPUTED" not in outputs[1] and "Cached first" in outputs[1]
