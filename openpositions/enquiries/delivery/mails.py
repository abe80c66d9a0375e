"""The mails an enquiry makes: to the professor (the enquiry and the follow-ups that carry the
documents it has no room for), the applicant's receipt, the operator's alerts."""

import re
import unicodedata
from email.headerregistry import Address
from email.message import EmailMessage

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from openpositions.content import current_content
from openpositions.content.entities import GroupOffice
from openpositions.content.topics import topic_title
from openpositions.enquiries.asked import shown_document_label
from openpositions.enquiries.delivery.brief import professor_brief
from openpositions.enquiries.delivery.packing import MailPlan, plan_mails
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.enquiries.private_link import private_link_url
from openpositions.extensions import db
from openpositions.formatting import format_moment, format_size
from openpositions.mail.addresses import NotOneAddress, parse_address
from openpositions.mail.attachments import attach
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


def follow_up_message_id(reference: str, number: int) -> str:
    """The Message-ID of an enquiry's professor's mail `number` (1 is the enquiry's own)."""
    return reference_message_id(reference, "enquiry" if number == 1 else f"enquiry-{number}")


# What a file name keeps of a label or a name: letters, marks, numbers, spaces and a little
# punctuation; anything else (slashes, colons, quotes, controls) becomes a space.
FILE_NAME_PUNCTUATION = frozenset(" -'’.,()&+")
FILE_NAME_PART_LIMIT = 60


def file_name_part(text: str) -> str:
    kept = "".join(
        c if unicodedata.category(c)[0] in "LMN" or c in FILE_NAME_PUNCTUATION else " "
        for c in unicodedata.normalize("NFC", text)
    )
    part = re.sub(r"\s+", " ", kept).strip(" .")
    if len(part) > FILE_NAME_PART_LIMIT:
        cut = part[:FILE_NAME_PART_LIMIT]
        part = cut[: cut.rindex(" ")] if " " in cut else cut
    return part


def document_attachment_name(label: str, applicant: str) -> str:
    """What an attachment is called in the professor's mail: what it is and whose, in their own
    script: "Transcripts – Jana Müller-Ødegård.pdf"."""
    parts = [part for part in (file_name_part(label), file_name_part(applicant)) if part]
    return f"{' – '.join(parts) or 'document'}.pdf"


def attach_documents(
    message: EmailMessage,
    enquiry: Enquiry,
    documents: list[EnquiryDocument],
    position_labels: dict[str, str],
) -> None:
    """Attach `documents`, each named by what it is in the professor's language; their bytes
    are read from the database one at a time, as each is attached."""
    for document in documents:
        label = position_labels.get(document.key, document.label)
        attach(
            message,
            document.data,
            maintype="application",
            subtype="pdf",
            name=document_attachment_name(label, enquiry.name),
        )
        # The mail holds it now, encoded: the session need not keep the bytes too.
        db.session.expire(document, ["data"])


def document_labels(enquiry: Enquiry) -> dict[str, str]:
    """Each document's label in the current language, by its key."""
    position = current_content().position(enquiry.position_slug)
    return {
        document.key: shown_document_label(document.key, document.label, position)
        for document in enquiry.documents
    }


# What the enquiry's own mail may grow by once its documents are planned: each document's line
# in the brief then names the mail that carries it, in both parts.
PLAN_WORDING_ALLOWANCE = 1024


def professor_plan(enquiry: Enquiry) -> MailPlan:
    """Which of the professor's mails carries each document: as stored, and for documents not
    planned yet, what the enquiry's own mail leaves room for beside its text."""
    without_files = professor_text_mail(enquiry, plan_mails(enquiry, 0))
    text_size = len(without_files.as_bytes()) + PLAN_WORDING_ALLOWANCE * (
        1 + len(enquiry.documents)
    )
    return plan_mails(enquiry, text_size)


def professor_mail(enquiry: Enquiry, plan: MailPlan | None = None) -> EmailMessage:
    """The enquiry as a brief the professor reads at a glance: Reply answers the applicant.

    It carries the documents `plan` (by default professor_plan's) puts in mail 1.
    """
    if plan is None:
        plan = professor_plan(enquiry)
    message = professor_text_mail(enquiry, plan)
    with force_locale(current_app.config["ENQUIRY_MAIL_LANGUAGE"]):
        attach_documents(message, enquiry, plan.documents_in(enquiry, 1), document_labels(enquiry))
    return message


def professor_subject(enquiry: Enquiry, position_title: str) -> str:
    # The name first: an inbox list cuts the end of a long subject, not its start.
    return f"{display_name(enquiry.name)} – {position_title} ({enquiry.reference})"


