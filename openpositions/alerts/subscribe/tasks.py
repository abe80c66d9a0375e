"""The subscriptions' background tasks: the confirmation mail, and a sweep that sends again the
mails left due and deletes what was never confirmed."""

import logging
from datetime import timedelta

import sqlalchemy as sa

from openpositions.alerts.models import Subscription
from openpositions.alerts.subscribe.confirmation import send_confirmation_mail
from openpositions.clock import utcnow
from openpositions.extensions import db
from openpositions.queue import crontab, periodic_task, task

log = logging.getLogger(__name__)

# A confirmation mail due this long and still not sent lost its queued task (or the relay was
# down): the sweep queues it again.
SWEEP_GRACE = timedelta(minutes=1)


@task("send_alert_confirmation")
def send_confirmation(subscription_id: int) -> None:
    send_confirmation_mail(subscription_id)


# Every ten minutes: a mail the relay could not take goes again within ten minutes, and an
# unconfirmed subscription is deleted within ten minutes of its seventh day.
@periodic_task(crontab(minute="*/10"), name="sweep_alert_subscriptions")
def sweep_subscriptions() -> None:
    queue_due_confirmations()
    deleted = Subscription.purge_unconfirmed()
    db.session.commit()
    if deleted:
        log.info("Alerts: deleted %d subscriptions never confirmed", deleted)


SUBSCRIPTION_TASKS = (send_confirmation, sweep_subscriptions)


def queue_confirmation(subscription_id: int) -> bool:
    """Queue a subscription's due mail; False if the queue is unreachable (the sweep queues it)."""
    try:
        send_confirmation.enqueue(subscription_id)
    except Exception:  # Any storage failure: the mail is due in the database, the sweep sends it.
        log.warning("Alerts: a confirmation mail is due but not queued", exc_info=True)
        return False
    return True


def queue_due_confirmations() -> int:
    """Queue every confirmation mail due for longer than SWEEP_GRACE; how many."""
    due = list(
        db.session.scalars(
            sa.select(Subscription.id)
            .where(Subscription.confirmation_due_at <= utcnow() - SWEEP_GRACE)
            .order_by(Subscription.id)
        )
    )
    return sum(queue_confirmation(subscription_id) for subscription_id in due)
