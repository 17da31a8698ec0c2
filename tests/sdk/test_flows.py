"""Flows: decorators, options, parameters, states, retries, hooks, methods."""

from __future__ import annotations

import asyncio
import datetime as dt

import pydantic
import pytest

from podium import Flow, State, flow, task
from podium.exceptions import ParameterBindError, ParameterTypeError
from podium.schemas.states import StateType
from podium.states import Completed, Failed


def flow_run_of(client, state):
    return client.read_flow_run(state.state_details.flow_run_id)


def test_bare_and_configured_decorators(client):
    @flow
    def plain(x: int) -> int:
        return x + 1

    @flow(name="named-flow", version="7", description="hi", tags=["a"])
    def configured(x: int) -> int:
        return x * 2

    assert isinstance(plain, Flow)
    assert plain.name == "plain"
    assert plain(1) == 2
    assert plain.fn(1) == 2
    state = configured(3, return_state=True)
    assert state.is_completed() and state.result() == 6
    run = flow_run_of(client, state)
    assert run.state_type == StateType.COMPLETED
    assert run.parameters == {"x": 3}
    assert run.tags == ["a"]
    assert run.flow_version == "7"
    assert client.read_flow(run.flow_id).name == "named-flow"


def test_underscores_become_dashes_in_default_name():
    @flow
    def my_flow_name() -> None: ...

    assert my_flow_name.name == "my-flow-name"


async def test_async_flow(client):
    @flow
    async def afl(x: int) -> int:
        await asyncio.sleep(0)
        return x + 10

    assert await afl(1) == 11
    state = await afl(2, return_state=True)
    assert flow_run_of(client, state).state_type == StateType.COMPLETED


def test_with_options_copies_and_overrides():
    @flow(retries=2, name="orig")
    def f() -> int:
        return 1

    g = f.with_options(name="copy", timeout_seconds=5)
    assert g.name == "copy" and g.retries == 2 and g.timeout_seconds == 5
    assert f.name == "orig" and f.timeout_seconds is None
    with pytest.raises(TypeError, match="Unknown flow option"):
        f.with_options(nonsense=1)


def test_flow_run_name_template_and_callable(client):
    @flow(flow_run_name="run-{x}")
    def templated(x: int) -> None: ...

    def namer() -> str:
        return "from-callable"

    @flow(flow_run_name=namer)
    def called() -> None: ...

    assert flow_run_of(client, templated(5, return_state=True)).name == "run-5"
    assert flow_run_of(client, called(return_state=True)).name == "from-callable"


def test_exception_makes_failed_and_is_raised(client):
    @flow
    def boom() -> None:
        raise ValueError("bad thing")

    with pytest.raises(ValueError, match="bad thing"):
        boom()
    state = boom(return_state=True)
    assert state.is_failed()
    assert "bad thing" in state.message
    run = flow_run_of(client, state)
    assert run.state_type == StateType.FAILED
    assert isinstance(state.result(raise_on_failure=False), ValueError)


def test_returned_state_becomes_final_state(client):
    @flow
    def returns_failed() -> State:
        return Failed(message="chose to fail")

    @flow
    def returns_completed() -> State:
        return Completed(message="fine", data=5)

    state = returns_failed(return_state=True)
    assert state.is_failed() and state.message == "chose to fail"
    assert flow_run_of(client, state).state_type == StateType.FAILED
    assert returns_completed() == 5


def test_flow_fails_when_awaited_task_fails(client):
    @task
    def bad() -> None:
        raise RuntimeError("task broke")

    @flow
    def parent() -> None:
        bad()

    state = parent(return_state=True)
    assert state.is_failed()
    assert "task broke" in state.message


def test_flow_returning_failed_future_fails():
    @task
    def bad() -> None:
        raise RuntimeError("x")

    @flow
    def parent():
        return bad.submit()

    assert parent(return_state=True).is_failed()


class Point(pydantic.BaseModel):
    x: int
    y: int


