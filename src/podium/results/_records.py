"""Result records: a value with the metadata that says where and how it is stored.

A record is stored as one file (or object) in two parts:

1. a header: one line of JSON ending in ``\\n``, holding ``"format": "podium-result/1"``,
   the :class:`ResultRecordMetadata` fields and ``payload_size``;
2. the payload: the bytes the record's serializer produced, exactly ``payload_size`` long.

The JSON encoder never writes a raw newline, so the first ``\\n`` always ends the header.
The payload is raw bytes, not base64, so large results cost no encoding overhead. The
size check makes a truncated file an error rather than a silently wrong value.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationError

from podium.exceptions import MissingResult
from podium.schemas._base import UtcDateTime, now_utc

__all__ = ["RESULT_FORMAT", "ResultRecord", "ResultRecordMetadata"]

RESULT_FORMAT = "podium-result/1"
"""Format marker written in every record header and in every ``State.data`` reference."""


class ResultRecordMetadata(BaseModel):
    """Where a result is stored and how to read it back.

    Attributes:
        storage_key: the record's path relative to ``storage_basepath``.
        storage_basepath: the storage's ``base_url()``: an absolute local directory or an
            fsspec URL; ``None`` when the storage cannot be described by a string (then
            only a caller holding that storage object can read the record).
        serializer: the ``type`` name of the serializer that wrote the payload.
        expiration: when the record stops counting as a valid cached value (UTC);
            ``None`` means never.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    storage_key: str
    storage_basepath: str | None = None
    serializer: str = "pickle"
    expiration: UtcDateTime | None = None

    def is_expired(self, now: dt.datetime | None = None) -> bool:
        """Whether ``expiration`` has passed."""
        return self.expiration is not None and self.expiration <= (now or now_utc())


class ResultRecord(BaseModel):
    """A result value together with its metadata.

    Attributes:
        metadata: where and how the value is stored.
        result: the value itself.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    metadata: ResultRecordMetadata
    result: Any = None

    def serialize_with(self, payload: bytes) -> bytes:
        """Return the stored form of this record, given its already-serialized payload."""
        header = {
            "format": RESULT_FORMAT,
            **self.metadata.model_dump(mode="json"),
            "payload_size": len(payload),
        }
        return orjson.dumps(header) + b"\n" + payload


def split_record(blob: bytes, where: str) -> tuple[ResultRecordMetadata, bytes]:
    """Split a stored record into its metadata and payload bytes.

    Args:
        blob: the stored bytes.
        where: a description of the record's location, used in error messages.

    Raises:
        MissingResult: the bytes are not a complete record (corrupt or truncated).
    """
    header_bytes, sep, payload = blob.partition(b"\n")
    try:
        if not sep:
            raise ValueError("no header line")
        header = orjson.loads(header_bytes)
        if not isinstance(header, dict) or header.get("format") != RESULT_FORMAT:
            raise ValueError("not a result record")
        metadata = ResultRecordMetadata.model_validate(header)
        expected = header.get("payload_size")
    except (ValueError, ValidationError) as exc:
        raise MissingResult(f"The result record at {where} is unreadable: {exc}.") from None
    if expected != len(payload):
        raise MissingResult(
            f"The result record at {where} is truncated: expected {expected} payload bytes, "
            f"found {len(payload)}."
        )
    return metadata, payload
