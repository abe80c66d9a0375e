"""The mails an enquiry makes: to the professor, the applicant's receipt, the operator's alerts.

Composed with Python's modern email API: every address an Address, every header encoded by the
policy, so that names in any script arrive as typed and bodies keep to SMTP's line limit.
"""

import re
import unicodedata
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from openpositions.content import current_content
from openpositions.content.topics import topic_title
from openpositions.enquiries.addresses import parse_address
from openpositions.enquiries.brief import file_size, professor_brief, shown_time
from openpositions.enquiries.headers import set_address_header, set_text_header
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.private_link import private_link_url
from openpositions.web.urls import absolute_url

# SMTP's CRLF line ends; 7bit, so that any byte beyond ASCII travels quoted-printable or base64
# and no line comes near the 998-byte limit, whatever the relay offers.
# Headers written ready-folded (see headers.py) are kept as they are, never folded again.
MAIL_POLICY = policy.SMTP.clone(cte_type="7bit", refold_source="none")

# What the two text parts, the headers and the MIME structure may take at most, beside the CV:
# a 5,000-character message in both parts, escaped and encoded, stays well below it.
MESSAGE_ALLOWANCE = 128 * 1024
# base64 writes 57 bytes as a line of 76 characters and CRLF.
BASE64_LINE_INPUT, BASE64_LINE_OUTPUT = 57, 78


def largest_cv(max_message_size: int) -> int:
    """The largest CV (bytes) whose mail still fits a relay that takes `max_message_size`."""
    lines = max(0, max_message_size - MESSAGE_ALLOWANCE) // BASE64_LINE_OUTPUT
    return lines * BASE64_LINE_INPUT


def professor_address() -> Address:
    """Where enquiries go: the configured recipient, else the site's contact person."""
    return parse_address(
        current_app.config["ENQUIRY_RECIPIENT"] or current_content().site.contact.email
    )


def site_sender() -> Address:
    return parse_address(current_app.config["MAIL_DEFAULT_SENDER"])


# Address punctuation, and the = and ? of RFC 2047 encoded words ("=?utf-8?q?...?=").
# Parentheses stay: names carry them ("渡辺 美咲子 (わたなべ みさこ)"), and in a quoted display
# name they are text, not a comment.
NOT_IN_HEADER_NAMES = re.compile(r'[<>@,;:"\\\[\]=?]+')


def display_name(name: str) -> str:
    """The applicant's name for Subject and Reply-To, with nothing a mail client would decode.

    Headers are encoded, so no name can add one; but a client shows the decoded text, where
    "Ada <someone@else.org>" would pass for another address and an encoded word typed as a
    name would turn into whatever it encodes.
    """
    return " ".join(NOT_IN_HEADER_NAMES.sub(" ", name).split())


def message_id(enquiry: Enquiry, kind: str) -> str:
    """A Message-ID that is the same on every attempt, so a repeat is recognisable."""
    return reference_message_id(enquiry.reference, kind)


def reference_message_id(reference: str, kind: str) -> str:
    """The Message-ID of an enquiry's mail of one kind, from its reference alone."""
    return f"<{reference}.{kind}@{site_sender().domain}>"


def cv_attachment_name(enquiry: Enquiry) -> str:
    """A file name safe in any mail client and file system, naming applicant and reference."""
    ascii_name = unicodedata.normalize("NFKD", enquiry.name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:40]
    return f"cv-{slug}-{enquiry.reference}.pdf" if slug else f"cv-{enquiry.reference}.pdf"


