"""The enquiry's background tasks: delivering it, telling the operator, finding lost ones."""

import enum
import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from openpositions.clock import utcnow
from openpositions.enquiries.delivery.attempts import (
    attempt_added_documents,
    attempt_delivery,
    send_operator_alert,
    send_withdrawal_notice,
)
from openpositions.enquiries.delivery.failure_notice import tell_applicants_of_failures
from openpositions.enquiries.models import PENDING, SENT, Enquiry, EnquiryDocument
from openpositions.extensions import db
from openpositions.queue import RetryTask, crontab, periodic_task, task

log = logging.getLogger(__name__)


@task("deliver_enquiry")
def deliver_enquiry(enquiry_id: int) -> None:
    outcome = attempt_delivery(enquiry_id)
    if outcome.failed and current_app.config["OPERATOR_EMAIL"]:
        alert_operator.enqueue(enquiry_id, "failed")
    if outcome.retry_in is not None:
        raise RetryTask(delay=outcome.retry_in)


# Documents the applicant added to a delivered enquiry. Retried for about a day while the relay
# is down, as the enquiry's own delivery is; the sweep queues again any whose task was lost.
@task("deliver_added_documents", retries=96, retry_delay=900)
def deliver_added_documents(enquiry_id: int) -> None:
    attempt_added_documents(enquiry_id)


# The operator's mail goes through the same queue: retried while the relay is down.
@task("alert_operator", retries=10, retry_delay=60)
def alert_operator(enquiry_id: int, kind: str) -> None:
    send_operator_alert(enquiry_id, kind)


# The enquiry is deleted by then, so the task carries its reference. Retried for about a day
# while the relay is down, as the enquiry's own delivery is.
@task("notify_withdrawal", retries=96, retry_delay=900)
def notify_withdrawal(reference: str) -> None:
    send_withdrawal_notice(reference)


@periodic_task(crontab(minute="*"), name="queue_lost_enquiries")
def sweep_lost_and_overdue() -> None:
    queue_lost_enquiries()
    queue_lost_added_documents()
    alert_overdue_enquiries()


# The notices go a day after a failure: a check every ten minutes is on time.
@periodic_task(crontab(minute="*/10"), name="tell_applicants_of_failures")
def tell_applicants_of_failures_regularly() -> None:
    tell_applicants_of_failures()


DELIVERY_TASKS = (
    deliver_enquiry,
    deliver_added_documents,
    alert_operator,
    notify_withdrawal,
    sweep_lost_and_overdue,
    tell_applicants_of_failures_regularly,
)


def queue_delivery(enquiry: Enquiry) -> bool:
    """Queue an enquiry's delivery; False if the queue is unreachable (the sweep retries)."""
    try:
        deliver_enquiry.enqueue(enquiry.id)
    except Exception:  # Any storage failure: the enquiry is stored, the sweep will find it.
        log.warning(
            "Enquiry %s stored but not queued; the sweep will queue it",
            enquiry.reference,
            exc_info=True,
        )
        return False
    log.info("Enquiry %s queued", enquiry.reference)
    return True


def queue_added_documents(enquiry: Enquiry) -> bool:
    """Queue the delivery of documents just added to an enquiry; False if the queue is
    unreachable (the sweep queues it). A delivery of the enquiry itself, queued or under way,
    carries them unless it went before they were added."""
    try:
        deliver_added_documents.enqueue(enquiry.id)
    except Exception:  # Any storage failure: the documents are stored, the sweep will find them.
        log.warning(
            "Enquiry %s: added documents stored but not queued; the sweep will queue them",
            enquiry.reference,
            exc_info=True,
        )
        return False
    log.info("Enquiry %s: added documents queued", enquiry.reference)
    return True


def queue_lost_added_documents() -> int:
    """Queue again each delivered enquiry with documents that have not gone to the professor
    for longer than the grace, and that no worker is sending: their task was lost."""
    now = utcnow()
    grace = timedelta(seconds=current_app.config["ENQUIRY_SWEEP_GRACE"])
    waiting = (
        sa.select(EnquiryDocument.enquiry_id)
        .where(EnquiryDocument.mail_sent_at.is_(None))
        .where(EnquiryDocument.added_at < now - grace)
    )
    query = (
        sa.select(Enquiry)
        .where(Enquiry.status == SENT, Enquiry.id.in_(waiting))
        .where(sa.or_(Enquiry.claimed_until.is_(None), Enquiry.claimed_until < now))
        .order_by(Enquiry.id)
    )
    lost = list(db.session.scalars(query))
    for enquiry in lost:
        if queue_added_documents(enquiry):
            log.warning("Enquiry %s had added documents not sent; queued again", enquiry.reference)
    return len(lost)


def queue_withdrawal_notice(reference: str) -> bool:
    """Queue the professor's notice that an enquiry was withdrawn; False if unreachable."""
    try:
        notify_withdrawal.enqueue(reference)
    except Exception:  # Any storage failure: the row is gone, so nothing can retry it.
        log.error(
            "Enquiry %s withdrawn, but the professor's notice could not be queued; "
            "tell them by hand",
            reference,
            exc_info=True,
        )
        return False
    log.info("Enquiry %s: notice of its withdrawal queued", reference)
    return True


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


def queue_lost_enquiries() -> int:
    """Queue again every pending enquiry whose delivery was lost; return how many.

    It keeps its count of attempts, so a task that keeps getting lost still gives up in time.
    """
    lost = lost_enquiries()
    for enquiry in lost:
        enquiry.make_due()
        db.session.commit()
        if queue_delivery(enquiry):
            log.warning("Enquiry %s had no queued delivery; queued again", enquiry.reference)
    return len(lost)


class Resend(enum.Enum):
    """What the operator's resend of an enquiry came to."""

    QUEUED = "queued"
    # Stored as pending: the sweep queues it once the queue answers again.
    QUEUE_UNREACHABLE = "pending (queue unreachable)"
    # Delivered before the resend could take it: nothing to send.
    DELIVERED = "delivered"
    # Withdrawn by the applicant before the resend could take it.
    WITHDRAWN = "withdrawn by the applicant"


def resend_undelivered(enquiry: Enquiry) -> Resend:
    """Queue a pending or failed enquiry for delivery with a fresh round of retries."""
    enquiry_id = enquiry.id
    reopened = Enquiry.reopen_for_resend(enquiry_id)
    db.session.commit()  # Which also makes the enquiry read afresh.
    if not reopened:
        gone = db.session.get(Enquiry, enquiry_id) is None
        return Resend.WITHDRAWN if gone else Resend.DELIVERED
    return Resend.QUEUED if queue_delivery(enquiry) else Resend.QUEUE_UNREACHABLE


def alert_overdue_enquiries() -> int:
    """Tell the operator, once each, of enquiries waiting longer than ENQUIRY_ALERT_AFTER."""
    config = current_app.config
    if not config["OPERATOR_EMAIL"]:
        return 0
    since = utcnow() - timedelta(seconds=config["ENQUIRY_ALERT_AFTER"])
    overdue = list(
        db.session.scalars(
            sa.select(Enquiry)
            .where(Enquiry.status == PENDING, Enquiry.overdue_alerted_at.is_(None))
            .where(Enquiry.created_at < since)
            .order_by(Enquiry.id)
        )
    )
    for enquiry in overdue:
        enquiry.mark_overdue_alerted()
        db.session.commit()
        log.warning("Enquiry %s waits longer than expected; operator told", enquiry.reference)
        alert_operator.enqueue(enquiry.id, "overdue")
    return len(overdue)
