"""Tests for podium.schedules: DST behaviour, anchors, rules, validation and round-trips."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter
from dateutil.rrule import rrulestr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from podium.schedules import (
    DEFAULT_ANCHOR_DATE,
    MAX_DATES,
    SCHEDULE_TYPES,
    Cron,
    CronSchedule,
    Interval,
    IntervalSchedule,
    RRule,
    RRuleSchedule,
    Schedule,
    construct_schedule,
    is_schedule_type,
)

NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = timedelta(hours=1)

# Zones with one-hour DST (New York, Berlin, Santiago: change at midnight), half-hour DST
# (Lord Howe), odd offsets (Chatham, +12:45/+13:45) and none at all (UTC, Kolkata).
ZONES = [
    "UTC",
    "America/New_York",
    "Europe/Berlin",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
]

# Two full years of DST changes.
YEAR_START = datetime(2025, 1, 1)
YEAR_END = datetime(2027, 1, 1)


def local(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(zone)


def wall(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)


def is_skipped(naive: datetime, zone: ZoneInfo) -> bool:
    """Whether a wall time never shows on the clock (spring-forward gap)."""
    # Inside a gap, the pre-change offset (fold=0) gives the later instant.
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    return first > second


def assert_strictly_increasing_utc(dates: list[datetime]) -> None:
    assert all(d.tzinfo is not None and d.utcoffset() == timedelta(0) for d in dates)
    assert all(a < b for a, b in itertools.pairwise(dates))


@cache
def transitions(zone_name: str) -> tuple[datetime, ...]:
    """UTC instants, to the second, where the zone's offset changes in 2024-2027."""
    zone = ZoneInfo(zone_name)
    found: list[datetime] = []
    t = datetime(2024, 1, 1, tzinfo=UTC)
    while t < datetime(2028, 1, 1, tzinfo=UTC):
        nxt = t + timedelta(days=1)
        if t.astimezone(zone).utcoffset() != nxt.astimezone(zone).utcoffset():
            lo, hi = t, nxt
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(microsecond=0))
        t = nxt
    return tuple(found)


# --------------------------------------------------------------------------------------
# Cron: daily expressions get exactly one run per local day, DST days included.
# --------------------------------------------------------------------------------------

DAILY_CRONS = [
    ("America/New_York", "30 2 * * *"),  # inside the skipped hour
    ("America/New_York", "0 2 * * *"),  # start of the skipped hour
    ("America/New_York", "30 1 * * *"),  # inside the repeated hour
    ("America/New_York", "0 1 * * *"),
    ("America/New_York", "0 3 * * *"),
    ("America/New_York", "0 0 * * *"),
    ("America/New_York", "59 23 * * *"),
    ("America/New_York", "0 9 * * *"),
    ("Europe/Berlin", "30 2 * * *"),  # skipped in March, repeated in October
    ("Europe/Berlin", "0 2 * * *"),
    ("Europe/Berlin", "30 3 * * *"),
    ("Europe/Berlin", "0 9 * * *"),
    ("Europe/Berlin", "@daily"),
]


@pytest.mark.parametrize(("zone_name", "cron"), DAILY_CRONS)
def test_daily_cron_runs_once_per_local_day_over_two_years(zone_name: str, cron: str) -> None:
    zone = ZoneInfo(zone_name)
    schedule = CronSchedule(cron=cron, timezone=zone_name)
    dates = schedule.get_dates(start=YEAR_START, end=YEAR_END - timedelta(microseconds=1))

    assert_strictly_increasing_utc(dates)
    days = [local(d, zone).date() for d in dates]
    expected_days = [
        YEAR_START.date() + timedelta(days=i) for i in range((YEAR_END - YEAR_START).days)
    ]
    assert days == expected_days  # one per day: no gaps, no doubles

    (hour, minute) = croniter(cron).expanded[1][0], croniter(cron).expanded[0][0]
    for d, day in zip(dates, days, strict=True):
        scheduled = datetime(day.year, day.month, day.day, hour, minute)
        if is_skipped(scheduled, zone):
            # Shifted forward by the gap: the instant under the pre-change offset.
            assert d == scheduled.replace(tzinfo=zone, fold=0).astimezone(UTC)
            assert wall(d, zone) == scheduled + HOUR
        else:
            # Repeated wall times run at their first occurrence.
            assert d == scheduled.replace(tzinfo=zone, fold=0).astimezone(UTC)
            assert wall(d, zone) == scheduled


