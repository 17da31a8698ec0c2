"""Serializers: how a result value becomes bytes in storage and comes back.

Every serializer is a small pydantic model with a ``type`` name, so a result's metadata
can record which one wrote it and another process can read it back. Built in:

* ``"pickle"`` (:class:`PickleSerializer`, the default): cloudpickle, so lambdas, local
  classes and closures work. ``picklelib`` names another module with ``dumps``/``loads``
  (``"pickle"``, ``"dill"``). Loading pickles runs code: only read storage you trust.
* ``"json"`` (:class:`JSONSerializer`): orjson, readable by anything. JSON's own types
  (``dict`` with ``str`` keys, ``list``, ``str``, ``int``, ``float``, ``bool``, ``None``)
  are written plainly. These also round-trip, written as ``{"__podium_type__": ...}``
  objects: ``datetime``, ``date``, ``time``, ``timedelta``, ``UUID``, ``Decimal``,
  ``bytes``, ``Path``, ``tuple``, ``set``, ``frozenset``, dicts with non-``str`` keys,
  integers beyond 64 bits, non-finite floats, enums, dataclasses and pydantic models
  (the last three are re-imported by their qualified name when loaded). Anything else
  raises :class:`~podium.exceptions.SerializationError`.
* ``"compressed/pickle"`` and ``"compressed/json"``: the above, compressed
  (:class:`CompressedSerializer` wraps any serializer; ``compressionlib`` is ``"zlib"``,
  ``"lzma"`` or ``"bz2"``, and is recognised from the data when loading).

Result metadata records only the ``type`` name; options that change the bytes
(``picklelib``, ``compressionlib``) need not be known to read them back, except a
``picklelib`` whose pickles only that library can load (e.g. ``dill``).

A custom serializer subclasses :class:`Serializer` with a unique
``type: Literal["name"] = "name"`` field; :func:`resolve_serializer` then finds it by name.
"""

from __future__ import annotations

import abc
import base64
import dataclasses
import datetime as dt
import enum
import importlib
import math
import uuid
from decimal import Decimal
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any, Literal

import cloudpickle
import orjson
from pydantic import BaseModel, ConfigDict, Field, SerializeAsAny, field_validator

from podium.exceptions import SerializationError

__all__ = [
    "CompressedJSONSerializer",
    "CompressedPickleSerializer",
    "CompressedSerializer",
    "JSONSerializer",
    "PickleSerializer",
    "Serializer",
    "resolve_serializer",
]

_REGISTRY: dict[str, type[Serializer]] = {}


def _type_name(obj: Any) -> str:
    cls = type(obj)
    return (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )


class Serializer(BaseModel, abc.ABC):
    """Turns values into bytes and back. Subclasses set a unique ``type`` default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        default = cls.model_fields["type"].default
        if isinstance(default, str):
            _REGISTRY[default] = cls

    @abc.abstractmethod
    def dumps(self, obj: Any) -> bytes:
        """Encode ``obj``; raises ``SerializationError`` naming its type if it can't."""

    @abc.abstractmethod
    def loads(self, blob: bytes) -> Any:
        """Decode bytes written by :meth:`dumps`; raises ``SerializationError``."""

    def _dump_error(self, obj: Any, exc: BaseException) -> SerializationError:
        return SerializationError(
            f"Cannot serialize a value of type {_type_name(obj)!r} with the "
            f"{self.type!r} serializer: {exc}"
        )

    def _load_error(self, exc: BaseException) -> SerializationError:
        return SerializationError(
            f"Cannot deserialize data with the {self.type!r} serializer: {exc}"
        )


def _import_module(name: str) -> ModuleType:
    module = importlib.import_module(name)
    if not (callable(getattr(module, "dumps", None)) and callable(getattr(module, "loads", None))):
        raise ValueError(f"Module {name!r} has no dumps()/loads() pair to pickle with.")
    return module


class PickleSerializer(Serializer):
    """Pickles values with cloudpickle (or the module named by ``picklelib``)."""

    type: Literal["pickle"] = "pickle"
    picklelib: str = "cloudpickle"

    @field_validator("picklelib")
    @classmethod
    def _check_picklelib(cls, value: str) -> str:
        _import_module(value)
        return value

    def _lib(self) -> Any:
        return cloudpickle if self.picklelib == "cloudpickle" else _import_module(self.picklelib)

    def dumps(self, obj: Any) -> bytes:
        try:
            return bytes(self._lib().dumps(obj))
        except Exception as exc:
            raise self._dump_error(obj, exc) from exc

    def loads(self, blob: bytes) -> Any:
        try:
            return self._lib().loads(blob)
        except Exception as exc:
            raise self._load_error(exc) from exc


