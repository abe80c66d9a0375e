"""What the professor needs at a glance about an enquiry, before its message."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from babel import Locale
from flask_babel import format_date, gettext, ngettext

from openpositions.clock import in_group_timezone
from openpositions.content import Content, Position, current_day
from openpositions.content.topics import topic_title
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.web.urls import absolute_url


@dataclass(frozen=True)
class Brief:
    position_title: str
    # Empty for the fellowship and general routes, and where no SITE_URL says where the site is.
    position_url: str
    # "open", "open until 15 January 2026", "closed", ...: as the site shows it today.
    position_state: str
    language: str
    received: str
    cv: str
    # One line for each: "RS-7KQ2-M9XD, 2026-11-28 14:02 CET, General enquiry".
    earlier: tuple[str, ...]


def shown_time(stored: datetime) -> str:
    """A stored time as the group's clock showed it, with the zone: 2026-12-01 10:04 CET."""
    return in_group_timezone(stored).strftime("%Y-%m-%d %H:%M %Z")


def file_size(size: int | None) -> str:
    """A file's size as people say it: 870 KB, 6.5 MB."""
    size = size or 0
    if size < 1_000_000:
        return f"{max(1, round(size / 1000))} KB"
    return f"{size / 1_000_000:.1f} MB"


def position_state(position: Position, today: date) -> str:
    """Whether the position still takes applications, as the professor needs to know it."""
    days_left = position.days_left_on(today)
    if days_left is None:
        if position.deadline is not None and position.deadline_passed_on(today):
            deadline = format_date(position.deadline, "long")
            return str(gettext("closed since the deadline, %(date)s", date=deadline))
        return str(gettext("open") if position.is_open_on(today) else gettext("closed"))
    if days_left == 0:
        return str(gettext("open, closing today"))
    if days_left == 1:
        return str(gettext("open, closing tomorrow"))
    if position.closes_soon_on(today):
        return str(
            ngettext("open, closing in %(num)d day", "open, closing in %(num)d days", days_left)
        )
    return str(gettext("open until %(date)s", date=format_date(position.deadline, "long")))


def professor_brief(enquiry: Enquiry, content: Content, language: str) -> Brief:
    """The facts at the top of the professor's mail, in `language` (the content's too)."""
    position = content.position(enquiry.position_slug)
    if position is None:
        url, state = "", ""
    else:
        url = absolute_url("positions.detail", slug=position.slug)
        state = position_state(position, current_day())
    if enquiry.cv_data:
        cv = gettext(
            "attached (%(file)s, %(size)s)",
            file=enquiry.cv_filename or "cv.pdf",
            size=file_size(enquiry.cv_size),
        )
    else:
        cv = gettext("none")
    return Brief(
        position_title=topic_title(content, enquiry.position_slug, enquiry.position_title),
        position_url=url,
        position_state=state,
        language=Locale.parse(enquiry.language).get_display_name(language) or enquiry.language,
        received=shown_time(enquiry.created_at),
        cv=cv,
        earlier=tuple(
            ", ".join(
                (
                    earlier.reference,
                    shown_time(earlier.created_at),
                    topic_title(content, earlier.position_slug, earlier.position_title),
                )
            )
            for earlier in earlier_enquiries(enquiry)
        ),
    )


def earlier_enquiries(enquiry: Enquiry) -> list[Enquiry]:
    """The enquiries still kept that the same address sent before this one, newest first."""
    query = (
        sa.select(Enquiry)
        .where(sa.func.lower(Enquiry.transport_email) == enquiry.transport_email.lower())
        .where(Enquiry.id != enquiry.id, Enquiry.created_at <= enquiry.created_at)
        .order_by(Enquiry.created_at.desc())
        .limit(10)
    )
    return list(db.session.scalars(query))