def test_cron_spring_forward_and_fall_back_examples() -> None:
    skipped = CronSchedule(cron="30 2 * * *", timezone="America/New_York")
    assert skipped.get_dates(3, start=datetime(2025, 3, 8, 12)) == [
        datetime(2025, 3, 9, 7, 30, tzinfo=UTC),  # 03:30 EDT, 24h after the previous run
        datetime(2025, 3, 10, 6, 30, tzinfo=UTC),
        datetime(2025, 3, 11, 6, 30, tzinfo=UTC),
    ]
    repeated = CronSchedule(cron="30 1 * * *", timezone="America/New_York")
    assert repeated.get_dates(2, start=datetime(2025, 11, 2)) == [
        datetime(2025, 11, 2, 5, 30, tzinfo=UTC),  # 01:30 EDT; not again at 01:30 EST
        datetime(2025, 11, 3, 6, 30, tzinfo=UTC),
    ]
    berlin = CronSchedule(cron="30 2 * * *", timezone="Europe/Berlin")
    assert berlin.get_dates(1, start=datetime(2025, 3, 30)) == [
        datetime(2025, 3, 30, 1, 30, tzinfo=UTC)  # 03:30 CEST
    ]
    assert berlin.get_dates(2, start=datetime(2025, 10, 26)) == [
        datetime(2025, 10, 26, 0, 30, tzinfo=UTC),  # 02:30 CEST only
        datetime(2025, 10, 27, 1, 30, tzinfo=UTC),
    ]


def test_cron_start_inside_the_shift_window_still_sees_the_shifted_run() -> None:
    # 02:30 EST does not exist on 2025-03-09; its run is at 03:30 EDT. Asking from 03:10
    # EDT (a wall time later than 02:30) must still return it.
    schedule = CronSchedule(cron="30 2 * * *", timezone="America/New_York")
    start = datetime(2025, 3, 9, 3, 10, tzinfo=NEW_YORK)
    assert schedule.get_dates(1, start=start) == [datetime(2025, 3, 9, 7, 30, tzinfo=UTC)]


def test_shifted_run_that_meets_a_real_run_is_one_run() -> None:
    # On the spring-forward day 02:00 shifts onto 03:00, which the cron also asks for.
    schedule = CronSchedule(cron="0 1,2,3 * * *", timezone="America/New_York")
    dates = schedule.get_dates(start=datetime(2025, 3, 9), end=datetime(2025, 3, 9, 23))
    assert [wall(d, NEW_YORK).hour for d in dates] == [1, 3]
    fall = schedule.get_dates(start=datetime(2025, 11, 2), end=datetime(2025, 11, 2, 23))
    assert [d.astimezone(NEW_YORK).strftime("%H%z") for d in fall] == [
        "01-0400",
        "02-0500",
        "03-0500",
    ]


def test_cron_half_hour_gap_keeps_order() -> None:
    # Lord Howe skips 02:00-02:29. 02:15 shifts to 02:45, after the real 02:40: the output
    # must still be ordered.
    schedule = CronSchedule(cron="15,40 2 * * *", timezone="Australia/Lord_Howe")
    zone = ZoneInfo("Australia/Lord_Howe")
    dates = schedule.get_dates(start=datetime(2025, 10, 5), end=datetime(2025, 10, 5, 23))
    assert [wall(d, zone).strftime("%H:%M") for d in dates] == ["02:40", "02:45"]


# --------------------------------------------------------------------------------------
# Cron: hourly cadences run once per elapsed hour.
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("zone_name", ["America/New_York", "Europe/Berlin"])
def test_hourly_cron_fires_every_elapsed_hour_for_two_years(zone_name: str) -> None:
    zone = ZoneInfo(zone_name)
    schedule = CronSchedule(cron="0 * * * *", timezone=zone_name)
    start = YEAR_START.replace(tzinfo=zone)
    end = YEAR_END.replace(tzinfo=zone)
    dates = schedule.get_dates(n=MAX_DATES * 2, start=start, end=end - timedelta(seconds=1))

    assert dates[0] == start.astimezone(UTC)
    assert_strictly_increasing_utc(dates)
    # With one-hour DST changes the repeated hour is run twice and the skipped hour not at
    # all, which makes the spacing exactly one hour everywhere.
    assert {b - a for a, b in itertools.pairwise(dates)} == {HOUR}
    assert len(dates) == (end - start) // HOUR


@pytest.mark.parametrize("zone_name", ["America/New_York", "Europe/Berlin"])
@pytest.mark.parametrize(
    ("cron", "step"),
    [
        ("30 * * * *", HOUR),
        ("*/15 * * * *", timedelta(minutes=15)),
        ("0 0-23 * * *", HOUR),
        ("@hourly", HOUR),
    ],
)
def test_sub_hourly_and_hourly_cadences_across_each_change(
    zone_name: str, cron: str, step: timedelta
) -> None:
    zone = ZoneInfo(zone_name)
    schedule = CronSchedule(cron=cron, timezone=zone_name)
    for change in transitions(zone_name):
        if not datetime(2025, 1, 1, tzinfo=UTC) <= change < datetime(2027, 1, 1, tzinfo=UTC):
            continue
        dates = schedule.get_dates(start=change - 6 * HOUR, end=change + 6 * HOUR)
        assert_strictly_increasing_utc(dates)
        assert {b - a for a, b in itertools.pairwise(dates)} == {step}
        assert all(croniter.match(cron, wall(d, zone)) for d in dates)


