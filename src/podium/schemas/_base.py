"""Base model and field types every schema shares."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from podium._ids import new_uuid


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _as_utc(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


UtcDateTime = Annotated[dt.datetime, AfterValidator(_as_utc)]
"""A timestamp kept timezone-aware in UTC; a naive value is taken as UTC."""


def in_utc(value: dt.datetime | None) -> dt.datetime | None:
    """``value`` as :data:`UtcDateTime` would have it (``None`` stays ``None``)."""
    if value is None or value.tzinfo is dt.UTC:
        return value
    return _as_utc(value)


class PodiumModel(BaseModel):
    """Base of every object that crosses the API."""

    model_config = ConfigDict(
        extra="ignore",
        from_attributes=True,
        populate_by_name=True,
        ser_json_timedelta="float",
    )


class ActionModel(PodiumModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", from_attributes=True, populate_by_name=True)


class ObjectModel(PodiumModel):
    """An object the server stores: it has an id and creation/update times."""

    id: UUID = Field(default_factory=new_uuid)
    created: UtcDateTime | None = None
    updated: UtcDateTime | None = None
