"""The delivery queue (Huey): SQLite in the instance folder by default, Redis when configured."""

import atexit
import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import redis
import sqlalchemy as sa
from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.api import TaskWrapper
from huey.consumer import Consumer
from huey.exceptions import RetryTask

from openpositions.enquiries.delivery import (
    attempt_delivery,
    send_operator_alert,
    send_withdrawal_notice,
)
from openpositions.enquiries.held_cvs import purge_unused_cvs
from openpositions.enquiries.models import PENDING, Enquiry, utcnow
from openpositions.enquiries.retention import purge_expired
from openpositions.extensions import db

log = logging.getLogger(__name__)


class InProcessConsumer(Consumer):
    """Huey's consumer as background threads of the web process.

    Huey's consumer installs its own SIGINT/SIGTERM/SIGHUP handlers, then acts on them only
    from its run loop, which a web process never enters: the server's SIGTERM would be
    swallowed. Leaving the handlers alone keeps the server's graceful shutdown working.
    """

    def _set_signal_handlers(self) -> None:
        pass


@dataclass
class DeliveryQueue:
    huey: Huey
    deliver: TaskWrapper
    alert: TaskWrapper
    notify_withdrawal: TaskWrapper
    consumer: Consumer | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enqueue(self, enquiry: Enquiry) -> bool:
        """Queue an enquiry's delivery; False if the queue is unreachable (the sweep retries)."""
        try:
            self.deliver(enquiry.id)
        except Exception:  # Any storage failure: the enquiry is stored, the sweep will find it.
            log.warning(
                "Enquiry %s stored but not queued; the sweep will queue it",
                enquiry.reference,
                exc_info=True,
            )
            return False
        log.info("Enquiry %s queued", enquiry.reference)
        return True

    def queue_withdrawal_notice(self, reference: str) -> bool:
        """Queue the professor's notice that an enquiry was withdrawn; False if unreachable."""
        try:
            self.notify_withdrawal(reference)
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

    def start_in_process(self, workers: int) -> None:
        """Run the consumer in this process's background threads, once."""
        with self.lock:
            if self.consumer is None:
                self.consumer = InProcessConsumer(
                    self.huey, workers=workers, worker_type="thread", shutdown_timeout=10
                )
                self.consumer.start()
                # Its threads are daemons: without this, a server's exit would cut off a mail
                # in mid-send, to be sent again (a duplicate) once its claim runs out.
                atexit.register(self.stop_in_process)

    def stop_in_process(self) -> None:
        """Stop the in-process consumer, letting a delivery under way finish (10 s at most)."""
        with self.lock:
            if self.consumer is not None:
                self.consumer.stop(graceful=True)
                self.consumer = None


def create_huey(app: Flask) -> Huey:
    url = app.config["QUEUE_URL"]
    options = {"results": False, "utc": True}
    if url.startswith(("redis://", "rediss://", "unix://")):
        # Short timeouts: a request that queues must not hang on a Redis that is down.
        timeout = app.config["QUEUE_REDIS_TIMEOUT"]
        pool = redis.ConnectionPool.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        return RedisHuey(app.config["QUEUE_NAME"], connection_pool=pool, **options)
    path = url.removeprefix("sqlite:///") if url else str(Path(app.instance_path) / "queue.sqlite3")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(app.config["QUEUE_NAME"], filename=path, **options)


def init_app(app: Flask) -> DeliveryQueue:
    """Create the queue and its tasks for this app; the consumer starts with the first request."""
    huey = create_huey(app)

    @huey.task(name="deliver_enquiry")
    def deliver(enquiry_id: int) -> None:
        with app.app_context():
            outcome = attempt_delivery(enquiry_id)
            if outcome.failed and app.config["OPERATOR_EMAIL"]:
                queue.alert(enquiry_id, "failed")
        if outcome.retry_in is not None:
            raise RetryTask(delay=outcome.retry_in)

    # The operator's mail goes through the same queue: retried while the relay is down.
    @huey.task(name="alert_operator", retries=10, retry_delay=60)
    def alert(enquiry_id: int, kind: str) -> None:
        with app.app_context():
            send_operator_alert(enquiry_id, kind)

    # The enquiry is deleted by then, so the task carries its reference. Retried for about a
    # day while the relay is down, as the enquiry's own delivery is.
    @huey.task(name="notify_withdrawal", retries=96, retry_delay=900)
    def notify_withdrawal(reference: str) -> None:
        with app.app_context():
            send_withdrawal_notice(reference)

    @huey.periodic_task(crontab(minute="*"), name="queue_lost_enquiries")
    def sweep() -> None:
        with app.app_context():
            queue_lost_enquiries()
            alert_overdue_enquiries()

    @huey.periodic_task(crontab(minute="23", hour="3"), name="purge_expired_enquiries")
    def purge() -> None:
        with app.app_context():
            purge_expired()

    @huey.periodic_task(crontab(minute="*/10"), name="purge_unused_cvs")
    def purge_held_cvs() -> None:
        with app.app_context():
            purge_unused_cvs()

    queue = DeliveryQueue(
        huey=huey, deliver=deliver, alert=alert, notify_withdrawal=notify_withdrawal
    )
    app.extensions["openpositions.queue"] = queue
    if app.config["QUEUE_IN_PROCESS"]:
        # Started by the first request rather than here, so that `flask db upgrade` and the
        # other commands, which create the app too, do not start delivering mail.
        def start_consumer() -> None:
            if queue.consumer is None:
                queue.start_in_process(app.config["QUEUE_WORKERS"])

        app.before_request(start_consumer)
    return queue


def delivery_queue() -> DeliveryQueue:
    queue: DeliveryQueue = current_app.extensions["openpositions.queue"]
    return queue


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


def requeue(enquiries: Iterable[Enquiry], *, fresh_attempts: bool) -> list[tuple[Enquiry, bool]]:
    """Make each enquiry due now and queue it; (enquiry, queued) pairs.

    `fresh_attempts` gives it a new round of retries, as an operator's resend does; the sweep
    keeps the count, so a task that keeps getting lost still gives up in time.
    """
    queue = delivery_queue()
    results = []
    for enquiry in enquiries:
        if fresh_attempts:
            enquiry.reset_for_resend()
        else:
            enquiry.make_due()
        db.session.commit()
        results.append((enquiry, queue.enqueue(enquiry)))
    return results


def queue_lost_enquiries() -> int:
    """Queue again every pending enquiry whose delivery was lost; return how many."""
    lost = lost_enquiries()
    for enquiry, queued in requeue(lost, fresh_attempts=False):
        if queued:
            log.warning("Enquiry %s had no queued delivery; queued again", enquiry.reference)
    return len(lost)


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
    queue = delivery_queue()
    for enquiry in overdue:
        enquiry.mark_overdue_alerted()
        db.session.commit()
        log.warning("Enquiry %s waits longer than expected; operator told", enquiry.reference)
        queue.alert(enquiry.id, "overdue")
    return len(overdue)
