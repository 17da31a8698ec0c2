"""What every schedule shares: time zones, wall-clock resolution, the base model."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
)

DEFAULT_ANCHOR_DATE = datetime(2020, 1, 1)
"""Wall-clock start used when a schedule names none; read in the schedule's timezone.

A fixed value (rather than "now") keeps a stored schedule's occurrences stable over time.
"""

MAX_DATES = 10_000
"""Cap on the number of dates returned when ``get_dates`` is given an ``end`` but no ``n``."""

ONE_DAY = timedelta(days=1)
# How far around `start` to look for an offset change when working out the earliest wall
# time that can still resolve to an instant at or after it (a change only moves wall times
# by a few hours).
TRANSITION_WINDOW = timedelta(days=2)


# --------------------------------------------------------------------------------------
# Validation helpers shared by the models.
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def check_timezone(value: str) -> str:
    try:
        zone_info(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(
            f"timezone {value!r} is not a valid IANA time zone name (e.g. 'America/New_York')"
        ) from None
    return value


def timezone_name(tzinfo: Any) -> str | None:
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


def first_reading(naive: datetime, zone: ZoneInfo) -> datetime:
    """The UTC instant of a wall time: first occurrence if repeated, shifted if skipped."""
    # fold=0 is exactly that: the offset in force before the change applies.
    return naive.replace(tzinfo=zone, fold=0).astimezone(UTC)


def resolve_wall_times(
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


def wall_floor(start: datetime, zone: ZoneInfo) -> datetime:
    """The earliest wall time that can resolve to an instant at or after ``start``.

    Near a change, a wall time earlier than ``start``'s own can still land at or after it:
    shifted out of a spring-forward gap, or as the second copy of a repeated hour. Reading
    ``start`` with the smallest offset in force around it covers both. One second less
    makes "strictly after" iterators inclusive.
    """
    offset = min(
        (start + shift).astimezone(zone).utcoffset() or timedelta(0)
        for shift in (-TRANSITION_WINDOW, timedelta(0), TRANSITION_WINDOW)
    )
    return (start + offset).replace(tzinfo=None) - timedelta(seconds=1)


def as_utc(value: datetime, zone: ZoneInfo) -> datetime:
    if value.tzinfo is None:
        return first_reading(value, zone)
    return value.astimezone(UTC)


class ScheduleBase(BaseModel):
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
        zone = zone_info(getattr(self, "timezone", None) or "UTC")
        start_utc = datetime.now(UTC) if start is None else as_utc(start, zone)
        end_utc = None if end is None else as_utc(end, zone)

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