class JSONSerializer(Serializer):
    """Writes values as JSON with orjson; see the module docstring for supported types."""

    type: Literal["json"] = "json"

    def dumps(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(_encode(obj))
        except _Unsupported as exc:
            raise SerializationError(
                f"Cannot serialize a value of type {exc.type_name!r} with the 'json' "
                f"serializer{exc.where()}: JSON has no encoding for it. Use the 'pickle' "
                "serializer, or convert the value to JSON types first."
            ) from None
        except (TypeError, ValueError, orjson.JSONEncodeError) as exc:
            raise self._dump_error(obj, exc) from exc

    def loads(self, blob: bytes) -> Any:
        try:
            return _decode(orjson.loads(blob))
        except Exception as exc:
            raise self._load_error(exc) from exc


_COMPRESSORS = ("zlib", "lzma", "bz2")


class CompressedSerializer(Serializer):
    """Compresses the bytes of another serializer."""

    type: Literal["compressed"] = "compressed"
    serializer: SerializeAsAny[Serializer] = Field(default_factory=lambda: PickleSerializer())
    compressionlib: str = "zlib"

    @field_validator("serializer", mode="before")
    @classmethod
    def _resolve_inner(cls, value: Any) -> Any:
        if isinstance(value, dict) and "type" in value:
            return _REGISTRY[value["type"]](**value) if value["type"] in _REGISTRY else value
        return resolve_serializer(value) if isinstance(value, str) else value

    @field_validator("compressionlib")
    @classmethod
    def _check_lib(cls, value: str) -> str:
        if value not in _COMPRESSORS:
            raise ValueError(f"compressionlib must be one of {_COMPRESSORS}, not {value!r}")
        return value

    def dumps(self, obj: Any) -> bytes:
        payload = self.serializer.dumps(obj)
        return bytes(importlib.import_module(self.compressionlib).compress(payload))

    def loads(self, blob: bytes) -> Any:
        # The library is recognised from the data, so a reader that knows only the
        # serializer's type name can read what any compressionlib wrote.
        lib = _sniff_compression(blob) or self.compressionlib
        try:
            payload = importlib.import_module(lib).decompress(blob)
        except Exception as exc:
            raise self._load_error(exc) from exc
        return self.serializer.loads(payload)


def _sniff_compression(blob: bytes) -> str | None:
    if blob.startswith(b"\xfd7zXZ\x00"):
        return "lzma"
    if blob.startswith(b"BZh"):
        return "bz2"
    if blob[:1] == b"\x78":
        return "zlib"
    return None


class CompressedPickleSerializer(CompressedSerializer):
    """Pickle, then compress."""

    type: Literal["compressed/pickle"] = "compressed/pickle"  # type: ignore[assignment]


class CompressedJSONSerializer(CompressedSerializer):
    """JSON, then compress."""

    type: Literal["compressed/json"] = "compressed/json"  # type: ignore[assignment]
    serializer: SerializeAsAny[Serializer] = Field(default_factory=lambda: JSONSerializer())


def resolve_serializer(value: str | Serializer | None) -> Serializer:
    """Return the serializer a ``result_serializer`` option names.

    Args:
        value: a serializer, a type name (``"pickle"``, ``"json"``, ``"compressed/json"``,
            or a custom serializer's ``type``), or ``None`` for the default (pickle).

    Raises:
        ValueError: ``value`` names no known serializer; the message lists the known ones.
    """
    if value is None:
        return PickleSerializer()
    if isinstance(value, Serializer):
        return value
    if isinstance(value, str):
        cls = _REGISTRY.get(value)
        if cls is None:
            known = ", ".join(repr(name) for name in sorted(_REGISTRY) if name != "compressed")
            raise ValueError(f"Unknown serializer type {value!r}; known types are {known}.")
        return cls()  # type: ignore[call-arg]  # registered classes default ``type``
    raise TypeError(
        f"A serializer must be a Serializer or a type name, not {type(value).__name__!r}."
    )


# --- JSON encoding of non-JSON types ------------------------------------------

_TAG = "__podium_type__"
_INT64 = (-(2**63), 2**64 - 1)


class _Unsupported(Exception):
    def __init__(self, type_name: str) -> None:
        self.type_name = type_name
        self.path: list[str] = []

    def where(self) -> str:
        return f" (at {''.join(reversed(self.path))})" if self.path else ""


def _qualified(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _load_class(path: str) -> type:
    module_name, _, qualname = path.partition(":")
    target: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        target = getattr(target, part)
    if not isinstance(target, type):
        raise TypeError(f"{path!r} is not a class")
    return target


def _tagged(kind: str, **fields: Any) -> dict[str, Any]:
    return {_TAG: kind, **fields}


def _encode(obj: Any) -> Any:
    if obj is None or type(obj) is str or type(obj) is bool:
        return obj
    if isinstance(obj, enum.Enum):
        # before str/int: a StrEnum or IntEnum member should come back as a member
        return _tagged("enum", cls=_qualified(type(obj)), value=_encode(obj.value))
    if isinstance(obj, str):
        return str(obj)
    if isinstance(obj, int):
        return obj if _INT64[0] <= obj <= _INT64[1] else _tagged("int", value=str(obj))
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else _tagged("float", value=repr(obj))
    if type(obj) is list:
        return [_encode_at(item, f"[{i}]") for i, item in enumerate(obj)]
    if type(obj) is dict:
        if all(type(k) is str for k in obj) and _TAG not in obj:
            return {k: _encode_at(v, f"[{k!r}]") for k, v in obj.items()}
        return _tagged(
            "dict", items=[[_encode(k), _encode_at(v, f"[{k!r}]")] for k, v in obj.items()]
        )
    if isinstance(obj, tuple | set | frozenset):
        return _tagged(type(obj).__name__, items=[_encode(item) for item in obj])
    if isinstance(obj, dt.datetime):
        return _tagged("datetime", value=obj.isoformat())
    if isinstance(obj, dt.date):
        return _tagged("date", value=obj.isoformat())
    if isinstance(obj, dt.time):
        return _tagged("time", value=obj.isoformat())
    if isinstance(obj, dt.timedelta):
        return _tagged("timedelta", value=[obj.days, obj.seconds, obj.microseconds])
    if isinstance(obj, uuid.UUID):
        return _tagged("uuid", value=str(obj))
    if isinstance(obj, Decimal):
        return _tagged("decimal", value=str(obj))
    if isinstance(obj, bytes | bytearray):
        return _tagged("bytes", value=base64.b64encode(obj).decode())
    if isinstance(obj, PurePath):
        return _tagged("path", value=str(obj))
    if isinstance(obj, BaseModel):
        return _tagged("model", cls=_qualified(type(obj)), value=obj.model_dump(mode="json"))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        fields = {f.name: _encode(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return _tagged("dataclass", cls=_qualified(type(obj)), value=fields)
    raise _Unsupported(_type_name(obj))


def _encode_at(obj: Any, step: str) -> Any:
    try:
        return _encode(obj)
    except _Unsupported as exc:
        exc.path.append(step)
        raise


_SIMPLE_DECODERS: dict[str, Any] = {
    "int": lambda v: int(v),
    "float": lambda v: float(v),
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "uuid": uuid.UUID,
    "decimal": Decimal,
    "bytes": base64.b64decode,
    "path": Path,
}


def _decode(obj: Any) -> Any:
    if type(obj) is list:
        return [_decode(item) for item in obj]
    if type(obj) is not dict:
        return obj
    kind = obj.get(_TAG)
    if kind is None:
        return {k: _decode(v) for k, v in obj.items()}
    if kind in _SIMPLE_DECODERS:
        return _SIMPLE_DECODERS[kind](obj["value"])
    if kind in ("tuple", "set", "frozenset"):
        return {"tuple": tuple, "set": set, "frozenset": frozenset}[kind](
            _decode(item) for item in obj["items"]
        )
    if kind == "dict":
        return {_decode(k): _decode(v) for k, v in obj["items"]}
    cls = _load_class(obj["cls"])
    if kind == "enum" and issubclass(cls, enum.Enum):
        return cls(_decode(obj["value"]))
    if kind == "model" and issubclass(cls, BaseModel):
        return cls.model_validate(obj["value"])
    if kind == "dataclass" and dataclasses.is_dataclass(cls):
        return cls(**{k: _decode(v) for k, v in obj["value"].items()})
    raise ValueError(f"Unknown encoded type {kind!r} for class {obj['cls']!r}")
