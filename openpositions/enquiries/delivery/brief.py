"""What the professor needs at a glance about an enquiry, before its message."""

from dataclasses import dataclass

import sqlalchemy as sa
from babel import Locale
from flask_babel import gettext

from openpositions.content import Content, Position, current_day
from openpositions.content.deadlines import position_state
from openpositions.content.topics import topic_title
from openpositions.enquiries.asked import ShownAnswer, shown_answers, shown_document_label
from openpositions.enquiries.delivery.packing import MailPlan
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
    # One line for each document: "CV: cv.pdf (1.2 MB), attached to this mail".
    documents: tuple[str, ...]
    # The position's questions and the applicant's answers, labelled in `language`.
    answers: tuple[ShownAnswer, ...]
    # One line for each: "RS-7KQ2-M9XD, 2026-11-28 14:02 CET, General enquiry".
    earlier: tuple[str, ...]


def professor_brief(enquiry: Enquiry, content: Content, language: str, plan: MailPlan) -> Brief:
    """The facts at the top of the professor's mail, in `language` (the content's too)."""
    position = content.position(enquiry.position_slug)
    if position is None:
        url, state = "", ""
    else:
        url = absolute_url("positions.detail", slug=position.slug)
        state = position_state(position, current_day())
    return Brief(
        position_title=topic_title(content, enquiry.position_slug, enquiry.position_title),
        position_url=url,
        position_state=state,
        language=Locale.parse(enquiry.language).get_display_name(language) or enquiry.language,
        received=format_moment(enquiry.created_at),
        documents=tuple(document_lines(enquiry, position, plan)),
        answers=tuple(shown_answers(enquiry.answers, position)),
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


def document_lines(enquiry: Enquiry, position: Position | None, plan: MailPlan) -> list[str]:
    """Each document, its file and size, and which mail carries it."""
    lines = []
    for document in enquiry.documents:
        number = plan.mail_of(document)
        where = (
            gettext("attached to this mail")
            if number == 1
            else gettext("in mail %(number)d of %(count)d", number=number, count=plan.last)
        )
        lines.append(
            gettext(
                "%(document)s: %(file)s (%(size)s), %(where)s",
                document=shown_document_label(document.key, document.label, position),
                file=document.filename,
                size=format_size(document.size),
                where=where,
            )
        )
    return lines
