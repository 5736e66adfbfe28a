"""The working calendar and time limits, on China's 2026 calendar: a real 调休 weekend and the National Day week.

The expected values were worked out by hand from the State Council's 2026 arrangement (as chinesecalendar
records it): 25-27 September (Mid-autumn) and 1-7 October (National Day) off; Sunday 20 September and
Saturday 10 October are adjusted working days. Working periods 08:30-12:00 and 14:00-17:30 (7 h a day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridmap.errors import CalendarNotCovered, InvalidInput
from gridmap.incidents.calendar import CHINA_TIME, DeclaredYear, WorkingCalendar
from gridmap.incidents.deadlines import Stage, load_time_limits, parse_time_limits

CALENDAR = WorkingCalendar()


def at(day: str, clock: str) -> datetime:
    """A China-time moment, e.g. at("2026-09-18", "17:00")."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA_TIME)


def hours(amount: float) -> timedelta:
    return timedelta(hours=amount)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        ("2026-09-18", True),  # Friday
        ("2026-09-19", False),  # Saturday
        ("2026-09-20", True),  # Sunday, adjusted working day for National Day
        ("2026-09-25", False),  # Friday, Mid-autumn
        ("2026-09-30", True),
        ("2026-10-01", False),
        ("2026-10-05", False),  # Monday in the holiday week
        ("2026-10-07", False),
        ("2026-10-08", True),
        ("2026-10-10", True),  # Saturday, adjusted working day
        ("2026-10-11", False),  # Sunday
    ],
)
def test_working_days_follow_the_2026_arrangement(day: str, working: bool) -> None:
    assert CALENDAR.is_working_day(date.fromisoformat(day)) is working


@pytest.mark.parametrize(
    ("start", "amount", "due"),
    [
        # Friday 17:00, one hour: half an hour on Friday, Saturday off, Sunday 20th is worked: 09:00.
        (at("2026-09-18", "17:00"), 1, at("2026-09-20", "09:00")),
        # The eve of National Day, 16:00, three hours: 1.5 h left that day, then Thursday 8 October 10:00.
        (at("2026-09-30", "16:00"), 3, at("2026-10-08", "10:00")),
        # One working day (7 h) from Friday 9 October 10:00 ends on the worked Saturday at 10:00.
        (at("2026-10-09", "10:00"), 7, at("2026-10-10", "10:00")),
        # The lunch break does not count.
        (at("2026-10-12", "11:30"), 1, at("2026-10-12", "14:30")),
        # Time that fills the day exactly ends at the close, not the next morning.
        (at("2026-10-12", "17:00"), 0.5, at("2026-10-12", "17:30")),
        # Reported on a holiday evening: the clock starts when work does.
        (at("2026-10-03", "20:00"), 0.5, at("2026-10-08", "09:00")),
        (at("2026-10-03", "20:00"), 0, at("2026-10-03", "20:00")),
    ],
)
def test_adding_working_time(start: datetime, amount: float, due: datetime) -> None:
    assert CALENDAR.add(start, hours(amount)) == due


def test_working_time_between_two_moments_across_the_holiday_week() -> None:
    start, end = at("2026-09-30", "09:00"), at("2026-10-10", "09:00")
    # 30 Sep: 3 h + 3.5 h; 8 and 9 Oct: 7 h each; the worked Saturday 10 Oct: 08:30-09:00.
    assert CALENDAR.between(start, end) == hours(21)
    assert CALENDAR.between(end, start) == -hours(21)
    assert CALENDAR.between(at("2026-10-01", "08:00"), at("2026-10-07", "18:00")) == timedelta()
    # The same instant written in UTC counts the same.
    assert CALENDAR.between(start.astimezone(UTC), end.astimezone(UTC)) == hours(21)


@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(CHINA_TIME)),
    minutes=st.integers(min_value=0, max_value=60 * 7 * 20),
)
def test_between_undoes_add(start: datetime, minutes: int) -> None:
    due = CALENDAR.add(start, timedelta(minutes=minutes))
    assert due >= start
    assert CALENDAR.between(start, due) == timedelta(minutes=minutes)


def test_a_year_the_package_does_not_know_is_refused_unless_declared() -> None:
    with pytest.raises(CalendarNotCovered, match=r"2027.*calendar\.years\.2027"):
        CALENDAR.add(at("2026-12-31", "17:00"), hours(1))
    # Declared by the city (these 2027 days are made up for the test): New Year's Day off, then a weekend.
    declared = WorkingCalendar(declared={2027: DeclaredYear(holidays=frozenset({date(2027, 1, 1)}))})
    assert declared.add(at("2026-12-31", "17:00"), hours(1)) == at("2027-01-04", "09:00")


def test_naive_times_and_bad_periods_are_refused() -> None:
    with pytest.raises(InvalidInput, match="time zone"):
        CALENDAR.add(datetime(2026, 10, 8, 9, 0), hours(1))
    with pytest.raises(InvalidInput, match="negative"):
        CALENDAR.add(at("2026-10-08", "09:00"), -hours(1))
    with pytest.raises(InvalidInput, match="overlapping"):
        parse_time_limits({"working_hours": {"periods": ["14:00-17:30", "08:30-12:00"]}})


def test_the_shipped_time_limits_give_each_stage_a_limit() -> None:
    limits = load_time_limits()
    assert limits.calendar.day_length == hours(7)
    assert limits.limit("noise_livestock", Stage.FILE) == hours(2)
    assert limits.limit("noise_livestock", Stage.HANDLE) == hours(21)  # "3d"
    assert limits.limit("illegal_construction", Stage.HANDLE) == hours(7)  # its own "1d"
    assert limits.limit("illegal_construction", Stage.CHECK) == hours(7)  # the default's
    # A report on the eve of National Day at 16:00 must be filed by 2 working hours later: 8 October 09:00.
    assert limits.due("noise_livestock", Stage.FILE, at("2026-09-30", "16:00")) == at("2026-10-08", "09:00")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"default": {"file": "2h", "dispatch": "2h", "handle": "3d"}}, "missing: check"),
        ({"default": {"file": "2h", "dispatch": "2h", "handle": "3d", "check": "soon"}}, "working hours or days"),
        ({"default": {"file": "2h", "dispatch": "2h", "handle": "3d", "check": "0h"}}, "positive"),
        ({"default": {"filing": "2h"}}, "unknown stage"),
        ({"working_hours": {"periods": ["8-12"]}}, "08:30-12:00"),
        ({"calendar": {"years": {"2027": {"holidays": ["2028-01-01"]}}}}, "another year"),
    ],
)
def test_a_time_limit_file_that_cannot_be_used_says_why(data: dict[str, object], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_time_limits(data)