def test_hourly_cron_runs_both_copies_of_the_repeated_hour() -> None:
    schedule = CronSchedule(cron="0 * * * *", timezone="America/New_York")
    dates = schedule.get_dates(start=datetime(2025, 11, 2), end=datetime(2025, 11, 2, 3))
    assert [d.astimezone(NEW_YORK).strftime("%H%z") for d in dates] == [
        "00-0400",
        "01-0400",
        "01-0500",
        "02-0500",
        "03-0500",
    ]
    spring = schedule.get_dates(start=datetime(2025, 3, 9), end=datetime(2025, 3, 9, 4))
    assert [d.astimezone(NEW_YORK).strftime("%H%z") for d in spring] == [
        "00-0500",
        "01-0500",
        "03-0400",
        "04-0400",
    ]


# --------------------------------------------------------------------------------------
# Cron: properties over random starts, zones and expressions.
# --------------------------------------------------------------------------------------

CRONS = [
    "0 * * * *",
    "30 * * * *",
    "*/7 * * * *",
    "*/20 * * * *",
    "0 0 * * *",
    "30 2 * * *",
    "30 1 * * *",
    "45 2 * * *",
    "15,40 2 * * *",
    "0 1,2,3 * * *",
    "*/20 2 * * *",
    "0 */2 * * *",
    "0 9 * * 1-5",
    "0 12 1 * *",
    "0 0 * * 0",
]


def reference_cron_dates(
    cron: str, zone: ZoneInfo, start: datetime, end: datetime
) -> list[datetime]:
    """The documented policy, computed naively with sets over a generous window."""
    every_hour = croniter(cron).expanded[1] == ["*"]
    found: set[datetime] = set()
    matches = croniter(cron, wall(start, zone) - timedelta(days=1))
    while True:
        naive = matches.get_next(datetime)
        first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
        second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        if min(first, second) > end + timedelta(days=1):
            break
        if first > second:  # skipped wall time
            if not every_hour:
                found.add(first)
        else:
            found.add(first)
            if every_hour:
                found.add(second)
    return sorted(d for d in found if start <= d <= end)


@st.composite
def starts(draw: st.DrawFn, zone_name: str) -> datetime:
    """Start instants, half of them within three days of a DST change."""
    near = transitions(zone_name)
    if near and draw(st.booleans()):
        change = draw(st.sampled_from(near))
        offset = draw(st.integers(-3 * 24 * 3600, 3 * 24 * 3600))
        return change + timedelta(seconds=offset)
    moment = draw(st.datetimes(datetime(2024, 1, 1), datetime(2027, 12, 31)))
    return moment.replace(tzinfo=UTC)


@st.composite
def cron_cases(draw: st.DrawFn) -> tuple[str, str, datetime, int]:
    zone_name = draw(st.sampled_from(ZONES))
    return (
        zone_name,
        draw(st.sampled_from(CRONS)),
        draw(starts(zone_name)),
        draw(st.integers(1, 30)),
    )


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cron_cases())
def test_cron_properties(case: tuple[str, str, datetime, int]) -> None:
    zone_name, cron, start, n = case
    zone = ZoneInfo(zone_name)
    schedule = CronSchedule(cron=cron, timezone=zone_name)
    dates = schedule.get_dates(n, start=start)

    assert len(dates) == n
    assert_strictly_increasing_utc(dates)
    assert dates[0] >= start
    every_hour = croniter(cron).expanded[1] == ["*"]
    for d in dates:
        if croniter.match(cron, wall(d, zone)):
            continue
        # Otherwise it must be a skipped wall time, shifted forward by the gap: its wall
        # time under the offset in force just before the change matches the cron.
        assert not every_hour
        before = (d - 3 * HOUR).astimezone(zone).utcoffset()
        assert before is not None
        naive = (d + before).replace(tzinfo=None)
        assert is_skipped(naive, zone)
        assert croniter.match(cron, naive)
    # Nothing missing and nothing extra, compared with a set-based model of the policy.
    assert dates == reference_cron_dates(cron, zone, start, dates[-1])
    # Restarting from any returned date continues the same sequence.
    k = n // 2
    assert schedule.get_dates(n - k, start=dates[k]) == dates[k:]


# --------------------------------------------------------------------------------------
# Interval schedules.
# --------------------------------------------------------------------------------------


def test_daily_interval_keeps_local_wall_time_across_dst() -> None:
    schedule = IntervalSchedule(
        interval=timedelta(days=1),
        anchor_date=datetime(2025, 1, 1, 9, 0),
        timezone="America/New_York",
    )
    dates = schedule.get_dates(start=YEAR_START, end=YEAR_END)
    assert len(dates) == 730
    assert_strictly_increasing_utc(dates)
    assert {local(d, NEW_YORK).time().isoformat() for d in dates} == {"09:00:00"}
    assert len({local(d, NEW_YORK).date() for d in dates}) == 730
    # The elapsed time around the changes is 23 and 25 hours.
    gaps = {b - a for a, b in itertools.pairwise(dates)}
    assert gaps == {timedelta(hours=23), timedelta(hours=24), timedelta(hours=25)}


