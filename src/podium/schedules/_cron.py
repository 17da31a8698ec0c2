"""Cron schedules, evaluated in their time zone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    field_validator,
)

from podium.schedules._base import ScheduleBase, check_timezone, resolve_wall_times, wall_floor

# croniter (with dateutil) is imported where a cron expression is first read: loading it
# cost more than the rest of the schedules, in every process that imports the client.


def check_cron(value: str) -> str:
    from croniter import croniter

    if croniter.is_valid(value):
        return value
    reason = ""
    try:
        croniter(value)
    except Exception as exc:  # croniter raises several unrelated types; only the text matters
        reason = f": {exc}"
    raise ValueError(f"cron {value!r} is not a valid cron expression{reason}")


# --------------------------------------------------------------------------------------
# Cron schedules.
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _runs_every_hour(cron: str) -> bool:
    from croniter import croniter

    hours = croniter(cron).expanded[1]
    return "*" in hours or set(hours) >= set(range(24))


class CronSchedule(ScheduleBase):
    """A schedule firing whenever the wall clock in ``timezone`` matches a cron expression.

    Any expression :mod:`croniter` accepts is allowed, including ``@daily``-style aliases
    and the optional seconds field. On DST change days a scheduled wall time that is
    skipped runs shifted forward by the gap (02:30 becomes 03:30 in America/New_York) and
    one that is repeated runs once, at its first occurrence. Expressions whose hour field
    covers every hour run in both copies of a repeated hour, since that hour really
    elapses twice; they have nothing to run in a skipped hour.

    Attributes:
        cron: The cron expression, e.g. ``"0 9 * * 1-5"``.
        timezone: IANA time zone name the expression is evaluated in. Defaults to ``"UTC"``.
        day_or: How day-of-month and day-of-week combine when both are restricted: ``True``
            (the cron default) fires when either matches, ``False`` only when both do.
    """

    cron: str = Field(examples=["0 0 * * *"])
    timezone: str | None = Field(
        default="UTC", validate_default=True, examples=["America/New_York"]
    )
    day_or: bool = True

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        return check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str:
        return check_timezone("UTC" if value is None else value)

    def _iter_from(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        return resolve_wall_times(
            self._wall_times(wall_floor(start, zone)),
            zone,
            every_hour=_runs_every_hour(self.cron),
        )

    def _wall_times(self, after: datetime) -> Iterator[datetime]:
        from croniter import CroniterBadDateError, croniter

        # Naive datetimes keep croniter in pure wall-clock arithmetic; DST is applied later.
        matches = croniter(self.cron, after, day_or=self.day_or)
        while True:
            try:
                yield matches.get_next(datetime)
            except CroniterBadDateError:  # the expression never matches again
                return