def numbered(subject: str, number: int, count: int) -> str:
    """A subject that says which of the enquiry's mails this is: "… (2 of 3)"."""
    return str(
        gettext(
            "%(subject)s (%(number)d of %(count)d)", subject=subject, number=number, count=count
        )
    )


def professor_text_mail(enquiry: Enquiry, plan: MailPlan) -> EmailMessage:
    """The professor's mail without its attachments."""
    language = current_app.config["ENQUIRY_MAIL_LANGUAGE"]
    with force_locale(language):
        content = current_content()
        brief = professor_brief(enquiry, content, language, plan)
        name = display_name(enquiry.name)
        context = {"enquiry": enquiry, "site": content.site, "brief": brief}
        subject = professor_subject(enquiry, brief.position_title)
        return compose(
            subject=numbered(subject, 1, plan.first_count) if plan.first_count > 1 else subject,
            to=professor_address(),
            reply_to=Address(name, addr_spec=enquiry.transport_email),
            text=render_template("email/professor.txt", **context),
            html=render_template("email/professor.html", **context),
            message_id=message_id(enquiry, "enquiry"),
        )


def follow_up_mail(enquiry: Enquiry, plan: MailPlan, number: int) -> EmailMessage:
    """Mail `number` (2 and on) to the professor, in the enquiry's thread: the documents that
    did not fit the mails before it, or that the applicant added later."""
    with force_locale(current_app.config["ENQUIRY_MAIL_LANGUAGE"]):
        content = current_content()
        documents = plan.documents_in(enquiry, number)
        labels = document_labels(enquiry)
        title = topic_title(content, enquiry.position_slug, enquiry.position_title)
        subject = professor_subject(enquiry, title)
        added = number > plan.first_count
        context = {
            "enquiry": enquiry,
            "site": content.site,
            "added": added,
            "number": number,
            "count": plan.first_count,
            "added_at": format_moment(max(d.added_at for d in documents)) if documents else "",
            "documents": [
                gettext(
                    "%(document)s: %(file)s (%(size)s)",
                    document=labels.get(d.key, d.label),
                    file=d.filename,
                    size=format_size(d.size),
                )
                for d in documents
            ],
        }
        message = compose(
            subject=(
                gettext("%(subject)s: documents added", subject=subject)
                if added
                else numbered(subject, number, plan.first_count)
            ),
            to=professor_address(),
            reply_to=Address(display_name(enquiry.name), addr_spec=enquiry.transport_email),
            text=render_template("email/professor_follow_up.txt", **context),
            html=None,
            message_id=follow_up_message_id(enquiry.reference, number),
        )
        attach_documents(message, enquiry, documents, labels)
    first = follow_up_message_id(enquiry.reference, 1)
    message["In-Reply-To"] = first
    message["References"] = first
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
        labels = document_labels(enquiry)
        context = {
            "enquiry": enquiry,
            "site": content.site,
            "position_title": topic_title(content, enquiry.position_slug, enquiry.position_title),
            "received": format_moment(enquiry.created_at),
            # Named by what they are, never by the applicant's own file names.
            "documents": [
                gettext(
                    "%(document)s (PDF, %(size)s)",
                    document=labels[document.key],
                    size=format_size(document.size),
                )
                for document in enquiry.documents
            ],
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


def documents_added_mail(enquiry: Enquiry, documents: list[EnquiryDocument]) -> EmailMessage:
    """The applicant's receipt for documents added from their private page, once the professor
    has them: which, in their language. As in the first receipt, none of their own text (the
    documents are named by what they are, not by their file names)."""
    with force_locale(enquiry.language):
        content = current_content()
        labels = document_labels(enquiry)
        context = {
            "enquiry": enquiry,
            "site": content.site,
            "position_title": topic_title(content, enquiry.position_slug, enquiry.position_title),
            "documents": [
                gettext(
                    "%(document)s (PDF, %(size)s)",
                    document=labels[document.key],
                    size=format_size(document.size),
                )
                for document in documents
            ],
            "private_url": private_link_url(enquiry),
        }
        office = office_reply_to(content.site.office)
        return compose(
            subject=gettext(
                "Your documents were added to your enquiry %(reference)s",
                reference=enquiry.reference,
            ),
            to=Address(addr_spec=enquiry.transport_email),
            reply_to=office,
            text=render_template("email/documents_added.txt", **context),
            html=None,
            message_id=message_id(enquiry, f"added-{min(d.id for d in documents)}"),
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