def test_daily_interval_in_the_skipped_hour_shifts_like_cron() -> None:
    schedule = IntervalSchedule(
        interval=timedelta(days=1),
        anchor_date=datetime(2025, 1, 1, 2, 30),
        timezone="Europe/Berlin",
    )
    cron = CronSchedule(cron="30 2 * * *", timezone="Europe/Berlin")
    start, end = datetime(2025, 3, 1), datetime(2025, 11, 30)
    assert schedule.get_dates(start=start, end=end) == cron.get_dates(start=start, end=end)


def test_sub_day_interval_is_elapsed_time_across_dst() -> None:
    schedule = IntervalSchedule(
        interval=HOUR, anchor_date=datetime(2025, 1, 1), timezone="America/New_York"
    )
    dates = schedule.get_dates(start=datetime(2025, 11, 2), end=datetime(2025, 11, 2, 3))
    assert {b - a for a, b in itertools.pairwise(dates)} == {HOUR}
    # 01:00 shows twice on the local clock, an hour apart.
    assert [d.astimezone(NEW_YORK).strftime("%H%z") for d in dates] == [
        "00-0400",
        "01-0400",
        "01-0500",
        "02-0500",
        "03-0500",
    ]


def test_multi_day_interval_steps_in_wall_clock_time() -> None:
    schedule = IntervalSchedule(
        interval=timedelta(hours=36),
        anchor_date=datetime(2025, 3, 1, 9),
        timezone="America/New_York",
    )
    dates = schedule.get_dates(6, start=datetime(2025, 3, 6))
    assert [local(d, NEW_YORK).strftime("%d %H:%M") for d in dates] == [
        "07 09:00",
        "08 21:00",
        "10 09:00",  # across the change: still 09:00 local
        "11 21:00",
        "13 09:00",
        "14 21:00",
    ]


def test_interval_dates_before_the_anchor_align_to_its_grid() -> None:
    anchor = datetime(2025, 6, 1, 12, 0, 0, tzinfo=UTC)
    schedule = IntervalSchedule(interval=timedelta(hours=7), anchor_date=anchor)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    dates = schedule.get_dates(5, start=start)
    assert all((d - anchor) % timedelta(hours=7) == timedelta(0) for d in dates)
    assert start <= dates[0] < start + timedelta(hours=7)
    # A start exactly on the grid is included.
    assert schedule.get_dates(1, start=anchor) == [anchor]
    assert schedule.get_dates(1, start=anchor + timedelta(microseconds=1)) == [
        anchor + timedelta(hours=7)
    ]


def test_interval_defaults_and_inference() -> None:
    schedule = IntervalSchedule(interval=90)
    assert schedule.interval == timedelta(seconds=90)
    assert schedule.timezone == "UTC"
    assert schedule.anchor_date == DEFAULT_ANCHOR_DATE.replace(tzinfo=UTC)

    berlin = IntervalSchedule(interval=3600, timezone="Europe/Berlin")
    assert berlin.anchor_date == datetime(2020, 1, 1, tzinfo=BERLIN)

    inferred = IntervalSchedule(interval=60, anchor_date=datetime(2025, 1, 1, tzinfo=NEW_YORK))
    assert inferred.timezone == "America/New_York"

    # An anchor in another zone keeps its instant and is shown in the schedule's zone.
    moved = IntervalSchedule(
        interval=60, anchor_date=datetime(2025, 1, 1, tzinfo=UTC), timezone="Europe/Berlin"
    )
    assert moved.anchor_date == datetime(2025, 1, 1, tzinfo=UTC)
    assert moved.anchor_date.utcoffset() == HOUR


@st.composite
def interval_cases(draw: st.DrawFn) -> tuple[IntervalSchedule, datetime, int]:
    zone_name = draw(st.sampled_from(ZONES))
    seconds = draw(st.sampled_from([1, 59, 60, 300, 900, 3600, 5400, 7 * 3600, 86399]))
    anchor = draw(st.datetimes(datetime(2019, 1, 1), datetime(2028, 1, 1)))
    schedule = IntervalSchedule(interval=seconds, anchor_date=anchor, timezone=zone_name)
    return schedule, draw(starts(zone_name)), draw(st.integers(1, 50))


