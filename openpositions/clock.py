"""The site's clock: the moment now, "today", and what a day means in the group's time zone."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

# A callable returning the current moment as an aware datetime. The store holds one, so that
# tests can set the time of day without patching anything global.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Now as the database keeps times: naive UTC (SQLite keeps no zone)."""
    return system_clock().replace(tzinfo=None)


def in_group_timezone(stored: datetime) -> datetime:
    """A stored time (naive UTC, as every time here is) as the group's clock showed it.

    The result carries its zone (the setting TIMEZONE), so that formatting it can show the
    offset or the abbreviation, which changes with summer time.
    """
    return stored.replace(tzinfo=UTC).astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day `moment` falls on in `timezone` (00:30 UTC is already 01:30 in Berlin)."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def end_of_day(day: date, timezone: str) -> datetime:
    """The last second of `day` in `timezone`: a deadline day is open to its end."""
    return datetime.combine(day, time(23, 59, 59), ZoneInfo(timezone))
