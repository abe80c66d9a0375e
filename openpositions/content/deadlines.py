"""How a position's deadline is worded, the same on its page and in the professor's mail."""

from datetime import date

from flask_babel import format_date, gettext, ngettext

from openpositions.content.entities import Position


def time_left(days_left: int) -> str:
    """ "today", "tomorrow", "in 3 days": how far off a deadline `days_left` away is."""
    if days_left == 0:
        return str(gettext("today"))
    if days_left == 1:
        return str(gettext("tomorrow"))
    return str(ngettext("in %(num)d day", "in %(num)d days", days_left))


def closing_soon_notice(position: Position, today: date) -> str | None:
    """The "Closing soon: …" line while the deadline is a week away or less; else None."""
    days_left = position.days_left_on(today)
    if position.deadline is None or days_left is None or not position.closes_soon_on(today):
        return None
    return str(
        gettext(
            "Closing soon: applications close on %(date)s (%(time_left)s)",
            date=format_date(position.deadline, "long"),
            time_left=time_left(days_left),
        )
    )


def position_state(position: Position, today: date) -> str:
    """Whether the position still takes applications: "open until …", "closed", ..."""
    days_left = position.days_left_on(today)
    if days_left is None:
        if position.deadline is not None and position.deadline_passed_on(today):
            deadline = format_date(position.deadline, "long")
            return str(gettext("closed since the deadline, %(date)s", date=deadline))
        return str(gettext("open") if position.is_open_on(today) else gettext("closed"))
    if position.closes_soon_on(today):
        return str(gettext("open, closing %(time_left)s", time_left=time_left(days_left)))
    return str(gettext("open until %(date)s", date=format_date(position.deadline, "long")))
