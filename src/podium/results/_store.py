"""The result store: writes and reads result records in one storage with one serializer.

A store is cheap to build; the engine builds one per task or flow from its
``result_storage`` and ``result_serializer`` options. Writes are atomic (see
:mod:`podium.filesystems`): a reader in any thread or process sees either a whole record
or none, and when two writers race on one key the last complete write wins.

A record travels between processes as a *reference*: the JSON object
:meth:`ResultStore.reference_for` returns, which the engine stores as ``State.data``.
:func:`load_result` reads the value back from a reference in any process that can reach
the storage.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from podium.exceptions import MissingResult
from podium.filesystems import (
    LocalFileSystem,
    WritableFileSystem,
    default_storage_path,
    resolve_storage,
)
from podium.results._records import (
    RESULT_FORMAT,
    ResultRecord,
    ResultRecordMetadata,
    split_record,
)
from podium.serializers import Serializer, resolve_serializer

__all__ = [
    "ResultStore",
    "default_result_storage",
    "is_result_reference",
    "load_result",
    "read_result_record",
]


def default_result_storage() -> LocalFileSystem:
    """Local storage at ``$PODIUM_HOME/storage`` (``PODIUM_HOME`` read at call time)."""
    return LocalFileSystem(basepath=str(default_storage_path()))


def _default_key() -> str:
    return uuid.uuid4().hex


def _base_url(storage: Any) -> str | None:
    base_url = getattr(storage, "base_url", None)
    return str(base_url()) if callable(base_url) else None


class ResultStore:
    """Writes result records to a storage with a serializer, and reads them back.

    Args:
        result_storage: where records go: a path, an fsspec URL, a filesystem, or
            ``None`` for ``$PODIUM_HOME/storage``.
        serializer: ``"pickle"`` (default), ``"json"``, another serializer type name,
            or a :class:`~podium.serializers.Serializer`.
        storage_key_fn: makes a key when :meth:`write` is given none (default: a random
            hex id).
    """

    def __init__(
        self,
        result_storage: str | Any | None = None,
        serializer: str | Serializer | None = "pickle",
        storage_key_fn: Callable[[], str] = _default_key,
    ) -> None:
        self.result_storage: WritableFileSystem = resolve_storage(result_storage)
        self.serializer: Serializer = resolve_serializer(serializer)
        self.storage_key_fn = storage_key_fn

    def __repr__(self) -> str:
        where = _base_url(self.result_storage) or type(self.result_storage).__name__
        return f"ResultStore(result_storage={where!r}, serializer={self.serializer.type!r})"

    def _where(self, key: str) -> str:
        return f"{_base_url(self.result_storage) or 'storage'}/{key}"

    # --- writing ------------------------------------------------------------

    def create_result_record(
        self, obj: Any, key: str | None = None, expiration: dt.datetime | None = None
    ) -> ResultRecord:
        """Wrap ``obj`` in a record for this store without writing it."""
        metadata = ResultRecordMetadata(
            storage_key=key or self.storage_key_fn(),
            storage_basepath=_base_url(self.result_storage),
            serializer=self.serializer.type,
            expiration=expiration,
        )
        return ResultRecord(metadata=metadata, result=obj)

    def persist_result_record(self, result_record: ResultRecord) -> ResultRecordMetadata:
        """Serialize and atomically write a record; return its metadata.

        Raises:
            SerializationError: the value cannot be serialized (nothing is written).
        """
        payload = self.serializer.dumps(result_record.result)
        blob = result_record.serialize_with(payload)
        self.result_storage.write_path(result_record.metadata.storage_key, blob)
        return result_record.metadata

    def write(
        self, obj: Any, key: str | None = None, expiration: dt.datetime | None = None
    ) -> ResultRecordMetadata:
        """Serialize ``obj`` and write it atomically under ``key``.

        Args:
            obj: the value.
            key: the storage key (a relative path); a fresh one is made if ``None``.
            expiration: when the record stops being a valid cached value.

        Returns:
            The record's metadata; pass it to :meth:`reference_for` for ``State.data``.

        Raises:
            SerializationError: the value cannot be serialized (nothing is written).
        """
        return self.persist_result_record(self.create_result_record(obj, key, expiration))

    # --- reading ------------------------------------------------------------

    def read(self, key: str) -> ResultRecord:
        """Read the record stored under ``key`` (expired or not).

        Raises:
            MissingResult: nothing is stored under ``key``, or what is there is not a
                complete record.
            SerializationError: the payload cannot be deserialized.
        """
        return read_result_record(self.result_storage, key)

    def exists(self, key: str) -> bool:
        """Whether an unexpired, complete record is stored under ``key``."""
        return self.lookup(key) is not None

    def lookup(self, key: str) -> ResultRecord | None:
        """Return the record under ``key`` if there is one and it has not expired.

        This is the cache check: one read, and ``None`` for anything that is not a
        usable record (missing, expired, truncated).
        """
        try:
            record = self.read(key)
        except MissingResult:
            return None
        return None if record.metadata.is_expired() else record

    # --- references ---------------------------------------------------------

    @staticmethod
    def reference_for(metadata: ResultRecordMetadata) -> dict[str, Any]:
        """The JSON object to store as ``State.data`` for a written record."""
        return {"format": RESULT_FORMAT, **metadata.model_dump(mode="json")}


def read_result_record(storage: WritableFileSystem, key: str) -> ResultRecord:
    """Read and decode the record under ``key`` in ``storage``.

    Raises:
        MissingResult: the record is absent or incomplete.
        SerializationError: the payload cannot be deserialized.
    """
    where = f"{_base_url(storage) or 'storage'}/{key}"
    try:
        blob = storage.read_path(key)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise MissingResult(
            f"No result is stored at {where}. It may never have been persisted, or it was deleted."
        ) from None
    metadata, payload = split_record(blob, where)
    value = resolve_serializer(metadata.serializer).loads(payload)
    return ResultRecord(metadata=metadata, result=value)


def is_result_reference(obj: Any) -> bool:
    """Whether ``obj`` is a result reference (as stored in ``State.data``)."""
    return isinstance(obj, dict) and obj.get("format") == RESULT_FORMAT and "storage_key" in obj


def load_result(reference: dict[str, Any], storage: WritableFileSystem | None = None) -> Any:
    """Read the value a result reference points to, from any process.

    Args:
        reference: a dict from :meth:`ResultStore.reference_for` (e.g. ``State.data``).
        storage: the storage to read from; by default the one the reference names
            (needed only for storages without a ``base_url()``, or to supply
            credentials).

    Raises:
        MissingResult: the reference names no reachable storage, or the record is gone.
        SerializationError: the payload cannot be deserialized.
    """
    if not is_result_reference(reference):
        raise ValueError(f"Not a result reference: {reference!r}")
    metadata = ResultRecordMetadata.model_validate(reference)
    if storage is None:
        if metadata.storage_basepath is None:
            raise MissingResult(
                f"The result {metadata.storage_key!r} was written to a storage that cannot be "
                "located from another process; pass that storage to load_result()."
            )
        storage = resolve_storage(metadata.storage_basepath)
    return read_result_record(storage, metadata.storage_key).result
