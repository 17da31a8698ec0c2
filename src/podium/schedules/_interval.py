"""Interval schedules: a fixed step from an anchor date."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    field_serializer,
    field_validator,
    model_validator,
)

from podium.schedules._base import (
    DEFAULT_ANCHOR_DATE,
    ONE_DAY,
    ScheduleBase,
    check_timezone,
    first_reading,
    timezone_name,
    zone_info,
)

# --------------------------------------------------------------------------------------
# Interval schedules.
# --------------------------------------------------------------------------------------


class IntervalSchedule(ScheduleBase):
    """A schedule firing every ``interval``, on the grid through ``anchor_date``.

    Occurrences are ``anchor_date + k * interval`` for every integer ``k``, so dates before
    the anchor line up with it too. Intervals shorter than a day are added as elapsed time,
    so an hourly schedule fires every real hour, twice at "01:00" local on a fall-back day.
    Intervals of a day or more are added to the anchor's wall-clock time in ``timezone``,
    so a daily 09:00 schedule stays at 09:00 local time across DST changes (wall times
    that do not exist are shifted forward by the gap; repeated ones use the first).

    Attributes:
        interval: The spacing between runs; a number is read as seconds. Must be positive.
            Serialized to JSON as a number of seconds.
        anchor_date: A point on the schedule's grid. A naive value is read in ``timezone``.
            Defaults to :data:`DEFAULT_ANCHOR_DATE` in ``timezone``. Stored in
            ``timezone``, serialized with its UTC offset.
        timezone: IANA time zone name used for wall-clock arithmetic. Defaults to the
            anchor's own zone when it carries an IANA name, else ``"UTC"``.
    """

    interval: timedelta = Field(gt=timedelta(0))
    anchor_date: datetime = Field(default=DEFAULT_ANCHOR_DATE)
    timezone: str | None = Field(default=None, examples=["America/New_York"])

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        anchor = data.get("anchor_date")
        if anchor is None:
            data.pop("anchor_date", None)
        if data.get("timezone") is None:
            tzinfo = anchor.tzinfo if isinstance(anchor, datetime) else None
            data["timezone"] = timezone_name(tzinfo) or "UTC"
        return data

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str:
        return check_timezone("UTC" if value is None else value)

    @model_validator(mode="after")
    def _localize_anchor(self) -> IntervalSchedule:
        zone = zone_info(self.timezone or "UTC")
        anchor = self.anchor_date
        if anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=zone)
        # Going through UTC also turns a wall time inside a DST gap into a real one, which
        # keeps equality stable across a JSON round-trip.
        self.anchor_date = anchor.astimezone(UTC).astimezone(zone)
        return self

    @field_serializer("interval", when_used="json")
    def _interval_seconds(self, value: timedelta) -> float:
        return value.total_seconds()

    def _iter_from(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        if self.interval < ONE_DAY:
            return self._elapsed_steps(start)
        return self._wall_clock_steps(start, zone)

    def _elapsed_steps(self, start: datetime) -> Iterator[datetime]:
        anchor, interval = self.anchor_date.astimezone(UTC), self.interval
        k = -((anchor - start) // interval)  # ceiling division: the first step at/after start
        while True:
            yield anchor + k * interval
            k += 1

    def _wall_clock_steps(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        wall_anchor = self.anchor_date.astimezone(zone).replace(tzinfo=None)
        interval = self.interval

        def occurrence(k: int) -> datetime:
            return first_reading(wall_anchor + k * interval, zone)

        wall_start = start.astimezone(zone).replace(tzinfo=None)
        k = -((wall_anchor - wall_start) // interval)
        # The estimate is off by at most one step where DST moves the wall clock.
        while occurrence(k - 1) >= start:
            k -= 1
        while occurrence(k) < start:
            k += 1
        while True:
            yield occurrence(k)
            k += 1
