"""Working time on China's calendar: which days are working days, and working time added to or between moments.

A working day follows the State Council's yearly holiday arrangement as the maintained `chinesecalendar`
package records it: weekends and public holidays are off, and the adjusted working days (调休) that move a
weekend day into the working week are on. Within a working day only the working periods count (by default
08:30-12:00 and 14:00-17:30 China time). A year the package does not know yet (the arrangement for the next
year is published each November, and a package release follows) can be declared by the city in the time-limit
file (`[calendar.years.YYYY]`); any other unknown year is refused with `CalendarNotCovered`, never guessed.

Everything here is pure: no settings, files or clocks.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

from gridmap.errors import CalendarNotCovered, InvalidInput

CHINA_TIME = ZoneInfo("Asia/Shanghai")
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(14, 0), time(17, 30)))
# Walking further than this many calendar days for one answer means a limit or a calendar is absurd.
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class DeclaredYear:
    """A year the package does not know, as the city declares it: its days off and its adjusted working days."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days (China's calendar, plus declared years) and the working periods of each, in `tz`."""

    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    declared: Mapping[int, DeclaredYear] = field(default_factory=dict)
    tz: ZoneInfo = CHINA_TIME

    def __post_init__(self) -> None:
        if not self.periods:
            msg = "a working calendar needs at least one working period (e.g. 08:30-12:00)"
            raise InvalidInput(msg)
        ends = [moment for period in self.periods for moment in period]
        if any(start >= end for start, end in self.periods) or ends != sorted(ends):
            msg = "working periods must each start before they end, in order and without overlapping"
            raise InvalidInput(msg)

    @property
    def day_length(self) -> timedelta:
        """The working time of one whole working day (7 h for 08:30-12:00 and 14:00-17:30)."""
        return sum((_span(start, end) for start, end in self.periods), timedelta())

    def is_working_day(self, day: date) -> bool:
        """True for a working day (adjusted working days included); CalendarNotCovered for an unknown year."""
        declared = self.declared.get(day.year)
        if declared is not None:
            if day in declared.workdays:
                return True
            return day not in declared.holidays and day.weekday() < 5
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            msg = (
                f"the working calendar does not know {day.year}: upgrade the chinesecalendar package, or declare "
                f"the year's holidays and adjusted working days under [calendar.years.{day.year}] in the time-limit "
                "file (GRIDMAP_TIME_LIMITS)"
            )
            raise CalendarNotCovered(msg) from None

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The moment when `amount` of working time has passed after `start` (aware); `start` itself for zero."""
        _check_aware(start)
        if amount < timedelta():
            msg = f"working time to add must not be negative (got {amount})"
            raise InvalidInput(msg)
        remaining = amount
        if not remaining:
            return start
        for opens, closes in self._periods_from(start):
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        msg = f"{amount} of working time does not fit in {MAX_DAYS} days after {start.isoformat()}"
        raise InvalidInput(msg)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from `start` to `end` (aware), negative when `end` comes first."""
        _check_aware(start)
        _check_aware(end)
        if end < start:
            return -self.between(end, start)
        total = timedelta()
        for opens, closes in self._periods_from(start):
            if opens >= end:
                return total
            total += min(closes, end) - max(opens, start)
        msg = f"{start.isoformat()} to {end.isoformat()} spans more than {MAX_DAYS} days"
        raise InvalidInput(msg)

    def _periods_from(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The working periods (aware, in order) that end after `start`, day after day, for MAX_DAYS days."""
        first = start.astimezone(self.tz).date()
        for offset in range(MAX_DAYS):
            day = first + timedelta(days=offset)
            if not self.is_working_day(day):
                continue
            for opens, closes in self.periods:
                period_end = datetime.combine(day, closes, self.tz)
                if period_end > start:
                    yield datetime.combine(day, opens, self.tz), period_end


def _span(start: time, end: time) -> timedelta:
    """The length of a period within one day."""
    return datetime.combine(date.min, end) - datetime.combine(date.min, start)


def _check_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"time {moment.isoformat()} has no time zone; give an aware datetime"
        raise InvalidInput(msg)
