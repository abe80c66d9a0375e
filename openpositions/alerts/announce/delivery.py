"""Sending stored alert mails, many over one connection, each recorded as it goes.

Each mail is claimed before it is sent (one UPDATE: no other worker sends it meanwhile), and
recorded as sent once the relay answered 250 to it, even if the connection breaks after: no
mail goes twice. A mail the relay cannot take now waits for the next check; one refused for
good (5xx) fails, and a refusal of the recipient suspends the subscription. Right before it is
sent, a mail drops every position that closed meanwhile, or whose category the subscriber no
longer follows; a mail left with none is not sent at all.
"""

import logging
import smtplib
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from openpositions.alerts.announce.mails import Alert, alert_message
from openpositions.alerts.mailing import (
    RelayDown,
    RelaySession,
    refused_by_recipient,
)
from openpositions.alerts.models import CONFIRMED, AlertedPosition, AlertMail, Subscription
from openpositions.clock import utcnow
from openpositions.content import Position, current_content, current_day
from openpositions.extensions import db
from openpositions.mail.refusals import describe, permanent
from openpositions.mail.transport import MessageTooLarge
from openpositions.queue import task

log = logging.getLogger(__name__)

# A mail the relay has not taken after this long is given up on: its news is stale by then.
RETRY_FOR = timedelta(days=1)


@task("send_alerts")
def send_alerts(mail_ids: list[int]) -> None:
    deliver_alert_mails(mail_ids)


def claim_lease() -> timedelta:
    """How long one attempt holds a mail: longer than a send can take."""
    config = current_app.config
    return timedelta(seconds=config["MAIL_DATA_TIMEOUT"] + 3 * config["MAIL_TIMEOUT"])


def deliver_alert_mails(mail_ids: list[int]) -> int:
    """Send these mails, those still due, over one connection; how many went.

    A mail the relay took is recorded as sent in the same transaction that claims the next,
    committed at once: one commit a mail, and nothing in between that could undo it.
    """
    sent = 0
    went: int | None = None  # Taken by the relay, not yet recorded.
    with RelaySession() as relay:
        try:
            for mail_id in mail_ids:
                if went is not None:
                    AlertMail.mark_sent(went)
                alert = take(mail_id)
                db.session.commit()
                went = None
                if alert is None:
                    continue  # Sent, failed, gone, or being sent by another worker right now.
                try:
                    relay.send(alert_message(alert))
                except RelayDown as down:
                    put_off(alert.mail_id, str(down))
                    # The rest stay due, unclaimed: the next check queues them again.
                    log.warning(
                        "Alerts: the relay cannot take mail now (%s); the next check retries",
                        down,
                    )
                    break
                except (smtplib.SMTPException, OSError, MessageTooLarge) as error:
                    refused(alert, error)
                    continue
                except Exception as error:  # A bug or bad data must not leave it stuck: retried.
                    log.exception("Alerts: unexpected error while sending an alert")
                    put_off(alert.mail_id, f"{type(error).__name__}: {error}")
                    continue
                went = alert.mail_id
                sent += 1
        finally:
            if went is not None:
                db.session.rollback()  # Whatever failed after it; the relay has this one.
                AlertMail.mark_sent(went)
                db.session.commit()
    return sent


def take(mail_id: int) -> Alert | None:
    """Claim a due mail and read what it says; None if it is not ours to send, or has nothing
    left to say (then it is gone). Not committed: the caller commits the claim."""
    if not AlertMail.claim(mail_id, claim_lease()):
        return None
    mail = db.session.get(AlertMail, mail_id)
    subscription = db.session.get(Subscription, mail.subscription_id) if mail else None
    if mail is None or subscription is None:
        return None  # Unsubscribed meanwhile: deleted with its mails.
    if subscription.state != CONFIRMED:
        AlertMail.discard(mail_id)
        return None
    with force_locale(subscription.language):
        positions = positions_to_announce(mail, subscription)
    if not positions:
        AlertMail.discard(mail_id)
        log.info("Alerts: a mail's positions all closed before it went; not sent")
        return None
    return Alert(
        mail_id=mail_id,
        subscription_id=subscription.id,
        day=mail.day,
        language=subscription.language,
        transport_email=subscription.transport_email,
        key=subscription.secret,
        positions=tuple(positions),
    )


def positions_to_announce(mail: AlertMail, subscription: Subscription) -> list[Position]:
    """The mail's positions that are open now and in a category the subscriber follows; the
    others are dropped from it (to be announced should they open again). Not committed."""
    slugs = list(
        db.session.scalars(
            sa.select(AlertedPosition.position_slug)
            .where(AlertedPosition.mail_id == mail.id)
            .order_by(AlertedPosition.position_slug)
        )
    )
    content, today, followed = current_content(), current_day(), set(subscription.categories)
    announced: list[Position] = []
    for slug in slugs:
        position = content.position(slug)
        if position is not None and position.is_open_on(today) and position.category in followed:
            announced.append(position)
    dropped = set(slugs) - {position.slug for position in announced}
    if dropped:
        AlertMail.drop_positions(mail.id, dropped)
    # Newest first, as the list of positions shows them.
    return sorted(
        announced, key=lambda position: (position.date_posted, position.slug), reverse=True
    )


def refused(alert: Alert, error: BaseException) -> None:
    """Record the relay's refusal of one mail: for good, or for now."""
    reason = describe(error)
    if permanent(error):
        AlertMail.fail(alert.mail_id, reason)
        if refused_by_recipient(error):
            Subscription.suspend(alert.subscription_id, reason)
        db.session.commit()
        log.warning("Alerts: an alert was refused for good (%s)", reason)
        return
    put_off(alert.mail_id, reason)


def put_off(mail_id: int, reason: str) -> None:
    """The mail could not go now: due again at once (the next check queues it), or failed
    once it has been tried for RETRY_FOR."""
    mail = db.session.get(AlertMail, mail_id)
    if mail is None:
        return
    now = utcnow()
    if mail.created_at < now - RETRY_FOR:
        AlertMail.fail(mail_id, f"still not taken after {mail.attempts} attempts: {reason}")
        log.error("Alerts: an alert mail failed after %d attempts: %s", mail.attempts, reason)
    else:
        AlertMail.retry_later(mail_id, reason, now)
    db.session.commit()
