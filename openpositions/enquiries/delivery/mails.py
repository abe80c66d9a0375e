"""The mails an enquiry makes: to the professor, the applicant's receipt, the operator's alerts."""

from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from openpositions.content import current_content
from openpositions.content.entities import GroupOffice
from openpositions.content.topics import topic_title
from openpositions.enquiries.delivery.brief import professor_brief
from openpositions.enquiries.models import Enquiry
from openpositions.enquiries.private_link import private_link_url
from openpositions.formatting import format_moment, format_size
from openpositions.mail.addresses import NotOneAddress, parse_address
from openpositions.mail.attachments import attach, file_name_words
from openpositions.mail.composing import compose, display_name, site_sender
from openpositions.web.urls import absolute_url


def professor_address() -> Address:
    """Where enquiries go: the configured recipient, else the site's contact person."""
    return parse_address(
        current_app.config["ENQUIRY_RECIPIENT"] or current_content().site.contact.email
    )


def message_id(enquiry: Enquiry, kind: str) -> str:
    """A Message-ID that is the same on every attempt, so a repeat is recognisable."""
    return reference_message_id(enquiry.reference, kind)


def reference_message_id(reference: str, kind: str) -> str:
    """The Message-ID of an enquiry's mail of one kind, from its reference alone."""
    return f"<{reference}.{kind}@{site_sender().domain}>"


def cv_attachment_name(enquiry: Enquiry) -> str:
    """A file name safe in any mail client and file system, naming applicant (in their own
    script) and reference: "cv-jana-müller-ødegård-RS-7KQ2-M9XD.pdf"."""
    words = file_name_words(enquiry.name, limit=40)
    return f"cv-{words}-{enquiry.reference}.pdf" if words else f"cv-{enquiry.reference}.pdf"


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
        attach(
            message,
            enquiry.cv_data,
            maintype="application",
            subtype="pdf",
            name=cv_attachment_name(enquiry),
        )
    return message


def office_reply_to(office: GroupOffice) -> Address | None:
    """The group office, where replies to the receipt go; None while site.yaml names none."""
    if not office.email:
        return None
    try:
        return parse_address((office.name, office.email))
    except NotOneAddress:
        # An address that would not travel as one (a domain beyond ASCII): the receipt then
        # says that replies are not read, which is true of a mail with no Reply-To.
        return None


def acknowledgement_mail(enquiry: Enquiry) -> EmailMessage:
    """The applicant's receipt: what arrived, what happens next, and where more can go.

    None of the applicant's own text (name, message, file name): otherwise anyone could send
    words of their choosing to any address through the site. Replies go to the group office,
    never to the site's own address, which nobody reads.
    """
    with force_locale(enquiry.language):
        content = current_content()
        office = office_reply_to(content.site.office)
        context = {
            "enquiry": enquiry,
            "site": content.site,
            "position_title": topic_title(content, enquiry.position_slug, enquiry.position_title),
            "received": format_moment(enquiry.created_at),
            "cv_size": format_size(enquiry.cv_size or 0) if enquiry.cv_data else None,
            "form_url": absolute_url("enquiries.form"),
            "private_url": private_link_url(enquiry),
            "office": office,
        }
        return compose(
            subject=gettext("We received your enquiry %(reference)s", reference=enquiry.reference),
            to=Address(addr_spec=enquiry.transport_email),
            reply_to=office,
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
    # The operator reads the site's logs and commands in English; so is this.
    with force_locale("en"):
        context = {
            "enquiry": enquiry,
            "recipient": professor_address().addr_spec,
            "kind": kind,
            "received": format_moment(enquiry.created_at),
        }
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