def test_parameters_coerced_from_type_hints(client):
    @flow
    def typed(n: int, when: dt.date, point: Point, names: list[str] | None = None):
        return n, when, point, names

    n, when, point, names = typed("3", "2024-01-02", {"x": "1", "y": 2})
    assert n == 3 and when == dt.date(2024, 1, 2)
    assert point == Point(x=1, y=2) and names is None


def test_invalid_parameters_fail_before_body_naming_each(client):
    ran = []

    @flow
    def typed(n: int, point: Point, ok: str = "x") -> None:
        ran.append(1)

    state = typed("not a number", {"x": "nope"}, return_state=True)
    assert state.is_failed()
    assert not ran
    assert "n" in state.message and "point.x" in state.message and "point.y" in state.message
    with pytest.raises(ParameterTypeError):
        state.result()
    run = flow_run_of(client, state)
    assert run.state_type == StateType.FAILED
    assert run.run_count == 0


def test_validation_can_be_turned_off():
    @flow(validate_parameters=False)
    def loose(n: int):
        return n

    assert loose("3") == "3"


def test_bad_call_arguments_raise_at_call():
    @flow
    def f(a: int) -> None: ...

    with pytest.raises(ParameterBindError, match="'f'"):
        f(1, 2)


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        ((1,), {}, {"a": 1, "b": 2, "c": 3}),
        ((1, 5), {}, {"a": 1, "b": 5, "c": 3}),
        ((1,), {"c": 7}, {"a": 1, "b": 2, "c": 7}),
        ((), {"c": 7, "a": 1}, {"a": 1, "b": 2, "c": 7}),
        ((1, 2, 3), {}, {"a": 1, "b": 2, "c": 3}),
    ],
)
def test_call_arguments_bind_in_signature_order_with_defaults(args, kwargs, expected):
    @flow
    def f(a: int, b: int = 2, c: int = 3) -> list[tuple[str, int]]:
        return list(locals().items())

    assert f(*args, **kwargs) == list(expected.items())


@pytest.mark.parametrize(
    ("args", "kwargs", "problem"),
    [
        ((), {}, "missing a required argument: 'a'"),
        ((1, 2, 3, 4), {}, "too many positional arguments"),
        ((1,), {"a": 1}, "multiple values for argument 'a'"),
        ((1,), {"d": 1}, "unexpected keyword argument 'd'"),
    ],
)
def test_call_arguments_that_do_not_fit_name_the_problem(args, kwargs, problem):
    @flow
    def f(a: int, b: int = 2, c: int = 3) -> None: ...

    with pytest.raises(ParameterBindError, match=problem):
        f(*args, **kwargs)


def test_a_flow_run_starts_running_and_its_history_shows_it(client):
    @flow
    def f(x: int) -> int:
        return x

    state = f(1, return_state=True)
    run = flow_run_of(client, state)
    history = [s.type for s in client.read_flow_run_states(run.id)]
    assert history == [StateType.RUNNING, StateType.COMPLETED]
    assert run.run_count == 1
    assert run.start_time is not None and run.end_time is not None
    assert run.start_time <= run.end_time


def test_a_flow_run_with_invalid_parameters_never_runs(client):
    @flow
    def f(x: int) -> int:
        return x

    state = f("not a number", return_state=True)
    run = flow_run_of(client, state)
    history = [s.type for s in client.read_flow_run_states(run.id)]
    assert history == [StateType.PENDING, StateType.FAILED]
    assert run.run_count == 0 and run.start_time is None


def test_parameters_stored_as_json(client):
    @flow
    def f(when: dt.datetime, point: Point, items: set[int], blob: object = None):
        return None

    when = dt.datetime(2024, 5, 1, 12, tzinfo=dt.UTC)
    run = flow_run_of(client, f(when, Point(x=1, y=2), {3}, return_state=True))
    assert run.parameters["point"] == {"x": 1, "y": 2}
    assert run.parameters["items"] == [3]
    assert run.parameters["when"].startswith("2024-05-01T12:00:00")


