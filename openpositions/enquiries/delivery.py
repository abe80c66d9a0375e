"""Delivering a stored enquiry by mail, with retries, and finding enquiries that were lost."""

import logging
import smtplib
from datetime import timedelta

from flask import current_app
from flask_mail import Message

from openpositions.enquiries.mails import acknowledgement_mail, professor_mail
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db, mail

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The mail server refused for good (5xx): retrying cannot help."""


def attempt_delivery(enquiry_id: int) -> float | None:
    """Try once to send an enquiry's mails; return seconds to the next try, or None if done."""
    lease = timedelta(seconds=current_app.config["ENQUIRY_DELIVERY_LEASE"])
    claimed = Enquiry.claim(enquiry_id, lease)
    db.session.commit()
    if not claimed:
        return None  # Purged, delivered, or being sent right now by another copy of this task.
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return None
    try:
        send_pending_mails(enquiry)
    except PermanentFailure as refusal:
        give_up(enquiry, describe(refusal.__cause__))
        return None
    except (smtplib.SMTPException, OSError) as error:
        return retry_later(enquiry, describe(error))
    except Exception as error:  # A bug or bad data must not leave the enquiry stuck: retry.
        log.exception("Enquiry %s: unexpected error while sending", enquiry.reference)
        return retry_later(enquiry, describe(error))
    enquiry.mark_sent()
    db.session.commit()
    log.info("Enquiry %s sent after %d attempt(s)", enquiry.reference, enquiry.attempts)
    return None


def send_pending_mails(enquiry: Enquiry) -> None:
    """Send whichever of the two mails has not gone yet, recording each as it goes."""
    if enquiry.notified_at is None:
        _send(professor_mail(enquiry))
        enquiry.mark_professor_notified()
        db.session.commit()
    if current_app.config["ENQUIRY_ACKNOWLEDGE"] and enquiry.acknowledged_at is None:
        try:
            _send(acknowledgement_mail(enquiry))
        except PermanentFailure as refusal:
            # The professor has the enquiry; a refused receipt must not hold it back.
            enquiry.note_error(f"acknowledgement refused: {describe(refusal.__cause__)}")
            log.warning("Enquiry %s: acknowledgement refused", enquiry.reference)
            return
        enquiry.mark_acknowledged()


def _send(message: Message) -> None:
    try:
        mail.send(message)
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
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {text!r}" for code, text in error.recipients.values())
    return f"{type(error).__name__}: {error}"


def retry_delay(attempts: int) -> float:
    """Seconds before the next try: doubling from ENQUIRY_RETRY_DELAY, capped."""
    config = current_app.config
    delay = config["ENQUIRY_RETRY_DELAY"] * 2 ** (attempts - 1)
    return float(min(delay, config["ENQUIRY_RETRY_MAX_DELAY"]))


def retry_later(enquiry: Enquiry, error: str) -> float | None:
    """Schedule the next attempt, or give up once ENQUIRY_RETRY_FOR has been spent."""
    delay = retry_delay(enquiry.attempts)
    waited = sum(retry_delay(attempt) for attempt in range(1, enquiry.attempts + 1))
    if waited > current_app.config["ENQUIRY_RETRY_FOR"]:
        give_up(enquiry, f"still failing after {enquiry.attempts} attempts: {error}")
        return None
    enquiry.schedule_retry(error, delay)
    db.session.commit()
    log.warning(
        "Enquiry %s not sent (attempt %d): %s; next try in %ds",
        enquiry.reference, enquiry.attempts, error, delay,
    )  # fmt: skip
    return delay


def give_up(enquiry: Enquiry, error: str) -> None:
    enquiry.fail(error)
    db.session.commit()
    log.error(
        "Enquiry %s FAILED after %d attempt(s): %s. Resend with: flask enquiries resend %s",
        enquiry.reference, enquiry.attempts, error, enquiry.reference,
    )  # fmt: skip
