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

import re
from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any, TypeAlias, TypeGuard
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from dateutil import parser as date_parser
from dateutil.rrule import rruleset, rrulestr
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

DEFAULT_ANCHOR_DATE = datetime(2020, 1, 1)
"""Wall-clock start used when a schedule names none; read in the schedule's timezone.

A fixed value (rather than "now") keeps a stored schedule's occurrences stable over time.
"""

MAX_DATES = 10_000
"""Cap on the number of dates returned when ``get_dates`` is given an ``end`` but no ``n``."""

_ONE_DAY = timedelta(days=1)
# How far around `start` to look for an offset change when working out the earliest wall
# time that can still resolve to an instant at or after it (a change only moves wall times
# by a few hours).
_TRANSITION_WINDOW = timedelta(days=2)


# --------------------------------------------------------------------------------------
# Validation helpers shared by the models.
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _check_timezone(value: str) -> str:
    try:
        _zone(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"timezone {value!r} is not a valid IANA time zone name (e.g. 'America/New_York')"
        ) from None
    return value


def _check_cron(value: str) -> str:
    if croniter.is_valid(value):
        return value
    reason = ""
    try:
        croniter(value)
    except Exception as exc:  # croniter raises several unrelated types; only the text matters
        reason = f": {exc}"
    raise ValueError(f"cron {value!r} is not a valid cron expression{reason}")


def _check_rrule(value: str) -> str:
    try:
        _parse_rrule(value)
    except Exception as exc:  # dateutil raises several types for malformed rules
        raise ValueError(
            f"rrule {value!r} is not a valid RFC 5545 recurrence rule: {exc}"
        ) from None
    for tzid in _TZID.findall(value):
        try:
            _check_timezone(tzid)
        except ValueError:
            raise ValueError(f"rrule {value!r} names an unknown TZID {tzid!r}") from None
    return value


def _timezone_name(tzinfo: Any) -> str | None:
    """The IANA name carried by a tzinfo, if it has one (ZoneInfo and friends expose `key`)."""
    key = getattr(tzinfo, "key", None)
    if isinstance(key, str):
        return key
    if tzinfo is UTC:
        return "UTC"
    return None


# --------------------------------------------------------------------------------------
# Wall-clock resolution: turning local times into instants, with the DST policy above.
# --------------------------------------------------------------------------------------