@settings(max_examples=100, deadline=None)
@given(interval_cases())
def test_sub_day_interval_properties(case: tuple[IntervalSchedule, datetime, int]) -> None:
    schedule, start, n = case
    dates = schedule.get_dates(n, start=start)
    assert len(dates) == n
    assert start <= dates[0] < start + schedule.interval
    assert all((d - schedule.anchor_date) % schedule.interval == timedelta(0) for d in dates)
    assert {b - a for a, b in itertools.pairwise(dates)} <= {schedule.interval}


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.integers(1, 10),
    st.datetimes(datetime(2020, 1, 1), datetime(2027, 1, 1)),
    st.data(),
)
def test_whole_day_interval_properties(
    zone_name: str, days: int, anchor: datetime, data: st.DataObject
) -> None:
    zone = ZoneInfo(zone_name)
    anchor = anchor.replace(microsecond=0)
    schedule = IntervalSchedule(
        interval=timedelta(days=days), anchor_date=anchor, timezone=zone_name
    )
    start = data.draw(starts(zone_name))
    dates = schedule.get_dates(20, start=start)
    assert len(dates) == 20
    assert_strictly_increasing_utc(dates)
    assert dates[0] >= start
    wall_anchor = schedule.anchor_date.astimezone(zone).replace(tzinfo=None)
    for d in dates:
        # Either the anchor's wall time on a day of the grid, or that wall time shifted
        # forward by a DST gap.
        shown = wall(d, zone)
        before = (d - 3 * HOUR).astimezone(zone).utcoffset()
        assert before is not None
        unshifted = (d + before).replace(tzinfo=None)
        candidate = shown if shown.time() == wall_anchor.time() else unshifted
        assert candidate.time() == wall_anchor.time()
        assert (candidate.date() - wall_anchor.date()).days % days == 0


# --------------------------------------------------------------------------------------
# RRule schedules.
# --------------------------------------------------------------------------------------


def test_rrule_weekly_in_a_timezone_across_dst() -> None:
    schedule = RRuleSchedule(rrule="FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9", timezone="America/New_York")
    dates = schedule.get_dates(start=datetime(2025, 1, 1), end=datetime(2026, 1, 1))
    expected_days = [
        date(2025, 1, 1) + timedelta(days=i)
        for i in range(365)
        if (date(2025, 1, 1) + timedelta(days=i)).weekday() in (0, 2)
    ]
    assert [local(d, NEW_YORK).date() for d in dates] == expected_days
    assert {local(d, NEW_YORK).time().isoformat() for d in dates} == {"09:00:00"}
    assert_strictly_increasing_utc(dates)


def test_rrule_count_limited_rule_ends() -> None:
    schedule = RRuleSchedule(
        rrule="DTSTART:20250101T090000\nRRULE:FREQ=DAILY;COUNT=3", timezone="Europe/Berlin"
    )
    dates = schedule.get_dates(10, start=datetime(2024, 12, 1))
    assert dates == [datetime(2025, 1, d, 8, tzinfo=UTC) for d in (1, 2, 3)]
    assert schedule.get_dates(10, start=datetime(2025, 1, 2, 12)) == [
        datetime(2025, 1, 3, 8, tzinfo=UTC)
    ]
    assert schedule.get_dates(10, start=datetime(2025, 1, 4)) == []


def test_rrule_until_exdate_and_rdate() -> None:
    schedule = RRuleSchedule(
        rrule=(
            "DTSTART:20250101T060000\n"
            "RRULE:FREQ=DAILY;UNTIL=20250105T060000\n"
            "EXDATE:20250103T060000\n"
            "RDATE:20250110T120000"
        )
    )
    assert [d.isoformat() for d in schedule.get_dates(10, start=datetime(2024, 1, 1))] == [
        "2025-01-01T06:00:00+00:00",
        "2025-01-02T06:00:00+00:00",
        "2025-01-04T06:00:00+00:00",
        "2025-01-05T06:00:00+00:00",
        "2025-01-10T12:00:00+00:00",
    ]


def test_rrule_timezone_defaults_to_dtstart_tzid() -> None:
    schedule = RRuleSchedule(rrule="DTSTART;TZID=Europe/Berlin:20250101T090000\nRRULE:FREQ=DAILY")
    assert schedule.timezone == "Europe/Berlin"
    dates = schedule.get_dates(3, start=datetime(2025, 3, 29))
    assert [local(d, BERLIN).strftime("%d %H:%M%z") for d in dates] == [
        "29 09:00+0100",
        "30 09:00+0200",
        "31 09:00+0200",
    ]
    # An explicit timezone wins; the rule's wall-clock times are read in it.
    explicit = RRuleSchedule(rrule=schedule.rrule, timezone="UTC")
    assert explicit.get_dates(1, start=datetime(2025, 3, 29)) == [
        datetime(2025, 3, 29, 9, tzinfo=UTC)
    ]


def test_rrule_dst_policy_matches_cron() -> None:
    rule = RRuleSchedule(rrule="FREQ=DAILY;BYHOUR=2;BYMINUTE=30", timezone="America/New_York")
    cron = CronSchedule(cron="30 2 * * *", timezone="America/New_York")
    start, end = datetime(2025, 1, 1), datetime(2026, 12, 31)
    assert rule.get_dates(start=start, end=end) == cron.get_dates(start=start, end=end)


