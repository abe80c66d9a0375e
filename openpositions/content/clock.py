"""The one clock the site reads "today" from, and what a day means in the group's time zone."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

# A callable returning the current moment as an aware datetime. The store holds one, so that
# tests can set the time of day without patching anything global.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day `moment` falls on in `timezone` (00:30 UTC is already 01:30 in Berlin)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: date, timezone: str) -> datetime:
    """The last second of `day` in `timezone`: a deadline day is open to its end."""
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(timezone))