def _first_reading(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall time: first occurrence if repeated, shifted if skipped."""
    # fold=0 is exactly that: the offset in force before the change applies.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def _resolve_wall_times(
    naive_times: Iterable[datetime], zone: ZoneInfo, *, every_hour: bool
) -> Iterator[datetime]:
    """Map increasing wall-clock times to increasing UTC instants.

    With ``every_hour`` the schedule is a cadence within each hour: skipped wall times are
    dropped and repeated ones run in both folds. Otherwise skipped wall times are shifted
    forward by the gap and repeated ones run at their first occurrence.

    Both the shifted times and the second folds land after wall times that come later in
    the input, so they are held back and merged in order.
    """
    held: deque[datetime] = deque()
    for naive in naive_times:
        first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
        second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        if first > second:  # inside a spring-forward gap
            if not every_hour:
                held.append(first)
            continue
        while held and held[0] <= first:
            earlier = held.popleft()
            if earlier < first:  # equal means a shifted run coincides with a real one
                yield earlier
        yield first
        if every_hour and second > first:
            held.append(second)
    yield from held


def _wall_floor(start: datetime, zone: ZoneInfo) -> datetime:
    """The earliest wall time that can resolve to an instant at or after ``start``.

    Near a change, a wall time earlier than ``start``'s own can still land at or after it:
    shifted out of a spring-forward gap, or as the second copy of a repeated hour. Reading
    ``start`` with the smallest offset in force around it covers both. One second less
    makes "strictly after" iterators inclusive.
    """
    offset = min(
        (start + shift).astimezone(zone).utcoffset() or timedelta(0)
        for shift in (-_TRANSITION_WINDOW, timedelta(0), _TRANSITION_WINDOW)
    )
    return (start + offset).replace(tzinfo=None) - timedelta(seconds=1)


def _as_utc(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        return _first_reading(value, zone)
    return value.astimezone(UTC)


class _ScheduleBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    def _iter_from(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        """Increasing UTC instants, starting no later than the first one >= ``start``."""
        raise NotImplementedError

    def get_dates(
        self,
        n: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> list[datetime]:
        """Return the schedule's next occurrences.

        Args:
            n: The maximum number of dates to return. Defaults to 1 when ``end`` is not
                given either, and to :data:`MAX_DATES` when only ``end`` is given.
            start: The first date returned is at or after this instant. Defaults to now.
                A naive value is read as wall-clock time in the schedule's timezone.
            end: No date after this instant is returned. A naive value is read as
                wall-clock time in the schedule's timezone.

        Returns:
            Timezone-aware datetimes in UTC, strictly increasing.

        Raises:
            ValueError: If ``n`` is negative.
        """
        if n is None:
            n = 1 if end is None else MAX_DATES
        if n < 0:
            raise ValueError(f"n must be zero or positive, got {n}")
        zone = _zone(getattr(self, "timezone", None) or "UTC")
        start_utc = datetime.now(UTC) if start is None else _as_utc(start, zone)
        end_utc = None if end is None else _as_utc(end, zone)

        dates: list[datetime] = []
        if n == 0 or (end_utc is not None and end_utc < start_utc):
            return dates
        occurrences = self._iter_from(start_utc, zone)
        while len(dates) < n:
            try:
                date = next(occurrences)
            except (StopIteration, OverflowError):  # exhausted, or ran past year 9999
                break
            if date < start_utc:
                continue
            if end_utc is not None and date > end_utc:
                break
            # Resolution already orders and de-duplicates; this guards zones with odd
            # histories (e.g. a whole skipped day) from ever breaking the contract.
            if dates and date <= dates[-1]:
                continue
            dates.append(date)
        return dates


# --------------------------------------------------------------------------------------
# Interval schedules.
# --------------------------------------------------------------------------------------


class IntervalSchedule(_ScheduleBase):
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
            data["timezone"] = _timezone_name(tzinfo) or "UTC"
        return data

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str:
        return _check_timezone("UTC" if value is None else value)

    @model_validator(mode="after")
    def _localize_anchor(self) -> IntervalSchedule:
        zone = _zone(self.timezone or "UTC")
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
        if self.interval < _ONE_DAY:
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
            return _first_reading(wall_anchor + k * interval, zone)

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


# --------------------------------------------------------------------------------------
# Cron schedules.
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _runs_every_hour(cron: str) -> bool:
    hours = croniter(cron).expanded[1]
    return "*" in hours or set(hours) >= set(range(24))


class CronSchedule(_ScheduleBase):
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
        return _check_cron(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str:
        return _check_timezone("UTC" if value is None else value)

    def _iter_from(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        return _resolve_wall_times(
            self._wall_times(_wall_floor(start, zone)),
            zone,
            every_hour=_runs_every_hour(self.cron),
        )

    def _wall_times(self, after: datetime) -> Iterator[datetime]:
        # Naive datetimes keep croniter in pure wall-clock arithmetic; DST is applied later.
        matches = croniter(self.cron, after, day_or=self.day_or)
        while True:
            try:
                yield matches.get_next(datetime)
            except CroniterBadDateError:  # the expression never matches again
                return


# --------------------------------------------------------------------------------------
# RRule schedules.
# --------------------------------------------------------------------------------------

_TZID = re.compile(r"TZID=([^;:\r\n]+)", re.IGNORECASE)
_DTSTART_LINE = re.compile(r"^DTSTART(?P<params>;[^:]*)?:(?P<value>.*)$", re.IGNORECASE)
_FREQ = re.compile(r"(?:^|[;:])FREQ=(\w+)", re.IGNORECASE)
_INTERVAL = re.compile(r"(?:^|[;:])INTERVAL=(\d+)", re.IGNORECASE)
_COUNT = re.compile(r"(?:^|[;:])COUNT=", re.IGNORECASE)
_SUB_DAILY_STEP = {
    "HOURLY": timedelta(hours=1),
    "MINUTELY": timedelta(minutes=1),
    "SECONDLY": timedelta(seconds=1),
}


def _unfold(text: str) -> list[str]:
    # RFC 5545 folds long lines by starting the continuation with a space or a tab.
    unfolded = re.sub(r"\r?\n[ \t]", "", text.strip())
    return [line.strip() for line in unfolded.splitlines() if line.strip()]


def _split_dtstart(text: str) -> tuple[list[str], datetime | None, str | None]:
    """Separate the DTSTART line: (other lines, its wall-clock value, its TZID)."""
    lines: list[str] = []
    dtstart: datetime | None = None
    tzid: str | None = None
    for line in _unfold(text):
        match = _DTSTART_LINE.match(line)
        if match is None:
            lines.append(line)
            continue
        if dtstart is not None:
            raise ValueError("more than one DTSTART")
        try:
            dtstart = date_parser.parse(match["value"], ignoretz=True, default=DEFAULT_ANCHOR_DATE)
        except (ValueError, OverflowError) as exc:
            raise ValueError(f"bad DTSTART {match['value']!r}: {exc}") from None
        found = _TZID.search(match["params"] or "")
        tzid = found[1] if found else None
    return lines, dtstart, tzid


def _parse_rrule(text: str, after: datetime | None = None) -> rruleset:
    """Parse ``text`` into a rule set of naive wall-clock datetimes.

    Zone designators inside the text (TZID parameters, a trailing ``Z``) are not applied:
    every date-time in the rule is wall-clock time in the schedule's timezone.

    Given ``after``, a rule that only depends on a sub-daily grid is restarted close to it,
    because iterating minute by minute from an anchor years back is very slow.
    """
    lines, dtstart, _ = _split_dtstart(text)
    if not lines:
        raise ValueError("no RRULE or RDATE")
    dtstart = dtstart or DEFAULT_ANCHOR_DATE
    if after is not None:
        dtstart = _fast_forward(lines, dtstart, after)
    return rrulestr(
        "\n".join(lines),
        dtstart=dtstart,
        forceset=True,
        cache=False,
        ignoretz=True,
        tzids=lambda _name: None,  # keep values naive; see the docstring
    )


def _fast_forward(lines: list[str], dtstart: datetime, after: datetime) -> datetime:
    """Move ``dtstart`` along a sub-daily rule's grid to just before ``after``.

    Only safe for a single RRULE without COUNT (counting needs every earlier occurrence)
    and without EXRULE (which would share the moved start).
    """
    rules = [line for line in lines if not line.upper().startswith(("RDATE", "EXDATE"))]
    if len(rules) != 1 or rules[0].upper().startswith("EXRULE") or _COUNT.search(rules[0]):
        return dtstart
    freq = _FREQ.search(rules[0])
    unit = _SUB_DAILY_STEP.get(freq[1].upper()) if freq else None
    if unit is None:
        return dtstart
    interval = _INTERVAL.search(rules[0])
    step = unit * (int(interval[1]) if interval else 1)
    if step <= timedelta(0):
        return dtstart
    steps = (after - dtstart) // step - 1
    return dtstart + steps * step if steps > 0 else dtstart


class RRuleSchedule(_ScheduleBase):
    """A schedule given by an RFC 5545 recurrence rule, evaluated in ``timezone``.

    The rule may be a bare ``FREQ=...`` line or a block with ``DTSTART``, ``RRULE``,
    ``RDATE``, ``EXRULE`` and ``EXDATE`` lines, as :func:`dateutil.rrule.rrulestr` reads
    them. All date-times in it are wall-clock times in ``timezone``. Without ``DTSTART``
    the rule starts at :data:`DEFAULT_ANCHOR_DATE`, which fixes unspecified fields (a
    ``FREQ=DAILY`` rule fires at midnight) and where ``COUNT`` starts counting.

    DST follows the same policy as the other schedules: a skipped wall time is shifted
    forward by the gap, a repeated one runs at its first occurrence. (RFC 5545 drops
    skipped instances instead; shifting keeps a daily rule from losing a day.)

    Attributes:
        rrule: The recurrence rule text.
        timezone: IANA time zone name the rule is evaluated in. Defaults to the TZID of the
            rule's ``DTSTART`` if it has one, else ``"UTC"``.
    """

    rrule: str = Field(examples=["RRULE:FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9"])
    timezone: str | None = Field(default="UTC", examples=["America/New_York"])

    @model_validator(mode="before")
    @classmethod
    def _default_timezone(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("timezone") is None:
            tzid = None
            if isinstance(data.get("rrule"), str):
                try:
                    tzid = _split_dtstart(data["rrule"])[2]
                except ValueError:
                    pass  # reported by the rrule validator
            data = {**data, "timezone": tzid or "UTC"}
        return data

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str) -> str:
        return _check_rrule(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str:
        return _check_timezone("UTC" if value is None else value)

    def _iter_from(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        after = _wall_floor(start, zone)
        rules = _parse_rrule(self.rrule, after=after)
        return _resolve_wall_times(rules.xafter(after, inc=True), zone, every_hour=False)


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
        return None if value is None else _check_cron(value)

    @field_validator("rrule")
    @classmethod
    def _valid_rrule(cls, value: str | None) -> str | None:
        return None if value is None else _check_rrule(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str | None:
        return None if value is None else _check_timezone(value)

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
