"""Cache policies: key properties, composition, and errors for unhashable inputs."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from pydantic import BaseModel

import podium
from podium.cache_policies import (
    DEFAULT,
    FLOW_PARAMETERS,
    INPUTS,
    NO_CACHE,
    NONE,
    RUN_ID,
    TASK_SOURCE,
    CacheKeyFnPolicy,
    CachePolicy,
    CompoundCachePolicy,
    Inputs,
    hash_objects,
)
from podium.exceptions import HashError


def task_fn(x):
    return x + 1


def other_fn(x):
    return x + 2


def make_ctx(fn=task_fn, flow_run_id=None, task_run_id=None):
    return SimpleNamespace(
        task=SimpleNamespace(fn=fn),
        task_run=SimpleNamespace(
            flow_run_id=flow_run_id if flow_run_id is not None else uuid.uuid4(),
            id=task_run_id or uuid.uuid4(),
        ),
    )


class Model(BaseModel):
    a: int
    b: list[str]


@dataclasses.dataclass
class Record:
    name: str
    size: int


scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.uuids()
    | st.datetimes()
)
values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.tuples(children)
        | st.dictionaries(st.text(max_size=5), children, max_size=4)
        | st.frozensets(st.integers() | st.text(), max_size=4)
    ),
    max_leaves=12,
)
inputs_strategy = st.dictionaries(st.text(min_size=1, max_size=8), values, min_size=1, max_size=4)


def _structurally_equal(a, b):
    # ``==`` says 1 == 1.0 == True and (1,) != [1]; keys follow types, so compare with them
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_structurally_equal(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(map(_structurally_equal, a, b))
    if isinstance(a, frozenset):
        return a == b and {type(x) for x in a} == {type(x) for x in b}
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, dt.datetime):
        return a == b and a.tzinfo == b.tzinfo
    return a == b


@given(inputs_strategy)
def test_equal_inputs_give_equal_keys(inputs):
    ctx = make_ctx()
    copy = {k: v for k, v in reversed(list(inputs.items()))}  # order must not matter
    assert DEFAULT.compute_key(ctx, inputs, {}) == DEFAULT.compute_key(ctx, copy, {})


@given(inputs_strategy, inputs_strategy)
def test_different_inputs_give_different_keys(first, second):
    assume(
        first.keys() != second.keys()
        or not all(_structurally_equal(first[k], second[k]) for k in first)
    )
    ctx = make_ctx()
    assert INPUTS.compute_key(ctx, first, {}) != INPUTS.compute_key(ctx, second, {})


def test_look_alike_values_do_not_collide():
    ctx = make_ctx()
    look_alikes = [[1, 2], (1, 2), {1, 2}, {"1": 2}, {1: 2}, "[1, 2]", b"12", None, 0, 0.0, False]
    keys = {INPUTS.compute_key(ctx, {"x": v}, {}) for v in look_alikes}
    assert len(keys) == len(look_alikes)


def test_models_dataclasses_and_sets_hash_by_content():
    ctx = make_ctx()
    key = INPUTS.compute_key
    assert key(ctx, {"m": Model(a=1, b=["x"])}, {}) == key(ctx, {"m": Model(a=1, b=["x"])}, {})
    assert key(ctx, {"m": Model(a=1, b=["x"])}, {}) != key(ctx, {"m": Model(a=2, b=["x"])}, {})
    assert key(ctx, {"r": Record("a", 1)}, {}) != key(ctx, {"r": Record("a", 2)}, {})


def test_keys_are_stable_across_processes():
    # string hashing is randomised per process; set ordering must not leak into keys
    code = (
        "from podium.cache_policies import hash_objects;"
        "print(hash_objects({'a', 'b', 'c', 'd'}, frozenset({'x', 'y'})))"
    )
    src = str(Path(next(iter(podium.__path__))).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    env.pop("PYTHONHASHSEED", None)
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
        ).stdout
        for _ in range(3)
    }
    assert len(outputs) == 1
    assert outputs.pop().strip() == hash_objects({"a", "b", "c", "d"}, frozenset({"x", "y"}))


def test_unhashable_input_names_parameter_and_fixes():
    with pytest.raises(ValueError) as info:
        DEFAULT.compute_key(make_ctx(), {"x": 1, "lock": threading.Lock()}, {})
    message = str(info.value)
    assert "'lock'" in message
    assert 'INPUTS - "lock"' in message and "NO_CACHE" in message
    assert isinstance(info.value.__cause__, HashError)


def test_excluding_an_input():
    ctx = make_ctx()
    lock_inputs = {"x": 1, "lock": threading.Lock()}
    expected = INPUTS.compute_key(ctx, {"x": 1}, {})
    assert (INPUTS - "lock").compute_key(ctx, lock_inputs, {}) == expected
    assert Inputs(exclude=["lock"]).compute_key(ctx, lock_inputs, {}) == expected
    assert (DEFAULT - "lock").compute_key(ctx, lock_inputs, {}) == DEFAULT.compute_key(
        ctx, {"x": 1}, {}
    )
    assert TASK_SOURCE - "x" is TASK_SOURCE
    with pytest.raises(TypeError):
        INPUTS - 1  # type: ignore[operator]


def test_task_source():
    assert TASK_SOURCE.compute_key(make_ctx(task_fn), {}, {}) != TASK_SOURCE.compute_key(
        make_ctx(other_fn), {}, {}
    )
    assert TASK_SOURCE.compute_key(None, {}, {}) is None
    # no source available: falls back to the compiled code, still telling functions apart
    one = eval("lambda: 1")
    two = eval("lambda: 2")
    assert TASK_SOURCE.compute_key(make_ctx(one), {}, {}) != TASK_SOURCE.compute_key(
        make_ctx(two), {}, {}
    )
    assert TASK_SOURCE.compute_key(make_ctx(len), {}, {}) is not None


def test_run_id():
    flow_run_id = uuid.uuid4()
    assert RUN_ID.compute_key(make_ctx(flow_run_id=flow_run_id), {}, {}) == str(flow_run_id)
    task_run_id = uuid.uuid4()
    ctx = SimpleNamespace(task_run=SimpleNamespace(flow_run_id=None, id=task_run_id))
    assert RUN_ID.compute_key(ctx, {}, {}) == str(task_run_id)
    assert RUN_ID.compute_key(None, {}, {}) is None


def test_default_depends_on_run_inputs_and_source():
    run = uuid.uuid4()
    base = DEFAULT.compute_key(make_ctx(flow_run_id=run), {"x": 1}, {})
    assert base == DEFAULT.compute_key(make_ctx(flow_run_id=run), {"x": 1}, {})
    assert base != DEFAULT.compute_key(make_ctx(flow_run_id=uuid.uuid4()), {"x": 1}, {})
    assert base != DEFAULT.compute_key(make_ctx(flow_run_id=run), {"x": 2}, {})
    assert base != DEFAULT.compute_key(make_ctx(other_fn, flow_run_id=run), {"x": 1}, {})


def test_flow_parameters():
    assert FLOW_PARAMETERS.compute_key(None, {}, {}) is None
    assert FLOW_PARAMETERS.compute_key(None, {}, {"a": 1}) != FLOW_PARAMETERS.compute_key(
        None, {}, {"a": 2}
    )


def test_no_cache():
    assert NO_CACHE.compute_key(make_ctx(), {"x": 1}, {}) is None
    assert NONE.compute_key(make_ctx(), {"x": 1}, {}) is None
    assert INPUTS + NO_CACHE is INPUTS
    assert NO_CACHE + INPUTS is INPUTS


def test_compound_policies_flatten_and_merge_inputs():
    policy = (INPUTS - "a") + TASK_SOURCE + (INPUTS - "b") + RUN_ID
    assert isinstance(policy, CompoundCachePolicy)
    inputs = [p for p in policy.policies if isinstance(p, Inputs)]
    assert len(inputs) == 1 and inputs[0].exclude == ["a", "b"]
    assert len(policy.policies) == 3
    assert CompoundCachePolicy(policies=[NO_CACHE]).compute_key(make_ctx(), {}, {}) is None


def test_cache_key_fn_policy():
    def key_fn(ctx, inputs):
        return f"fixed-{inputs['x']}"

    policy = CachePolicy.from_cache_key_fn(key_fn)
    assert isinstance(policy, CacheKeyFnPolicy)
    assert policy.compute_key(make_ctx(), {"x": 3}, {}) == "fixed-3"
    combined = policy + RUN_ID
    assert combined.compute_key(make_ctx(flow_run_id=uuid.UUID(int=1)), {"x": 3}, {}) == (
        hash_objects("fixed-3", str(uuid.UUID(int=1)))
    )


def test_configure_key_storage(tmp_path):
    configured = INPUTS.configure(key_storage=str(tmp_path))
    assert configured.key_storage == str(tmp_path) and INPUTS.key_storage is None
    assert (configured + TASK_SOURCE).key_storage == str(tmp_path)
    with pytest.raises(ValueError, match="different key storages"):
        configured + TASK_SOURCE.configure(key_storage="memory://elsewhere")
