"""What the professor needs at a glance about an enquiry, before its message."""

from dataclasses import dataclass

import sqlalchemy as sa
from babel import Locale
from flask_babel import gettext

from openpositions.content import Content, current_day
from openpositions.content.deadlines import position_state
from openpositions.content.topics import topic_title
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.formatting import format_moment, format_size
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
            size=format_size(enquiry.cv_size or 0),
        )
    else:
        cv = gettext("none")
    return Brief(
        position_title=topic_title(content, enquiry.position_slug, enquiry.position_title),
        position_url=url,
        position_state=state,
        language=Locale.parse(enquiry.language).get_display_name(language) or enquiry.language,
        received=format_moment(enquiry.created_at),
        cv=cv,
        earlier=tuple(
            ", ".join(
                (
                    earlier.reference,
                    format_moment(earlier.created_at),
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
