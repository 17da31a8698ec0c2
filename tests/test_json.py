"""JSON with orjson, for integers of any size too (``podium._json``)."""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid

import orjson
import pytest

from podium._json import dumps, loads


class Color(enum.Enum):
    RED = "red"


def test_values_orjson_writes_are_written_by_orjson_unchanged() -> None:
    value = {"b": [1, 2.5, None, True], "a": "é", "n": -(2**63), "m": 2**63 - 1}

    assert dumps(value) == orjson.dumps(value)
    assert loads(dumps(value)) == value


def test_integers_beyond_64_bits_are_written_and_read_back_as_integers() -> None:
    when = dt.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    run_id = uuid.UUID(int=7)
    value = {"big": 2**64, "z": [-(2**70), {"k": (1, 10**30)}], "when": when, "id": run_id}

    text = dumps(value, option=orjson.OPT_SORT_KEYS)

    assert json.loads(text) == {
        "big": 2**64,
        "id": str(run_id),
        "when": orjson.dumps(when).decode().strip('"'),
        "z": [-(2**70), {"k": [1, 10**30]}],
    }
    assert list(json.loads(text)) == ["big", "id", "when", "z"]
    loaded = loads(text)
    assert loaded["big"] == 2**64 and type(loaded["big"]) is int
    assert loaded["z"][1]["k"] == [1, 10**30]


def test_the_fallback_takes_non_string_keys_enums_and_the_default() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque"

    value = {1: 2**65, None: Color.RED, "o": Opaque()}

    text = dumps(value, option=orjson.OPT_NON_STR_KEYS, default=str)

    assert json.loads(text) == {"1": 2**65, "null": "red", "o": "opaque"}


def test_other_values_orjson_refuses_are_still_refused() -> None:
    with pytest.raises(TypeError):
        dumps({"o": object()})
    with pytest.raises(TypeError):
        dumps({"o": object(), "big": 2**64})
