"""Delivering a stored enquiry by mail, with retries, and finding enquiries that were lost."""

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from functools import partial

from flask import current_app
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from openpositions.enquiries import totals
from openpositions.enquiries.delivery.mails import (
    acknowledgement_mail,
    documents_added_mail,
    follow_up_mail,
    operator_alert_mail,
    professor_mail,
    professor_plan,
    withdrawal_notice_mail,
)
from openpositions.enquiries.delivery.packing import MailPlan
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.extensions import db
from openpositions.mail.refusals import describe, permanent
from openpositions.mail.transport import (
    MessageTooLarge,
    send_message,
)

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The mail server refused for good (5xx): retrying cannot help."""


class WithdrawnMeanwhile(Exception):
    """The applicant withdrew the enquiry while it was being sent: its row is gone."""


class DocumentsGone(Exception):
    """The documents a mail carried were deleted meanwhile, with their enquiry."""


def record(change: Callable[[], None]) -> None:
    """Make a change through one of the model's methods and commit it.

    Raises WithdrawnMeanwhile if the row was deleted meanwhile: writing to a deleted row
    updates nothing (an UPDATE never inserts the row again), SQLAlchemy says so with
    StaleDataError when it flushes, and the enquiry stays deleted.
    """
    try:
        change()
        db.session.commit()
    except (StaleDataError, DocumentsGone) as error:
        db.session.rollback()
        raise WithdrawnMeanwhile() from error


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: try again in so many seconds, or done, or failed for good."""

    retry_in: float | None = None
    failed: bool = False


DONE = Outcome()


def attempt_delivery(enquiry_id: int) -> Outcome:
    """Try once to send an enquiry's mails, and record how it went."""
    lease = timedelta(seconds=current_app.config["ENQUIRY_DELIVERY_LEASE"])
    claimed = Enquiry.claim(enquiry_id, lease)
    db.session.commit()
    if not claimed:
        return DONE  # Purged, delivered, or being sent right now by another copy of this task.
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return DONE  # Withdrawn between the claim and now.
    reference = enquiry.reference
    try:
        return deliver_claimed(enquiry)
    except WithdrawnMeanwhile:
        db.session.commit()  # The time spent sending still counts (send_timed).
        log.info("Enquiry %s was withdrawn while being sent; nothing more done", reference)
        return DONE


def deliver_claimed(enquiry: Enquiry) -> Outcome:
    """Send a claimed enquiry's mails and record the outcome (WithdrawnMeanwhile: row gone)."""
    try:
        send_timed(enquiry)
    except WithdrawnMeanwhile:
        raise
    except ObjectDeletedError as error:  # A document, loaded only when needed, was deleted.
        raise WithdrawnMeanwhile() from error
    except PermanentFailure as refusal:
        return give_up(enquiry, describe(refusal.__cause__))
    except (smtplib.SMTPException, OSError) as error:
        return retry_later(enquiry, describe(error))
    except Exception as error:  # A bug or bad data must not leave the enquiry stuck: retry.
        log.exception("Enquiry %s: unexpected error while sending", enquiry.reference)
        return retry_later(enquiry, describe(error))
    record(enquiry.mark_sent)
    log.info("Enquiry %s sent after %d attempt(s)", enquiry.reference, enquiry.attempts)
    return DONE


def send_timed(enquiry: Enquiry) -> None:
    """Send the pending mails, adding the time it took, however it ended, to the totals.

    Not committed here: the attempt's outcome, committed next, carries it.
    """
    started = time.perf_counter()
    try:
        send_pending_mails(enquiry)
    finally:
        spent = time.perf_counter() - started
        totals.add_to_totals({totals.SEND_SECONDS: spent, totals.SENDS_TIMED: 1})


def send_pending_mails(enquiry: Enquiry) -> None:
    """Send whichever of the mails has not gone yet, recording each as it goes: the professor's
    (the enquiry's own, then each follow-up that carries documents), then the receipt.

    Which mail carries which document is stored before any goes, so that every attempt sends
    the same mails; each is recorded as sent once the relay has taken it, and never sent again.
    """
    plan = planned_mails(enquiry)
    if enquiry.notified_at is None:
        send_or_refuse(professor_mail(enquiry, plan))
        record(lambda: record_professor_mail(enquiry, 1))
    send_follow_ups(enquiry, plan)
    if current_app.config["ENQUIRY_ACKNOWLEDGE"] and enquiry.acknowledged_at is None:
        try:
            send_or_refuse(acknowledgement_mail(enquiry))
        except PermanentFailure as refusal:
            # The professor has the enquiry; a refused receipt must not hold it back.
            enquiry.note_error(f"acknowledgement refused: {describe(refusal.__cause__)}")
            log.warning("Enquiry %s: acknowledgement refused", enquiry.reference)
            return
        enquiry.mark_acknowledged()
        # The receipt named every document, those added before it went too.
        added = [d.id for d in enquiry.documents if d.added_later]
        if added:
            EnquiryDocument.mark_applicant_told(added)


def planned_mails(enquiry: Enquiry) -> MailPlan:
    """Which of the professor's mails carries each document, stored before any mail goes."""
    plan = professor_plan(enquiry)
    unplanned = {d.id: plan.mail_of(d) for d in enquiry.documents if d.mail_number is None}
    if unplanned:
        record(lambda: EnquiryDocument.plan_mails(unplanned))
    return plan


def send_follow_ups(enquiry: Enquiry, plan: MailPlan) -> None:
    """Send each of the professor's mails after the first whose documents have not gone yet."""
    for number in range(2, plan.last + 1):
        documents = plan.documents_in(enquiry, number)
        if documents and any(document.mail_sent_at is None for document in documents):
            send_or_refuse(follow_up_mail(enquiry, plan, number))
            record(partial(record_professor_mail, enquiry, number))


