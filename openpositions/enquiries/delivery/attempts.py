"""Delivering a stored enquiry by mail, with retries, and finding enquiries that were lost."""

import logging
import smtplib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from openpositions.enquiries import totals
from openpositions.enquiries.delivery.mails import (
    acknowledgement_mail,
    operator_alert_mail,
    professor_mail,
    withdrawal_notice_mail,
)
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from openpositions.mail.transport import (
    MessageTooLarge,
    NoAnswerToMessage,
    send_message,
    timed_out,
)

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The mail server refused for good (5xx): retrying cannot help."""


class WithdrawnMeanwhile(Exception):
    """The applicant withdrew the enquiry while it was being sent: its row is gone."""


def record(change: Callable[[], None]) -> None:
    """Make a change through one of the model's methods and commit it.

    Raises WithdrawnMeanwhile if the row was deleted meanwhile: writing to a deleted row
    updates nothing (an UPDATE never inserts the row again), SQLAlchemy says so with
    StaleDataError when it flushes, and the enquiry stays deleted.
    """
    try:
        change()
        db.session.commit()
    except StaleDataError as error:
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
    except ObjectDeletedError as error:  # Its CV, loaded only when needed, was deleted with it.
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
    """Send whichever of the two mails has not gone yet, recording each as it goes."""
    if enquiry.notified_at is None:
        send_or_refuse(professor_mail(enquiry))
        record(enquiry.mark_professor_notified)
    if current_app.config["ENQUIRY_ACKNOWLEDGE"] and enquiry.acknowledged_at is None:
        try:
            send_or_refuse(acknowledgement_mail(enquiry))
        except PermanentFailure as refusal:
            # The professor has the enquiry; a refused receipt must not hold it back.
            enquiry.note_error(f"acknowledgement refused: {describe(refusal.__cause__)}")
            log.warning("Enquiry %s: acknowledgement refused", enquiry.reference)
            return
        enquiry.mark_acknowledged()


def send_or_refuse(message: EmailMessage) -> None:
    """Send one mail; PermanentFailure if the relay refused it for good (5xx, or too large)."""
    try:
        send_message(message)
    except MessageTooLarge as error:
        raise PermanentFailure() from error
    except smtplib.SMTPRecipientsRefused as error:
        codes = [code for code, _ in error.recipients.values()]
        if all(500 <= code < 600 for code in codes):
            raise PermanentFailure() from error
        raise
    except smtplib.SMTPResponseException as error:
        if 500 <= error.smtp_code < 600:
            raise PermanentFailure() from error
        raise


def describe(error: BaseException | None) -> str:
    """A one-line account of a delivery error, for the record and the log."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = error.smtp_error
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        return f"{error.smtp_code} {text}"
    if isinstance(error, MessageTooLarge | NoAnswerToMessage):
        return str(error)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            for code, text in error.recipients.values()
        )
    config = current_app.config
    relay = f"{config['MAIL_SERVER']}:{config['MAIL_PORT']}"
    # In words an operator acts on, with the exception's own for whoever digs further.
    if error is not None and timed_out(error):
        return (
            f"the mail server at {relay} did not answer within {config['MAIL_TIMEOUT']:g} s "
            "(FLASK_MAIL_TIMEOUT)"
        )
    if isinstance(error, ConnectionRefusedError):
        return (
            f"nothing takes connections at {relay} (connection refused): "
            "is the mail server running there?"
        )
    if isinstance(error, smtplib.SMTPServerDisconnected | ConnectionError):
        return (
            f"the mail server at {relay} closed the connection before the mail was taken "
            f"({type(error).__name__}: {error})"
        )
    return f"{type(error).__name__}: {error}"


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
