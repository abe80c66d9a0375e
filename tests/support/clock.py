"""A clock a test sets to any moment, given to the site's content store in place of real time."""

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from openpositions.content import ContentStore

BERLIN = ZoneInfo("Europe/Berlin")


class SettableClock:
    """Returns the moment it was last set to."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment


def berlin(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A moment on the group's wall clock."""
    return datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def set_clock(app: Flask, moment: datetime) -> SettableClock:
    """Make the app's "now" `moment`; move it later with the returned clock's .moment."""
    store: ContentStore = app.extensions["openpositions.content"]
    clock = SettableClock(moment)
    store.clock = clock
    return clock