def test_rrule_sub_daily_rule_far_from_its_start_is_fast_and_on_grid() -> None:
    schedule = RRuleSchedule(rrule="RRULE:FREQ=MINUTELY;INTERVAL=7")
    start = datetime(2026, 6, 1, 0, 0, 30, tzinfo=UTC)
    dates = schedule.get_dates(5, start=start)
    assert all(
        (d.replace(tzinfo=None) - DEFAULT_ANCHOR_DATE) % timedelta(minutes=7) == timedelta(0)
        for d in dates
    )
    assert start <= dates[0] < start + timedelta(minutes=7)
    assert {b - a for a, b in itertools.pairwise(dates)} == {timedelta(minutes=7)}


@settings(max_examples=100, deadline=None)
@given(
    freq=st.sampled_from(["HOURLY", "MINUTELY", "SECONDLY"]),
    interval=st.integers(1, 13),
    by=st.sampled_from(["", ";BYHOUR=1,5,9,17", ";BYMINUTE=0,30", ";BYDAY=MO,FR"]),
    dtstart=st.datetimes(datetime(2025, 1, 1), datetime(2025, 12, 31)),
    later=st.integers(0, 3 * 24 * 3600),
)
def test_rrule_restart_near_start_agrees_with_full_iteration(
    freq: str, interval: int, by: str, dtstart: datetime, later: int
) -> None:
    dtstart = dtstart.replace(microsecond=0)
    text = f"DTSTART:{dtstart:%Y%m%dT%H%M%S}\nRRULE:FREQ={freq};INTERVAL={interval}{by}"
    start = dtstart + timedelta(seconds=later)
    try:
        expected = list(rrulestr(text).xafter(start, count=10, inc=True))
    except ValueError:  # e.g. BYHOUR values the INTERVAL grid can never reach
        with pytest.raises(ValidationError, match="rrule"):
            RRuleSchedule(rrule=text)
        return
    got = RRuleSchedule(rrule=text).get_dates(10, start=start.replace(tzinfo=UTC))
    assert [d.replace(tzinfo=None) for d in got] == expected


# --------------------------------------------------------------------------------------
# get_dates arguments.
# --------------------------------------------------------------------------------------


def test_get_dates_arguments() -> None:
    schedule = CronSchedule(cron="0 * * * *")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert schedule.get_dates(start=start) == [start]  # neither n nor end: one date
    assert schedule.get_dates(0, start=start) == []
    assert len(schedule.get_dates(start=start, end=start + 5 * HOUR)) == 6  # end inclusive
    assert len(schedule.get_dates(3, start=start, end=start + 5 * HOUR)) == 3
    assert schedule.get_dates(start=start, end=start - HOUR) == []
    with pytest.raises(ValueError, match="n must be"):
        schedule.get_dates(-1, start=start)
    # Default start is now.
    (upcoming,) = schedule.get_dates()
    assert datetime.now(UTC) <= upcoming <= datetime.now(UTC) + HOUR
    # Naive start and end are wall-clock times in the schedule's timezone.
    berlin = CronSchedule(cron="0 * * * *", timezone="Europe/Berlin")
    assert berlin.get_dates(1, start=datetime(2025, 1, 1, 5)) == [
        datetime(2025, 1, 1, 4, tzinfo=UTC)
    ]
    assert len(schedule.get_dates(start=start, end=start + timedelta(days=3650))) == MAX_DATES


def test_cron_that_never_matches_returns_nothing() -> None:
    assert CronSchedule(cron="0 0 30 2 *").get_dates(3, start=datetime(2025, 1, 1)) == []


def test_day_or() -> None:
    # The first of the month or any Friday vs. only Friday the first.
    either = CronSchedule(cron="0 0 1 * 5", day_or=True)
    both = CronSchedule(cron="0 0 1 * 5", day_or=False)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert len(either.get_dates(start=start, end=datetime(2025, 12, 31, tzinfo=UTC))) == 12 + 52 - 1
    assert both.get_dates(2, start=start) == [
        datetime(2025, 8, 1, tzinfo=UTC),
        datetime(2026, 5, 1, tzinfo=UTC),
    ]


# --------------------------------------------------------------------------------------
# Bad input.
# --------------------------------------------------------------------------------------


def assert_names(error: pytest.ExceptionInfo[ValidationError], field: str, value: str) -> None:
    text = str(error.value)
    assert field in text
    assert value in text


@pytest.mark.parametrize("cron", ["61 * * * *", "not a cron", "* * *", "", "@reboot"])
def test_invalid_cron(cron: str) -> None:
    with pytest.raises(ValidationError) as error:
        CronSchedule(cron=cron)
    assert_names(error, "cron", repr(cron))
    with pytest.raises(ValidationError) as error:
        Cron(cron)
    assert_names(error, "cron", repr(cron))


