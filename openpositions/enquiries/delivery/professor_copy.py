"""A delivered enquiry's mails sent to the professor again, at the operator's request, as copies:
the enquiry's own and each follow-up with documents that the relay took."""

import logging
import re
import secrets
import smtplib
from datetime import datetime
from email.message import EmailMessage

from flask import current_app
from flask_babel import force_locale, gettext
from markupsafe import escape

from openpositions.enquiries import totals
from openpositions.enquiries.delivery.mails import (
    follow_up_mail,
    professor_mail,
    professor_plan,
    reference_message_id,
)
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.formatting import format_moment
from openpositions.mail.composing import body_encoding
from openpositions.mail.headers import set_text_header
from openpositions.mail.transport import MessageTooLarge, send_message

log = logging.getLogger(__name__)

BODY_TAG = re.compile(r"<body\b[^>]*>", re.IGNORECASE)


def first_delivered(enquiry: Enquiry) -> datetime | None:
    """When the relay took the professor's mail of a delivered enquiry (None: not delivered)."""
    return enquiry.notified_at or enquiry.sent_at


def professor_copy_mails(enquiry: Enquiry, first_sent: datetime) -> list[EmailMessage]:
    """The professor's mails once more, each marked as a copy in its subject and at the top of
    its text: the enquiry's own, then each follow-up whose documents the relay took.

    Each has a Message-ID of its own: a client that already holds the first mail would take a
    second one with the same id for a duplicate and drop it, the very copy that was asked for.
    Their References name the first mail, so that clients show them all in one thread.
    """
    plan = professor_plan(enquiry)
    mails = [professor_mail(enquiry, plan)]
    for number in range(2, plan.last + 1):
        documents = plan.documents_in(enquiry, number)
        if documents and all(document.mail_sent_at is not None for document in documents):
            mails.append(follow_up_mail(enquiry, plan, number))
    with force_locale(current_app.config["ENQUIRY_MAIL_LANGUAGE"]):
        note = gettext(
            "This is a copy, sent again at the site operator's request; the first went to you "
            "on %(date)s.",
            date=format_moment(first_sent),
        )
        for message in mails:
            subject = gettext("Copy: %(subject)s", subject=str(message["Subject"]))
            del message["Subject"]
            set_text_header(message, "Subject", subject)
    copy = f"enquiry-copy-{secrets.token_hex(4)}"
    for number, message in enumerate(mails, start=1):
        del message["Message-ID"]
        message["Message-ID"] = reference_message_id(
            enquiry.reference, copy if number == 1 else f"{copy}-{number}"
        )
        if number == 1:
            message["References"] = reference_message_id(enquiry.reference, "enquiry")
        put_first_in_text(message, note)
    return mails


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


class CopyIncomplete(Exception):
    """The relay took the copies of the first `sent` of an enquiry's `count` mails, and refused
    or lost the next (the error it raised is the cause)."""

    def __init__(self, sent: int, count: int) -> None:
        super().__init__(f"{sent} of {count} copies sent")
        self.sent, self.count = sent, count


def send_professor_copy(enquiry: Enquiry) -> tuple[datetime, int]:
    """Send a delivered enquiry's mails to the professor again, marked as copies, and count it.

    Returns when the first went, and how many mails were copied. Raises what the relay answered
    (SMTPException, OSError) when it did not take the first copy; then nothing is counted. When
    it took the first and not a later one, CopyIncomplete (and the copy is counted).
    """
    first_sent = first_delivered(enquiry)
    if first_sent is None:
        raise ValueError(f"enquiry {enquiry.reference} was never delivered: resend it instead")
    first, *follow_ups = professor_copy_mails(enquiry, first_sent)
    send_message(first)
    totals.add_to_totals({totals.COPIES_RESENT: 1})
    db.session.commit()
    log.info("Enquiry %s: a copy sent to the professor again on request", enquiry.reference)
    for sent, message in enumerate(follow_ups, start=1):
        try:
            send_message(message)
        except (smtplib.SMTPException, OSError, MessageTooLarge) as error:
            raise CopyIncomplete(sent, 1 + len(follow_ups)) from error
    return first_sent, 1 + len(follow_ups)
