"""Delivering a stored enquiry by mail, with retries, and finding enquiries that were lost."""

import logging
import smtplib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from openpositions.enquiries.mails import acknowledgement_mail, professor_mail
from openpositions.enquiries.models import FAILED, PENDING, SENT, Enquiry, utcnow
from openpositions.extensions import db, mail

log = logging.getLogger(__name__)


class PermanentFailure(Exception):
    """The mail server refused for good (5xx): retrying cannot help."""


def attempt_delivery(enquiry_id: int) -> float | None:
    """Try once to send an enquiry's mails; return seconds to the next try, or None if done."""
    if not claim(enquiry_id):
        return None  # Purged, delivered, or being sent right now by another copy of this task.
    enquiry = db.session.get(Enquiry, enquiry_id)
    if enquiry is None:
        return None
    try:
        send_pending_mails(enquiry)
    except PermanentFailure as refusal:
        return _give_up(enquiry, describe(refusal.__cause__))
    except (smtplib.SMTPException, OSError) as error:
        return _retry_later(enquiry, describe(error))
    except Exception as error:  # A bug or bad data must not leave the enquiry stuck: retry.
        log.exception("Enquiry %s: unexpected error while sending", enquiry.reference)
        return _retry_later(enquiry, describe(error))
    enquiry.status = SENT
    enquiry.sent_at = utcnow()
    enquiry.next_attempt_at = None
    enquiry.claimed_until = None
    db.session.commit()
    log.info("Enquiry %s sent after %d attempt(s)", enquiry.reference, enquiry.attempts)
    return None


def claim(enquiry_id: int) -> bool:
    """Atomically take a pending enquiry for one attempt; False if it is not ours to send."""
    now = utcnow()
    lease = timedelta(seconds=current_app.config["ENQUIRY_DELIVERY_LEASE"])
    taken = db.session.execute(
        sa.update(Enquiry)
        .where(Enquiry.id == enquiry_id, Enquiry.status == PENDING)
        .where(sa.or_(Enquiry.claimed_until.is_(None), Enquiry.claimed_until < now))
        .values(
            claimed_until=now + lease,
            attempts=Enquiry.attempts + 1,
            last_attempt_at=now,
            # The sweep takes an enquiry for lost only once this attempt's claim has run out.
            next_attempt_at=now + lease,
        )
    )
    db.session.commit()
    return taken.rowcount == 1


def send_pending_mails(enquiry: Enquiry) -> None:
    """Send whichever of the two mails has not gone yet, recording each as it goes."""
    if enquiry.notified_at is None:
        _send(professor_mail(enquiry))
        enquiry.notified_at = utcnow()
        db.session.commit()
    if current_app.config["ENQUIRY_ACKNOWLEDGE"] and enquiry.acknowledged_at is None:
        try:
            _send(acknowledgement_mail(enquiry))
        except PermanentFailure as refusal:
            # The professor has the enquiry; a refused receipt must not hold it back.
            enquiry.last_error = f"acknowledgement refused: {describe(refusal.__cause__)}"
            log.warning("Enquiry %s: acknowledgement refused", enquiry.reference)
            return
        enquiry.acknowledged_at = utcnow()


def _send(message: object) -> None:
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


def _retry_later(enquiry: Enquiry, error: str) -> float | None:
    delay = retry_delay(enquiry.attempts)
    waited = sum(retry_delay(attempt) for attempt in range(1, enquiry.attempts + 1))
    if waited > current_app.config["ENQUIRY_RETRY_FOR"]:
        return _give_up(enquiry, f"still failing after {enquiry.attempts} attempts: {error}")
    enquiry.last_error = error
    enquiry.next_attempt_at = utcnow() + timedelta(seconds=delay)
    enquiry.claimed_until = None
    db.session.commit()
    log.warning(
        "Enquiry %s not sent (attempt %d): %s; next try in %ds",
        enquiry.reference, enquiry.attempts, error, delay,
    )  # fmt: skip
    return delay


def _give_up(enquiry: Enquiry, error: str) -> None:
    enquiry.status = FAILED
    enquiry.last_error = error
    enquiry.next_attempt_at = None
    enquiry.claimed_until = None
    db.session.commit()
    log.error(
        "Enquiry %s FAILED after %d attempt(s): %s. Resend with: flask enquiries resend %s",
        enquiry.reference, enquiry.attempts, error, enquiry.reference,
    )  # fmt: skip
    return None


def lost_enquiries() -> list[Enquiry]:
    """Pending enquiries whose next try is long overdue: their queued task was lost."""
    grace = timedelta(seconds=current_app.config["ENQUIRY_SWEEP_GRACE"])
    query = (
        sa.select(Enquiry)
        .where(Enquiry.status == PENDING)
        .where(Enquiry.next_attempt_at < utcnow() - grace)
        .order_by(Enquiry.id)
    )
    return list(db.session.scalars(query))


def mark_for_resend(enquiry: Enquiry) -> None:
    """Put a failed (or stuck) enquiry back to pending for another round of attempts."""
    enquiry.status = PENDING
    enquiry.attempts = 0
    enquiry.claimed_until = None
    enquiry.next_attempt_at = utcnow()
    db.session.commit()