def compose(
    *,
    subject: str,
    to: Address,
    text: str,
    html: str | None,
    message_id: str,
    reply_to: Address | None = None,
) -> EmailMessage:
    """A mail from the site's own address: headers, a text part, and an HTML alternative."""
    message = EmailMessage(policy=MAIL_POLICY)
    set_text_header(message, "Subject", subject)
    set_address_header(message, "From", site_sender())
    set_address_header(message, "To", to)
    if reply_to is not None:
        set_address_header(message, "Reply-To", reply_to)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def professor_mail(enquiry: Enquiry) -> EmailMessage:
    """The enquiry as a brief the professor reads at a glance: Reply answers the applicant."""
    language = current_app.config["ENQUIRY_MAIL_LANGUAGE"]
    with force_locale(language):
        content = current_content()
        brief = professor_brief(enquiry, content, language)
        name = display_name(enquiry.name)
        context = {"enquiry": enquiry, "site": content.site, "brief": brief}
        message = compose(
            # The name first: an inbox list cuts the end of a long subject, not its start.
            subject=f"{name} – {brief.position_title} ({enquiry.reference})",
            to=professor_address(),
            reply_to=Address(name, addr_spec=enquiry.transport_email),
            text=render_template("email/professor.txt", **context),
            html=render_template("email/professor.html", **context),
            message_id=message_id(enquiry, "enquiry"),
        )
    if enquiry.cv_filename and enquiry.cv_data:
        message.add_attachment(
            enquiry.cv_data,
            maintype="application",
            subtype="pdf",
            filename=cv_attachment_name(enquiry),
        )
    return message


def acknowledgement_mail(enquiry: Enquiry) -> EmailMessage:
    """The applicant's receipt: what arrived and what happens next.

    None of the applicant's own text (name, message, file name): otherwise anyone could send
    words of their choosing to any address through the site.
    """
    with force_locale(enquiry.language):
        content = current_content()
        context = {
            "enquiry": enquiry,
            "site": content.site,
            "position_title": topic_title(content, enquiry.position_slug, enquiry.position_title),
            "received": shown_time(enquiry.created_at),
            "cv_size": file_size(enquiry.cv_size) if enquiry.cv_data else None,
            "form_url": absolute_url("enquiries.form"),
            "private_url": private_link_url(enquiry),
        }
        return compose(
            subject=gettext("We received your enquiry %(reference)s", reference=enquiry.reference),
            to=Address(addr_spec=enquiry.transport_email),
            text=render_template("email/acknowledgement.txt", **context),
            html=render_template("email/acknowledgement.html", **context),
            message_id=message_id(enquiry, "acknowledgement"),
        )


def withdrawal_notice_mail(reference: str) -> EmailMessage:
    """Tell the professor an enquiry was withdrawn, so that their copy can go too.

    The reference and nothing else: the enquiry is deleted, and this mail must not keep
    what the applicant asked to be rid of. It answers the enquiry's own mail, so that mail
    clients show it in the same thread.
    """
    with force_locale(current_app.config["ENQUIRY_MAIL_LANGUAGE"]):
        context = {"reference": reference, "site": current_content().site}
        message = compose(
            subject=gettext(
                "Enquiry %(reference)s withdrawn by the applicant", reference=reference
            ),
            to=professor_address(),
            text=render_template("email/withdrawn.txt", **context),
            html=None,
            message_id=reference_message_id(reference, "withdrawn"),
        )
    enquiry_mail = reference_message_id(reference, "enquiry")
    message["In-Reply-To"] = enquiry_mail
    message["References"] = enquiry_mail
    return message


def operator_alert_mail(enquiry: Enquiry, kind: str) -> EmailMessage:
    """Tell the operator an enquiry failed for good or waits too long: never its content."""
    context = {
        "enquiry": enquiry,
        "recipient": professor_address().addr_spec,
        "kind": kind,
    }
    # The operator reads the site's logs and commands in English; so is this.
    with force_locale("en"):
        subject = (
            f"Enquiry {enquiry.reference} could not be delivered"
            if kind == "failed"
            else f"Enquiry {enquiry.reference} is still waiting to be delivered"
        )
        return compose(
            subject=subject,
            to=parse_address(current_app.config["OPERATOR_EMAIL"]),
            text=render_template("email/operator_alert.txt", **context),
            html=None,
            message_id=message_id(enquiry, f"alert-{kind}"),
        )