@pytest.mark.parametrize("timezone", ["Mars/Olympus", "America", "", "../etc/passwd", "utc"])
@pytest.mark.parametrize(
    "build",
    [
        lambda tz: CronSchedule(cron="0 0 * * *", timezone=tz),
        lambda tz: IntervalSchedule(interval=60, timezone=tz),
        lambda tz: RRuleSchedule(rrule="FREQ=DAILY", timezone=tz),
        lambda tz: Interval(60, timezone=tz),
        lambda tz: Cron("0 0 * * *", timezone=tz),
        lambda tz: RRule("FREQ=DAILY", timezone=tz),
    ],
)
def test_invalid_timezone(build: Callable[[str], object], timezone: str) -> None:
    with pytest.raises(ValidationError) as error:
        build(timezone)
    assert_names(error, "timezone", repr(timezone))


@pytest.mark.parametrize(
    "rrule",
    [
        "FREQ=SOMETIMES",
        "garbage",
        "",
        "FREQ=DAILY;BYHOUR=25",
        "DTSTART:notadate\nRRULE:FREQ=DAILY",
        "DTSTART;TZID=Mars/Olympus:20250101T000000\nRRULE:FREQ=DAILY",
    ],
)
def test_invalid_rrule(rrule: str) -> None:
    with pytest.raises(ValidationError) as error:
        RRuleSchedule(rrule=rrule)
    assert_names(error, "rrule", repr(rrule))


@pytest.mark.parametrize("interval", [0, -5, timedelta(0), "nonsense"])
def test_invalid_interval(interval: object) -> None:
    with pytest.raises(ValidationError) as error:
        IntervalSchedule(interval=interval)
    assert "interval" in str(error.value)


def test_construct_schedule() -> None:
    assert construct_schedule(interval=60) == IntervalSchedule(interval=60)
    assert construct_schedule(cron="0 0 * * *", timezone="Europe/Berlin") == CronSchedule(
        cron="0 0 * * *", timezone="Europe/Berlin"
    )
    assert construct_schedule(rrule="FREQ=DAILY") == RRuleSchedule(rrule="FREQ=DAILY")
    with_anchor = construct_schedule(interval=timedelta(hours=2), anchor_date="2025-01-01T00:00")
    assert isinstance(with_anchor, IntervalSchedule)
    assert with_anchor.anchor_date == datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match=r"exactly one of interval, cron or rrule.*none"):
        construct_schedule()
    with pytest.raises(ValueError, match=r"exactly one.*interval, cron"):
        construct_schedule(interval=60, cron="0 0 * * *")
    with pytest.raises(ValueError, match="anchor_date"):
        construct_schedule(cron="0 0 * * *", anchor_date=datetime(2025, 1, 1))


def test_schedule_requires_exactly_one_kind() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule()
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule(cron="0 0 * * *", rrule="FREQ=DAILY")
    with pytest.raises(ValidationError, match="anchor_date"):
        Schedule(cron="0 0 * * *", anchor_date=datetime(2025, 1, 1))


def test_union_rejects_unknown_shapes() -> None:
    adapter = TypeAdapter(SCHEDULE_TYPES)
    with pytest.raises(ValidationError, match="'interval', 'cron' or 'rrule'"):
        adapter.validate_python({"timezone": "UTC"})
    with pytest.raises(ValidationError) as error:
        adapter.validate_python({"cron": "0 0 * * *", "rrule": "FREQ=DAILY"})
    assert "rrule" in str(error.value)  # extra keys are refused, not ignored


# --------------------------------------------------------------------------------------
# Constructors, the union type and JSON round-trips.
# --------------------------------------------------------------------------------------


def test_constructors_mirror_the_schedule_shape() -> None:
    cron = Cron("0 8 * * 1", timezone="America/New_York", day_or=False, slug="monday")
    assert cron.schedule == CronSchedule(
        cron="0 8 * * 1", timezone="America/New_York", day_or=False
    )
    assert (cron.active, cron.parameters, cron.slug) == (True, {}, "monday")

    interval = Interval(
        timedelta(hours=1), anchor_date=datetime(2024, 1, 1), active=False, parameters={"x": 1}
    )
    assert interval.interval == HOUR
    assert interval.schedule == IntervalSchedule(interval=3600, anchor_date=datetime(2024, 1, 1))
    assert (interval.active, interval.parameters) == (False, {"x": 1})
    assert Interval(60).interval == timedelta(seconds=60)
    assert Interval(1.5).interval == timedelta(seconds=1.5)

    rule = RRule("RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=2FR", timezone="America/Chicago")
    assert rule.schedule == RRuleSchedule(
        rrule="RRULE:FREQ=MONTHLY;INTERVAL=1;BYDAY=2FR", timezone="America/Chicago"
    )
    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert rule.get_dates(3, start=start) == rule.schedule.get_dates(3, start=start)
    assert all(is_schedule_type(s.schedule) for s in (cron, interval, rule))
    assert not is_schedule_type(cron)


