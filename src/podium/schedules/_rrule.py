"""RFC 5545 recurrence-rule schedules, parsed with dateutil."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    field_validator,
    model_validator,
)

from podium.schedules._base import (
    DEFAULT_ANCHOR_DATE,
    ScheduleBase,
    check_timezone,
    resolve_wall_times,
    wall_floor,
)

if TYPE_CHECKING:
    from dateutil.rrule import rruleset

# dateutil is imported where a rule is first read (see ``_cron``: the client loads
# the schedules, and most processes never read a rule).

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
        from dateutil import parser as date_parser

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
    from dateutil.rrule import rrulestr

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


class RRuleSchedule(ScheduleBase):
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
        return check_rrule(value)

    @field_validator("timezone")
    @classmethod
    def _valid_timezone(cls, value: str | None) -> str:
        return check_timezone("UTC" if value is None else value)

    def _iter_from(self, start: datetime, zone: ZoneInfo) -> Iterator[datetime]:
        after = wall_floor(start, zone)
        rules = _parse_rrule(self.rrule, after=after)
        return resolve_wall_times(rules.xafter(after, inc=True), zone, every_hour=False)


def check_rrule(value: str) -> str:
    try:
        _parse_rrule(value)
    except Exception as exc:  # dateutil raises several types for malformed rules
        raise ValueError(
            f"rrule {value!r} is not a valid RFC 5545 recurrence rule: {exc}"
        ) from None
    for tzid in _TZID.findall(value):
        try:
            check_timezone(tzid)
        except ValueError:
            raise ValueError(f"rrule {value!r} names an unknown TZID {tzid!r}") from None
    return value
