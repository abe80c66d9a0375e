"""What a position's page says about its deadline drawing near."""

from datetime import date

from flask_babel import format_date, ngettext
from flask_babel import gettext as _

from openpositions.content import Position


def closing_soon_notice(position: Position, today: date) -> str | None:
    """The "Closing soon: …" line while the deadline is a week away or less; else None."""
    days_left = position.days_left_on(today)
    if position.deadline is None or days_left is None or not position.closes_soon_on(today):
        return None
    deadline = format_date(position.deadline, "long")
    if days_left == 0:
        return str(_("Closing soon: applications close on %(date)s (today)", date=deadline))
    if days_left == 1:
        return str(_("Closing soon: applications close on %(date)s (tomorrow)", date=deadline))
    return str(
        ngettext(
            "Closing soon: applications close on %(date)s (in %(num)d day)",
            "Closing soon: applications close on %(date)s (in %(num)d days)",
            days_left,
            date=deadline,
        )
    )