def test_union_validates_by_key() -> None:
    adapter = TypeAdapter(SCHEDULE_TYPES)
    assert adapter.validate_python({"cron": "0 9 * * *"}) == CronSchedule(cron="0 9 * * *")
    assert isinstance(adapter.validate_python({"interval": 60}), IntervalSchedule)
    assert isinstance(adapter.validate_python({"rrule": "FREQ=DAILY"}), RRuleSchedule)
    existing = CronSchedule(cron="0 9 * * *")
    assert adapter.validate_python(existing) == existing
    # Errors are reported for the chosen member only, with the field's location.
    with pytest.raises(ValidationError) as error:
        adapter.validate_python({"cron": "bogus"})
    assert error.value.error_count() == 1
    assert error.value.errors()[0]["loc"] == ("cron", "cron")
    assert adapter.json_schema()
    assert Schedule.model_json_schema()


SCHEDULES = [
    IntervalSchedule(interval=3600),
    IntervalSchedule(
        interval=timedelta(days=1, microseconds=250),
        anchor_date=datetime(2025, 3, 9, 2, 30),
        timezone="America/New_York",
    ),
    IntervalSchedule(interval=1.5, anchor_date=datetime(2025, 1, 1, tzinfo=BERLIN)),
    CronSchedule(cron="30 2 * * *", timezone="America/New_York"),
    CronSchedule(cron="0 0 1 * 5", day_or=False),
    RRuleSchedule(rrule="FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=9", timezone="Europe/Berlin"),
    RRuleSchedule(rrule="DTSTART;TZID=America/New_York:20250101T090000\nRRULE:FREQ=DAILY;COUNT=5"),
]


class Holder(BaseModel):
    schedule: SCHEDULE_TYPES


@pytest.mark.parametrize("schedule", SCHEDULES, ids=lambda s: type(s).__name__)
def test_json_round_trip(schedule: IntervalSchedule | CronSchedule | RRuleSchedule) -> None:
    wire = json.loads(json.dumps(schedule.model_dump(mode="json")))
    again = type(schedule).model_validate(wire)
    assert again == schedule
    assert TypeAdapter(SCHEDULE_TYPES).validate_python(wire) == schedule
    assert TypeAdapter(SCHEDULE_TYPES).validate_json(json.dumps(wire)) == schedule
    held = Holder.model_validate_json(Holder(schedule=schedule).model_dump_json())
    assert held.schedule == schedule

    start = datetime(2025, 1, 1, tzinfo=UTC)
    assert again.get_dates(50, start=start) == schedule.get_dates(50, start=start)


def test_interval_serializes_as_seconds() -> None:
    dumped = IntervalSchedule(
        interval=timedelta(minutes=90), anchor_date=datetime(2025, 1, 1), timezone="Europe/Berlin"
    ).model_dump(mode="json")
    assert dumped == {
        "interval": 5400.0,
        "anchor_date": "2025-01-01T00:00:00+01:00",
        "timezone": "Europe/Berlin",
    }
    assert IntervalSchedule(interval=60).model_dump() == {
        "interval": timedelta(seconds=60),
        "anchor_date": datetime(2020, 1, 1, tzinfo=UTC),
        "timezone": "UTC",
    }


def test_schedule_round_trip() -> None:
    for schedule in (
        Interval(90, anchor_date=datetime(2025, 1, 1), timezone="Europe/Berlin", slug="a"),
        Cron("0 9 * * *", day_or=False, parameters={"n": [1, 2]}, active=False),
        RRule("FREQ=DAILY", timezone="America/New_York"),
    ):
        wire = json.loads(schedule.model_dump_json())
        assert Schedule.model_validate(wire) == schedule
        assert Schedule.model_validate(wire).schedule == schedule.schedule


def test_schedule_accepts_a_nested_schedule() -> None:
    cron = CronSchedule(cron="0 9 * * *", timezone="Europe/Berlin", day_or=False)
    nested = Schedule(schedule=cron, active=False, slug="morning")  # type: ignore[call-arg]
    assert nested.schedule == cron
    assert nested == Cron(
        "0 9 * * *", timezone="Europe/Berlin", day_or=False, active=False, slug="morning"
    )
    wire = {"schedule": {"interval": 3600.0, "timezone": "UTC"}, "parameters": {"a": 1}}
    assert Schedule.model_validate(wire).schedule == IntervalSchedule(interval=3600)
    with pytest.raises(ValidationError, match="timezone is given both"):
        Schedule(schedule=cron, timezone="UTC")  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="exactly one"):
        Schedule(schedule=cron, rrule="FREQ=DAILY")  # type: ignore[call-arg]
