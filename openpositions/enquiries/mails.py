"""The two mails an enquiry makes: to the professor, and the applicant's acknowledgement."""

import re
import unicodedata
from email.utils import parseaddr

from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mail import Message

from openpositions.content import current_content
from openpositions.content.topics import topic_title
from openpositions.enquiries.models import Enquiry


def professor_address() -> str:
    """Where enquiries go: the configured recipient, else the site's contact person."""
    return current_app.config["ENQUIRY_RECIPIENT"] or current_content().site.contact.email


# Address punctuation, and the = and ? of RFC 2047 encoded words ("=?utf-8?q?...?=").
NOT_IN_HEADER_NAMES = re.compile(r'[<>@,;:"\\()\[\]=?]+')


def display_name(name: str) -> str:
    """The applicant's name for Subject and Reply-To, with nothing a mail client would decode.

    Headers are encoded, so no name can add one; but a client shows the decoded text, where
    "Ada <someone@else.org>" would pass for another address and an encoded word typed as a
    name would turn into whatever it encodes.
    """
    return " ".join(NOT_IN_HEADER_NAMES.sub(" ", name).split())


def message_id(enquiry: Enquiry, kind: str) -> str:
    """A Message-ID that is the same on every attempt, so a repeat is recognisable."""
    domain = parseaddr(current_app.config["MAIL_DEFAULT_SENDER"])[1].rpartition("@")[2]
    return f"<{enquiry.reference}.{kind}@{domain or 'localhost'}>"


def cv_attachment_name(enquiry: Enquiry) -> str:
    """A file name safe in any mail client and file system, naming applicant and reference."""
    ascii_name = unicodedata.normalize("NFKD", enquiry.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:40]
    return f"cv-{slug}-{enquiry.reference}.pdf" if slug else f"cv-{enquiry.reference}.pdf"


def professor_mail(enquiry: Enquiry) -> Message:
    """The enquiry as the professor reads it: Reply answers the applicant."""
    with force_locale(current_app.config["ENQUIRY_MAIL_LANGUAGE"]):
        content = current_content()
        # The title in the professor's language, whichever language the applicant used.
        position_title = topic_title(content, enquiry.position_slug, enquiry.position_title)
        subject = gettext(
            "Enquiry %(reference)s: %(position)s – %(name)s",
            reference=enquiry.reference,
            position=position_title,
            name=display_name(enquiry.name),
        )
        context = {"enquiry": enquiry, "site": content.site, "position_title": position_title}
        message = Message(
            subject=subject,
            recipients=[professor_address()],
            reply_to=(display_name(enquiry.name), enquiry.transport_email),
            body=render_template("email/professor.txt", **context),
            html=render_template("email/professor.html", **context),
        )
    message.msgId = message_id(enquiry, "enquiry")
    if enquiry.cv_filename and enquiry.cv_data:
        message.attach(cv_attachment_name(enquiry), "application/pdf", enquiry.cv_data)
    return message


def acknowledgement_mail(enquiry: Enquiry) -> Message:
    """The applicant's receipt: reference, position, what happens next; none of their text."""
    with force_locale(enquiry.language):
        context = {"enquiry": enquiry, "site": current_content().site}
        message = Message(
            subject=gettext("We received your enquiry %(reference)s", reference=enquiry.reference),
            recipients=[enquiry.transport_email],
            body=render_template("email/acknowledgement.txt", **context),
            html=render_template("email/acknowledgement.html", **context),
        )
    message.msgId = message_id(enquiry, "acknowledgement")
    return message