def attempt_added_documents(enquiry_id: int) -> None:
    """Send the documents added to a delivered enquiry since: to the professor in its thread,
    then the applicant's receipt for them. Raises what the relay answered, to be retried.

    An enquiry not delivered yet needs nothing here: its own delivery carries them.
    """
    lease = timedelta(seconds=current_app.config["ENQUIRY_DELIVERY_LEASE"])
    claimed = Enquiry.claim_delivered(enquiry_id, lease)
    db.session.commit()
    if not claimed:
        return  # Not delivered yet, withdrawn, or being sent right now by another worker.
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return
    reference = enquiry.reference
    try:
        send_follow_ups(enquiry, planned_mails(enquiry))
        tell_applicant_of_added_documents(enquiry)
    except (WithdrawnMeanwhile, ObjectDeletedError):
        db.session.rollback()
        log.info("Enquiry %s was withdrawn while its added documents were sent", reference)
        return
    except PermanentFailure as refusal:
        release(enquiry)
        log.error(
            "Enquiry %s: a mail with documents added later was refused: %s",
            reference, describe(refusal.__cause__),
        )  # fmt: skip
        return
    except BaseException:
        db.session.rollback()
        release(enquiry)
        raise
    release(enquiry)
    log.info("Enquiry %s: the documents added later were sent", reference)


def release(enquiry: Enquiry) -> None:
    """Let another attempt take the enquiry at once, unless it was withdrawn meanwhile."""
    try:
        record(enquiry.release_claim)
    except WithdrawnMeanwhile:
        pass


def tell_applicant_of_added_documents(enquiry: Enquiry) -> None:
    """The applicant's receipt for documents added later that went to the professor, once."""
    told = [
        d
        for d in enquiry.documents
        if d.added_later and d.mail_sent_at is not None and d.applicant_told_at is None
    ]
    if not told or not current_app.config["ENQUIRY_ACKNOWLEDGE"]:
        return
    try:
        send_or_refuse(documents_added_mail(enquiry, told))
    except PermanentFailure as refusal:
        # The professor has them; a refused receipt is not sent again.
        log.warning(
            "Enquiry %s: the receipt for documents added later was refused: %s",
            enquiry.reference, describe(refusal.__cause__),
        )  # fmt: skip
    ids = [d.id for d in told]
    record(lambda: EnquiryDocument.mark_applicant_told(ids))


def record_professor_mail(enquiry: Enquiry, number: int) -> None:
    """The relay took the professor's mail `number`: recorded on the enquiry (the first) and on
    the documents it carries. Raises (so that record says withdrawn) if they are gone."""
    if number == 1:
        enquiry.mark_professor_notified()
    if not EnquiryDocument.mark_mail_sent(enquiry.id, number) and number > 1:
        raise DocumentsGone()


def send_or_refuse(message: EmailMessage) -> None:
    """Send one mail; PermanentFailure if the relay refused it for good (5xx, or too large)."""
    try:
        send_message(message)
    except (MessageTooLarge, smtplib.SMTPRecipientsRefused, smtplib.SMTPResponseException) as error:
        if permanent(error):
            raise PermanentFailure() from error
        raise


def retry_delay(attempts: int) -> float:
    """Seconds before the next try: doubling from ENQUIRY_RETRY_DELAY, capped."""
    config = current_app.config
    delay = config["ENQUIRY_RETRY_DELAY"] * 2 ** (attempts - 1)
    return float(min(delay, config["ENQUIRY_RETRY_MAX_DELAY"]))


def retry_later(enquiry: Enquiry, error: str) -> Outcome:
    """Schedule the next attempt, or give up once ENQUIRY_RETRY_FOR has been spent."""
    delay = retry_delay(enquiry.attempts)
    waited = sum(retry_delay(attempt) for attempt in range(1, enquiry.attempts + 1))
    if waited > current_app.config["ENQUIRY_RETRY_FOR"]:
        return give_up(enquiry, f"still failing after {enquiry.attempts} attempts: {error}")
    record(lambda: enquiry.schedule_retry(error, delay))
    log.warning(
        "Enquiry %s not sent (attempt %d): %s; next try in %ds",
        enquiry.reference, enquiry.attempts, error, delay,
    )  # fmt: skip
    return Outcome(retry_in=delay)


def give_up(enquiry: Enquiry, error: str) -> Outcome:
    record(lambda: enquiry.fail(error))
    log.error(
        "Enquiry %s FAILED after %d attempt(s): %s. Resend with: flask enquiries resend %s",
        enquiry.reference, enquiry.attempts, error, enquiry.reference,
    )  # fmt: skip
    return Outcome(failed=True)


def send_operator_alert(enquiry_id: int, kind: str) -> None:
    """Mail the operator about an enquiry that failed ("failed") or waits too long ("overdue")."""
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None or not current_app.config["OPERATOR_EMAIL"]:
        return  # Purged meanwhile, or no operator to tell: the log has it.
    send_message(operator_alert_mail(enquiry, kind))
    log.info("Operator told that enquiry %s is %s", enquiry.reference, kind)


def send_withdrawal_notice(reference: str) -> None:
    """Tell the professor that the enquiry `reference` was withdrawn; raises to be retried.

    A refusal for good (5xx) is logged, not retried: the same mail would be refused again.
    """
    try:
        send_or_refuse(withdrawal_notice_mail(reference))
    except PermanentFailure as refusal:
        log.error(
            "Enquiry %s: the professor's notice of its withdrawal was refused: %s",
            reference, describe(refusal.__cause__),
        )  # fmt: skip
        return
    log.info("Professor told that enquiry %s was withdrawn", reference)
