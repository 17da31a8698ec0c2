"""Schedules a deployment can carry: fixed intervals, cron expressions and RFC 5545 rules.

Every schedule is a pydantic model that round-trips through ``model_dump(mode="json")`` and
``model_validate``, so the same objects are stored by the server and sent over the API. The
module is pure (no I/O) and imports nothing else from podium, so both the SDK and the server
can use it.

All schedules answer one question, :meth:`get_dates`: which instants come next. Results are
timezone-aware datetimes in UTC, strictly increasing, without duplicates.

Daylight saving time
--------------------
A schedule is evaluated in its ``timezone`` (an IANA name, ``"UTC"`` by default). Twice a
year a wall-clock time is either skipped (spring forward) or repeated (fall back):

* A wall time that is scheduled but never shows on the clock runs at the instant it would
  have had under the offset in force before the change, that is, shifted forward by the
  gap: a daily 02:30 job in America/New_York runs at 03:30 EDT on the spring-forward day
  (exactly 24 hours after the previous run). If the shifted run lands on a time the
  schedule also asks for, the two are one run.
* A wall time that shows twice runs once, at its first occurrence: a daily 01:30 job in
  America/New_York runs at 01:30 EDT on the fall-back day, not again at 01:30 EST.
* Exception for cron expressions whose hour field covers every hour (``0 * * * *``,
  ``*/15 * * * *``, ``@hourly``): they describe a cadence within every hour, and the
  repeated hour is a real elapsed hour, so they run in both copies of it and simply have
  nothing to run in the skipped hour. Across a one-hour change an hourly cron therefore
  fires exactly once per elapsed hour.
* Interval schedules of one day or more step in wall-clock time (a daily 09:00 stays at
  09:00 local time); shorter intervals step in elapsed time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, TypeAlias, TypeGuard

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_serializer,
    field_validator,
    model_validator,
)

from podium.schedules._base import DEFAULT_ANCHOR_DATE, MAX_DATES, check_timezone
from podium.schedules._cron import CronSchedule, check_cron
from podium.schedules._interval import IntervalSchedule
from podium.schedules._rrule import RRuleSchedule, check_rrule

__all__ = [
    "DEFAULT_ANCHOR_DATE",
    "MAX_DATES",
    "SCHEDULE_TYPES",
    "Cron",
    "CronSchedule",
    "Interval",
    "IntervalSchedule",
    "RRule",
    "RRuleSchedule",
    "Schedule",
    "construct_schedule",
    "is_schedule_type",
]


# --------------------------------------------------------------------------------------
# The union type, the deployment-facing Schedule, and its constructors (capitalized like
# classes because code written against the Prefect 3 API calls them by these names).
# --------------------------------------------------------------------------------------


def _schedule_kind(value: Any) -> str | None:
    """Pick the union member by which defining key is present."""
    if isinstance(value, IntervalSchedule):
        return "interval"
    if isinstance(value, CronSchedule):
        return "cron"
    if isinstance(value, RRuleSchedule):
        return "rrule"
    if isinstance(value, dict):
        for key in ("interval", "cron", "rrule"):
            if key in value:
                return key
    return None


SCHEDULE_TYPES: TypeAlias = Annotated[
    Annotated[IntervalSchedule, Tag("interval")]
    | Annotated[CronSchedule, Tag("cron")]
    | Annotated[RRuleSchedule, Tag("rrule")],
    Discriminator(
        _schedule_kind,
        custom_error_type="invalid_schedule",
        custom_error_message="a schedule needs one of the keys 'interval', 'cron' or 'rrule'",
    ),
]
"""Any schedule, as a pydantic field type; the member is chosen by its defining key."""


def is_schedule_type(obj: Any) -> TypeGuard[IntervalSchedule | CronSchedule | RRuleSchedule]:
    """Return whether ``obj`` is one of the schedule models."""
    return isinstance(obj, IntervalSchedule | CronSchedule | RRuleSchedule)


def _require_one_kind(interval: object, cron: object, rrule: object) -> None:
    given = [
        name
        for name, value in (("interval", interval), ("cron", cron), ("rrule", rrule))
        if value is not None
    ]
    if len(given) != 1:
        found = ", ".join(given) if given else "none"
        raise ValueError(f"exactly one of interval, cron or rrule is required; got {found}")


def construct_schedule(
    interval: int | float | timedelta | None = None,
    anchor_date: datetime | str | None = None,
    cron: str | None = None,
    rrule: str | None = None,
    timezone: str | None = None,
) -> IntervalSchedule | CronSchedule | RRuleSchedule:
    """Build a schedule from exactly one of ``interval``, ``cron`` or ``rrule``.

    Args:
        interval: Spacing between runs; a number is read as seconds.
        anchor_date: Anchor of an interval schedule; only valid with ``interval``.
        cron: A cron expression.
        rrule: An RFC 5545 recurrence rule.
        timezone: IANA time zone name; defaults as each schedule type documents.

    Returns:
        An :class:`IntervalSchedule`, :class:`CronSchedule` or :class:`RRuleSchedule`.

    Raises:
        ValueError: If not exactly one of ``interval``, ``cron`` and ``rrule`` is given, if
            ``anchor_date`` comes without ``interval``, or if a value is invalid (pydantic's
            ``ValidationError`` is a ``ValueError``).
    """
    _require_one_kind(interval, cron, rrule)
    if anchor_date is not None and interval is None:
        raise ValueError("anchor_date can only be used with an interval schedule")
    if interval is not None:
        return IntervalSchedule(interval=interval, anchor_date=anchor_date, timezone=timezone)
    if cron is not None:
        return CronSchedule(cron=cron, timezone=timezone)
    return RRuleSchedule(rrule=rrule, timezone=timezone)


class Schedule(BaseModel):
    """A deployment's schedule: when to run, plus per-schedule settings.

    Exactly one of ``interval``, ``cron`` and ``rrule`` is set; the concrete schedule is
    available as :attr:`schedule`. Prefer the :func:`Interval`, :func:`Cron` and
    :func:`RRule` constructors. For input, a concrete schedule (or its dict) may also be
    given under ``schedule``, e.g. ``Schedule(schedule=CronSchedule(cron="0 9 * * *"),
    active=False)``; its fields are spread into this model's.

    Attributes:
        interval: Spacing of an interval schedule. Serialized to JSON as seconds.
        anchor_date: Anchor of an interval schedule.
        cron: Expression of a cron schedule.
        day_or: Day-of-month/day-of-week combination of a cron schedule.
        rrule: Rule of an RRule schedule.
        timezone: IANA time zone name the schedule is evaluated in.
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for the runs this schedule creates.
        slug: A unique identifier for the schedule within its deployment.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    interval: timedelta | None = Field(default=None, gt=timedelta(0))
    anchor_date: datetime | None = None
    cron: str | None = None
    day_or: bool = True
    rrule: str | None = None
    timezone: str | None = None
    active: bool = True
    parameters: dict[str, Any] = Field(default_factory=dict)
    slug: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _spread_schedule(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "schedule" not in data:
            return data
        data = dict(data)
        inner = data.pop("schedule")
        if is_schedule_type(inner):
            inner = inner.model_dump(exclude_none=True)
        if not isinstance(inner, dict):
            raise ValueError("schedule must be an interval, cron or rrule schedule")
        for key, value in inner.items():
            if data.get(key) is not None and data[key] != value:
                raise ValueError(f"{key} is given both directly and in schedule")
            data[key] = value
        return data

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str | None) -> str | None:
        return None if value is None else check_rrule(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)

    @model_validator(mode="after")
    def _one_kind(self) -> Schedule:
        _require_one_kind(self.interval, self.cron, self.rrule)
        if self.anchor_date is not None and self.interval is None:
            raise ValueError("anchor_date can only be used with an interval schedule")
        return self

    @field_serializer("interval", when_used="json")
    def _interval_seconds(self, value: timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    @property
    def schedule(self) -> IntervalSchedule | CronSchedule | RRuleSchedule:
        """The concrete schedule these fields describe."""
        if self.interval is not None:
            return IntervalSchedule(
                interval=self.interval, anchor_date=self.anchor_date, timezone=self.timezone
            )
        if self.cron is not None:
            return CronSchedule(cron=self.cron, timezone=self.timezone, day_or=self.day_or)
        return RRuleSchedule(rrule=self.rrule, timezone=self.timezone)

    def get_dates(
        self,
        n: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[datetime]:
        """Return the next occurrences; see :meth:`IntervalSchedule.get_dates`."""
        return self.schedule.get_dates(n=n, start=start, end=end)


def Interval(
    interval: int | float | timedelta,
    anchor_date: datetime | None = None,
    timezone: str | None = None,
    active: bool = True,
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """Create an interval schedule.

    Args:
        interval: Spacing between runs; a number is read as seconds.
        anchor_date: A point on the schedule's grid; defaults to 2020-01-01 in ``timezone``.
        timezone: IANA time zone name, e.g. ``"America/New_York"``.
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for the runs it creates.
        slug: A unique identifier for the schedule.

    Returns:
        A :class:`Schedule` whose :attr:`~Schedule.schedule` is an :class:`IntervalSchedule`.

    Example:
        >>> Interval(timedelta(hours=1), timezone="Europe/Berlin")  # doctest: +SKIP
    """
    if isinstance(interval, int | float):
        interval = timedelta(seconds=interval)
    return Schedule(
        interval=interval,
        anchor_date=anchor_date,
        timezone=timezone,
        active=active,
        parameters=parameters or {},
        slug=slug,
    )


def Cron(
    cron: str,
    timezone: str | None = None,
    day_or: bool = True,
    active: bool = True,
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """Create a cron schedule.

    Args:
        cron: A cron expression, e.g. ``"0 0 * * *"``.
        timezone: IANA time zone name, e.g. ``"America/New_York"``; defaults to UTC.
        day_or: ``True`` fires when day-of-month or day-of-week matches, ``False`` only
            when both do.
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for the runs it creates.
        slug: A unique identifier for the schedule.

    Returns:
        A :class:`Schedule` whose :attr:`~Schedule.schedule` is a :class:`CronSchedule`.

    Example:
        >>> Cron("0 8 * * 1", timezone="America/New_York")  # doctest: +SKIP
    """
    return Schedule(
        cron=cron,
        day_or=day_or,
        timezone=timezone,
        active=active,
        parameters=parameters or {},
        slug=slug,
    )


def RRule(
    rrule: str,
    timezone: str | None = None,
    active: bool = True,
    parameters: dict[str, Any] | None = None,
    slug: str | None = None,
) -> Schedule:
    """Create an RRule schedule.

    Args:
        rrule: An RFC 5545 recurrence rule, e.g. ``"RRULE:FREQ=DAILY;INTERVAL=1"``.
        timezone: IANA time zone name; defaults to the rule's DTSTART TZID, else UTC.
        active: Whether the schedule creates runs.
        parameters: Parameter overrides for the runs it creates.
        slug: A unique identifier for the schedule.

    Returns:
        A :class:`Schedule` whose :attr:`~Schedule.schedule` is an :class:`RRuleSchedule`.

    Example:
        >>> RRule("RRULE:FREQ=MONTHLY;BYDAY=2FR", timezone="America/Chicago")  # doctest: +SKIP
    """
    return Schedule(
        rrule=rrule,
        timezone=timezone,
        active=active,
        parameters=parameters or {},
        slug=slug,
    )