def test_integers_beyond_64_bits_are_parameters_like_any_other(client):
    # JSON and Python have no limit on integers; orjson stops at 64 bits.
    @task
    def twice(x: int) -> int:
        return 2 * x

    @flow
    def f(x: int, xs: list[int]) -> int:
        return twice(x) + sum(xs)

    big = 2**64 + 1
    state = f(big, [-(2**70), 3], return_state=True)

    assert state.result() == 2 * big - 2**70 + 3
    run = flow_run_of(client, state)
    assert run.parameters == {"x": big, "xs": [-(2**70), 3]}
    assert type(run.parameters["x"]) is int


def test_unstorable_and_self_referential_parameters(client):
    class Opaque:
        pass

    loop: list = [1]
    loop.append(loop)
    seen = {}

    @flow(validate_parameters=False)
    def f(a, b):
        seen["a"], seen["b"] = a, b
        return "ok"

    state = f(Opaque(), loop, return_state=True)
    assert state.result() == "ok"
    assert seen["b"] is loop
    run = flow_run_of(client, state)
    assert "Opaque not stored" in run.parameters["a"]
    assert "refers to itself" in run.parameters["b"]
    logs = client.read_logs()
    assert any("Parameter 'b'" in log.message and "refers to itself" in log.message for log in logs)


def test_flow_retries_obey_server(client):
    attempts = []

    @flow(retries=2, retry_delay_seconds=0)
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise RuntimeError("not yet")
        return "done"

    state = flaky(return_state=True)
    assert state.result() == "done"
    run = flow_run_of(client, state)
    assert run.run_count == 3
    names = [s.name for s in client.read_flow_run_states(run.id)]
    assert names.count("AwaitingRetry") == 2


def test_flow_retries_exhausted(client):
    @flow(retries=1)
    def always() -> None:
        raise RuntimeError("never")

    state = always(return_state=True)
    assert state.is_failed()
    assert flow_run_of(client, state).run_count == 2


def test_flow_hooks():
    calls = []

    def on_done(fl, run, state):
        calls.append(("completion", fl.name, state.type))

    def on_fail(fl, run, state):
        calls.append(("failure", run.id is not None, state.type))

    def on_run(fl, run, state):
        calls.append(("running", state.type))

    @flow(on_completion=[on_done], on_running=[on_run])
    def good() -> None: ...

    @flow(on_failure=[on_fail])
    def bad() -> None:
        raise ValueError()

    good()
    bad(return_state=True)
    assert calls == [
        ("running", StateType.RUNNING),
        ("completion", "good", StateType.COMPLETED),
        ("failure", True, StateType.FAILED),
    ]


def test_hook_errors_do_not_change_state():
    def broken(*_):
        raise RuntimeError("hook broke")

    @flow(on_completion=[broken])
    def f() -> int:
        return 1

    assert f() == 1


class Service:
    factor = 3

    def __init__(self, base: int) -> None:
        self.base = base

    @flow
    def instance_flow(self, x: int) -> int:
        return self.base + x

    @classmethod
    @flow
    def class_flow(cls, x: int) -> int:
        return cls.factor * x

    @staticmethod
    @flow
    def static_flow(x: int) -> int:
        return x - 1

    @task
    def instance_task(self, x: int) -> int:
        return self.base * x

    @task
    @classmethod
    def class_task(cls, x: int) -> int:
        return cls.factor + x


def test_methods_as_flows_and_tasks(client):
    svc = Service(10)
    assert svc.instance_flow(5) == 15
    assert Service.class_flow(2) == 6
    assert Service.static_flow(2) == 1
    state = svc.instance_flow(1, return_state=True)
    assert flow_run_of(client, state).parameters == {"x": 1}

    @flow
    def uses_tasks() -> tuple[int, int]:
        return svc.instance_task(2), Service.class_task(1)

    assert uses_tasks() == (20, 4)
