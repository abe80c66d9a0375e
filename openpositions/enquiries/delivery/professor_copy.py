"""A delivered enquiry's mail sent to the professor again, at the operator's request, as a copy."""

import logging
import re
import secrets
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import escape

from openpositions.enquiries import totals
from openpositions.enquiries.delivery.mails import professor_mail, reference_message_id
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.formatting import format_moment
from openpositions.mail.composing import body_encoding
from openpositions.mail.headers import set_text_header
from openpositions.mail.transport import send_message

log = logging.getLogger(__name__)

BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def first_delivered(enquiry: Enquiry) -> datetime | None:
    """When the relay took the professor's mail of a delivered enquiry (None: not delivered)."""
    return enquiry.notified_at or enquiry.sent_at


def professor_copy_mail(enquiry: Enquiry, first_sent: datetime) -> EmailMessage:
    """The professor's mail once more, marked as a copy in its subject and at the top of its text.

    It has a Message-ID of its own: a client that already holds the first mail would take a
    second one with the same id for a duplicate and drop it, the very copy that was asked for.
    Its References name the first, so that clients show the two in one thread.
    """
    message = professor_mail(enquiry)
    with force_locale(current_app.config["ENQUIRY_MAIL_LANGUAGE"]):
        subject = gettext("Copy: %(subject)s", subject=str(message["Subject"]))
        note = gettext(
            "This is a copy, sent again at the site operator's request; the first went to you "
            "on %(date)s.",
            date=format_moment(first_sent),
        )
    del message["Subject"]
    set_text_header(message, "Subject", subject)
    del message["Message-ID"]
    copy_id = f"enquiry-copy-{secrets.token_hex(4)}"
    message["Message-ID"] = reference_message_id(enquiry.reference, copy_id)
    message["References"] = reference_message_id(enquiry.reference, "enquiry")
    put_first_in_text(message, note)
    return message


def put_first_in_text(message: EmailMessage, note: str) -> None:
    """Put `note` first in the message's plain text and HTML parts, as a paragraph of its own."""
    plain = message.get_body(preferencelist=("plain",))
    if isinstance(plain, EmailMessage):
        text = f"{note}\n\n{plain.get_content()}"
        plain.set_content(text, cte=body_encoding(text))
    html = message.get_body(preferencelist=("html",))
    if isinstance(html, EmailMessage):
        paragraph = f'<p style="font-weight: bold;">{escape(note)}</p>'
        old = html.get_content()
        body = BODY_TAG.search(old)
        at = body.end() if body else 0
        new = f"{old[:at]}\n{paragraph}{old[at:]}"
        html.set_content(new, subtype="html", cte=body_encoding(new))


def send_professor_copy(enquiry: Enquiry) -> datetime:
    """Send a delivered enquiry's mail to the professor again, marked as a copy, and count it.

    Returns when the first went. Raises what the relay answered (SMTPException, OSError) when
    it did not take the copy; then nothing is counted.
    """
    first_sent = first_delivered(enquiry)
    if first_sent is None:
        raise ValueError(f"enquiry {enquiry.reference} was never delivered: resend it instead")
    send_message(professor_copy_mail(enquiry, first_sent))
    totals.add_to_totals({totals.COPIES_RESENT: 1})
    db.session.commit()
    log.info("Enquiry %s: a copy sent to the professor again on request", enquiry.reference)
    return first_sent
