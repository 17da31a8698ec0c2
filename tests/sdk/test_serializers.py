"""Serializers: round trips, the JSON type tags, and clear errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import threading
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from podium.exceptions import SerializationError
from podium.serializers import (
    CompressedJSONSerializer,
    CompressedPickleSerializer,
    CompressedSerializer,
    JSONSerializer,
    PickleSerializer,
    Serializer,
    resolve_serializer,
)


class Color(enum.Enum):
    RED = "red"


class Point(BaseModel):
    x: int
    when: dt.datetime


@dataclasses.dataclass
class Pair:
    left: int
    right: tuple[int, int]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text()
    | st.binary()
    | st.uuids()
    | st.datetimes(timezones=st.just(dt.UTC))
    | st.dates()
    | st.timedeltas(),
    lambda children: (
        st.lists(children)
        | st.tuples(children, children)
        | st.dictionaries(st.text(), children)
        | st.dictionaries(st.integers(), children)
        | st.frozensets(st.integers() | st.text())
    ),
    max_leaves=20,
)


@given(json_values)
def test_json_round_trips_supported_types(value):
    serializer = JSONSerializer()
    assert serializer.loads(serializer.dumps(value)) == value


def test_json_round_trips_named_types():
    serializer = JSONSerializer()
    value = {
        "color": Color.RED,
        "point": Point(x=1, when=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)),
        "pair": Pair(1, (2, 3)),
        "decimal": Decimal("1.10"),
        "path": Path("/tmp/x"),
        "set": {1, 2},
        "big": 2**80,
        "inf": float("inf"),
        "__podium_type__": "not a tag",
    }
    assert serializer.loads(serializer.dumps(value)) == value


def test_json_writes_plain_json_for_json_values():
    assert JSONSerializer().dumps({"a": [1, "b", None]}) == b'{"a":[1,"b",null]}'


def test_json_error_names_type_path_and_serializer():
    with pytest.raises(SerializationError) as info:
        JSONSerializer().dumps({"items": [1, threading.Lock()]})
    message = str(info.value)
    assert "lock" in message and "'json'" in message and "['items'][1]" in message


def test_pickle_round_trips_closures():
    factor = 3
    serializer = PickleSerializer()
    fn = serializer.loads(serializer.dumps(lambda x: x * factor))
    assert fn(2) == 6


def test_pickle_error_names_type_and_serializer():
    with pytest.raises(SerializationError, match=r"'_thread\.lock'.*'pickle'"):
        PickleSerializer().dumps(threading.Lock())


def test_pickle_load_error_is_serialization_error():
    with pytest.raises(SerializationError, match="deserialize"):
        PickleSerializer().loads(b"not a pickle")


def test_picklelib_option():
    serializer = PickleSerializer(picklelib="pickle")
    assert serializer.loads(serializer.dumps({"a": 1})) == {"a": 1}
    with pytest.raises(ValueError, match="dumps"):
        PickleSerializer(picklelib="math")


@pytest.mark.parametrize("lib", ["zlib", "lzma", "bz2"])
def test_compressed_is_read_by_type_name(lib):
    blob = CompressedSerializer(compressionlib=lib).dumps(["x"] * 100)
    assert resolve_serializer("compressed").loads(blob) == ["x"] * 100


def test_compressed_variants():
    for serializer in (CompressedPickleSerializer(), CompressedJSONSerializer()):
        assert serializer.loads(serializer.dumps({"k": [1, 2]})) == {"k": [1, 2]}
    assert CompressedJSONSerializer().serializer.type == "json"


def test_resolve_serializer():
    assert isinstance(resolve_serializer(None), PickleSerializer)
    assert isinstance(resolve_serializer("json"), JSONSerializer)
    custom = JSONSerializer()
    assert resolve_serializer(custom) is custom
    with pytest.raises(ValueError, match=r"Unknown serializer type 'yaml'.*'json'.*'pickle'"):
        resolve_serializer("yaml")
    with pytest.raises(TypeError):
        resolve_serializer(42)  # type: ignore[arg-type]


def test_custom_serializer_is_found_by_name():
    class Upper(Serializer):
        type: Literal["test-upper"] = "test-upper"

        def dumps(self, obj):
            return str(obj).upper().encode()

        def loads(self, blob):
            return blob.decode()

    assert resolve_serializer("test-upper").loads(Upper().dumps("abc")) == "ABC"


def test_uuid_type_is_kept():
    value = uuid.uuid4()
    assert JSONSerializer().loads(JSONSerializer().dumps(value)) == value
