"""Telling the applicant, once, that their enquiry could not be delivered.

Not at the moment it fails: the operator is told then, and has ENQUIRY_FAILURE_NOTICE_AFTER
(a day) to fix the cause and resend it. Only an enquiry still failed after that, and never
taken by the professor's relay, makes the applicant a notice, with the group office's address.
"""

import logging
import smtplib
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext

from openpositions.clock import utcnow
from openpositions.content import current_content
from openpositions.content.topics import topic_title
from openpositions.enquiries.delivery.attempts import PermanentFailure, send_or_refuse
from openpositions.enquiries.delivery.mails import message_id
from openpositions.enquiries.models import FAILED, Enquiry
from openpositions.enquiries.private_link import private_link_url
from openpositions.extensions import db
from openpositions.formatting import format_moment
from openpositions.mail.composing import compose
from openpositions.mail.refusals import describe
from openpositions.mail.transport import NoAnswerToMessage
from openpositions.web.urls import absolute_url

log = logging.getLogger(__name__)


def failure_notice_mail(enquiry: Enquiry) -> EmailMessage:
    """The applicant's notice, in their language: the reference, and whom to write to instead.

    As in the receipt, none of the applicant's own text: the site must not carry words of
    anyone's choosing to any address. No receipt went before it: the receipt follows the
    professor's mail, which never went.
    """
    with force_locale(enquiry.language):
        content = current_content()
        office = content.site.office if content.site.office.email else None
        context = {
            "enquiry": enquiry,
            "site": content.site,
            "office": office,
            "position_title": topic_title(content, enquiry.position_slug, enquiry.position_title),
            "received": format_moment(enquiry.created_at),
            "form_url": absolute_url("enquiries.form"),
            "private_url": private_link_url(enquiry),
        }
        return compose(
            subject=gettext(
                "Your enquiry %(reference)s could not be delivered", reference=enquiry.reference
            ),
            to=Address(addr_spec=enquiry.transport_email),
            # Without an office, replies reach the site's own mailbox, which nobody reads: the
            # text says so.
            reply_to=Address(office.name, addr_spec=office.email) if office else None,
            text=render_template("email/failure_notice.txt", **context),
            html=None,
            message_id=message_id(enquiry, "failure-notice"),
        )


def failures_due_for_notice() -> list[int]:
    """The ids of failed enquiries whose applicant is due to be told, oldest failure first."""
    failed_before = utcnow() - notice_delay()
    query = (
        sa.select(Enquiry.id)
        .where(Enquiry.status == FAILED, Enquiry.notified_at.is_(None))
        .where(Enquiry.applicant_told_of_failure_at.is_(None), Enquiry.failed_at < failed_before)
        .order_by(Enquiry.failed_at)
    )
    return list(db.session.scalars(query))


def notice_delay() -> timedelta:
    return timedelta(seconds=current_app.config["ENQUIRY_FAILURE_NOTICE_AFTER"])


def tell_applicants_of_failures() -> int:
    """Send each due notice, once whatever the number of workers; how many went."""
    told = 0
    for enquiry_id in failures_due_for_notice():
        told += tell_applicant_of_failure(enquiry_id)
    return told


def tell_applicant_of_failure(enquiry_id: int) -> bool:
    """Take one due notice and send it; False if another worker took it or it was not sent.

    Taken before it is sent, so that no second worker sends it too. A relay that is down gives
    it back for the next check; one that refuses it for good, or may have taken it without
    saying so, does not: the applicant would get it twice.
    """
    taken = Enquiry.take_failure_notice(enquiry_id, failed_before=utcnow() - notice_delay())
    db.session.commit()
    if not taken:
        return False
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return False  # Withdrawn by the applicant this very moment.
    try:
        send_or_refuse(failure_notice_mail(enquiry))
    except PermanentFailure as refusal:
        log.error(
            "Enquiry %s: the applicant's notice that it could not be delivered was refused: %s",
            enquiry.reference, describe(refusal.__cause__),
        )  # fmt: skip
        return False
    except NoAnswerToMessage as error:
        log.warning(
            "Enquiry %s: the applicant's notice may have arrived (%s); not sent again",
            enquiry.reference, error,
        )  # fmt: skip
        return False
    except (smtplib.SMTPException, OSError) as error:
        Enquiry.give_back_failure_notice(enquiry_id)
        db.session.commit()
        log.warning(
            "Enquiry %s: the applicant's notice could not be sent (%s); trying again later",
            enquiry.reference, describe(error),
        )  # fmt: skip
        return False
    log.info("Enquiry %s: the applicant was told that it could not be delivered", enquiry.reference)
    return True
