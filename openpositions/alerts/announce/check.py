"""The check for new openings: record what opened, store the alert mails it makes, queue them.

Store, then send: a mail and the positions it announces are rows first, each (subscription,
position) under a unique key and each (subscription, day) too, so that however many workers
check at once, and however often, a position is announced to a subscription at most once and
a subscription gets at most one alert a day. Only then are the mails queued; a mail whose
queued task was lost, or that the relay could not take, is queued again by the next check.

Subscriptions are taken in batches of their ids, and the mails made in SQL, so that memory
stays the same with ten subscriptions or ten thousand.
"""

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from openpositions.alerts.announce.delivery import send_alerts
from openpositions.alerts.links import alerts_offered
from openpositions.alerts.models import (
    CONFIRMED,
    PENDING,
    AlertedPosition,
    AlertMail,
    SeenPosition,
    SubscribedCategory,
    Subscription,
    insert_or_skip,
)
from openpositions.alerts.openings import record_openings
from openpositions.clock import utcnow
from openpositions.content import current_content, current_day
from openpositions.extensions import db

log = logging.getLogger(__name__)

# Subscriptions whose mails are made in one transaction.
SUBSCRIPTION_BATCH = 500
# Mails one queued task sends, over one connection to the relay.
MAILS_PER_TASK = 50
# A pending mail due this long and not taken lost its queued task, or was put off: queue it.
LOST_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class CheckOutcome:
    opened: tuple[str, ...]
    closed: tuple[str, ...]
    # Alert mails stored by this check, and mails queued (these and any found lost).
    mails_made: int
    mails_queued: int


def check_for_openings() -> CheckOutcome:
    """Record the positions that opened or closed, make today's alert mails, queue them.

    Nothing without SITE_URL: an alert's links could not say where the site is.
    """
    if not alerts_offered():
        log.warning("Alerts: no check for new openings, as FLASK_SITE_URL is not set")
        return CheckOutcome((), (), 0, 0)
    now = utcnow()
    openings = record_openings(current_content(), current_day(), now)
    db.session.commit()
    made = queued = 0
    for first, last in subscription_batches():
        mail_ids = make_alert_mails(current_day(), now, first, last)
        db.session.commit()
        made += len(mail_ids)
        queued += queue_mails(mail_ids)
    queued += queue_lost_mails(now)
    if made:
        log.info("Alerts: %d alert mails made, %d queued", made, queued)
    return CheckOutcome(openings.opened, openings.closed, made, queued)


def subscription_batches() -> Iterator[tuple[int, int]]:
    """The ids of confirmed subscriptions, as (first, last) of each batch, read batch by batch."""
    after = 0
    while True:
        ids = list(
            db.session.scalars(
                sa.select(Subscription.id)
                .where(Subscription.state == CONFIRMED, Subscription.id > after)
                .order_by(Subscription.id)
                .limit(SUBSCRIPTION_BATCH)
            )
        )
        if not ids:
            return
        yield ids[0], ids[-1]
        after = ids[-1]


def unannounced() -> sa.Exists:
    """Whether a subscription follows a category with a position that opened after it was
    confirmed, is open, and was never announced to it."""
    return sa.exists(
        sa.select(SeenPosition.slug)
        .join(SubscribedCategory, SubscribedCategory.category == SeenPosition.category)
        .where(
            SubscribedCategory.subscription_id == Subscription.id,
            SeenPosition.closed_at.is_(None),
            SeenPosition.opened_at > Subscription.confirmed_at,
            # Correlated with the subscription two levels up, not the one in between: else
            # the position announced to anyone would count as announced to everyone.
            ~sa.exists()
            .where(
                AlertedPosition.subscription_id == Subscription.id,
                AlertedPosition.position_slug == SeenPosition.slug,
            )
            .correlate(Subscription, SeenPosition),
        )
        .correlate(Subscription)
    )


def make_alert_mails(day: date, now: datetime, first: int, last: int) -> list[int]:
    """Store today's mail for each subscription in [first, last] that has news and no mail
    today, with the positions it announces; the new mails' ids. Not committed."""
    new_mails = (
        insert_or_skip(AlertMail)
        .from_select(
            ["subscription_id", "day", "status", "created_at", "due_at", "attempts"],
            sa.select(
                Subscription.id,
                sa.literal(day, sa.Date),
                sa.literal(PENDING),
                sa.literal(now, sa.DateTime),
                sa.literal(now, sa.DateTime),
                sa.literal(0),
            ).where(
                Subscription.state == CONFIRMED,
                Subscription.id.between(first, last),
                unannounced(),
            ),
        )
        .on_conflict_do_nothing(index_elements=["subscription_id", "day"])
        .returning(AlertMail.id)
    )
    mail_ids = list(db.session.scalars(new_mails))
    if not mail_ids:
        return []
    new_items = (
        insert_or_skip(AlertedPosition)
        .from_select(
            ["subscription_id", "position_slug", "mail_id"],
            sa.select(AlertMail.subscription_id, SeenPosition.slug, AlertMail.id)
            .join(Subscription, Subscription.id == AlertMail.subscription_id)
            .join(SubscribedCategory, SubscribedCategory.subscription_id == Subscription.id)
            .join(SeenPosition, SeenPosition.category == SubscribedCategory.category)
            .where(
                AlertMail.id.in_(mail_ids),
                SeenPosition.closed_at.is_(None),
                SeenPosition.opened_at > Subscription.confirmed_at,
                ~sa.exists().where(
                    AlertedPosition.subscription_id == Subscription.id,
                    AlertedPosition.position_slug == SeenPosition.slug,
                ),
            ),
        )
        .on_conflict_do_nothing()
    )
    db.session.execute(new_items)
    # A check running beside this one (just after midnight: another day's mail) may have
    # announced the same positions first; a mail left with nothing to say is not kept.
    db.session.execute(
        sa.delete(AlertMail).where(
            AlertMail.id.in_(mail_ids),
            ~sa.exists().where(AlertedPosition.mail_id == AlertMail.id),
        )
    )
    return list(
        db.session.scalars(
            sa.select(AlertMail.id).where(AlertMail.id.in_(mail_ids)).order_by(AlertMail.id)
        )
    )


def queue_mails(mail_ids: Sequence[int]) -> int:
    """Queue mails to be sent, MAILS_PER_TASK to a task; how many were queued.

    Queued after they are stored and committed: if the queue cannot be reached, they wait in
    the database, and the next check queues them.
    """
    queued = 0
    for start in range(0, len(mail_ids), MAILS_PER_TASK):
        chunk = list(mail_ids[start : start + MAILS_PER_TASK])
        try:
            send_alerts.enqueue(chunk)
        except Exception:  # Any storage failure: they are stored; the next check queues them.
            log.warning("Alerts: %d alert mails stored but not queued", len(chunk), exc_info=True)
            continue
        queued += len(chunk)
    return queued


def queue_lost_mails(now: datetime) -> int:
    """Queue again every pending mail due for longer than LOST_AFTER; how many."""
    queued, after = 0, 0
    while True:
        lost = list(
            db.session.scalars(
                sa.select(AlertMail.id)
                .where(
                    AlertMail.status == PENDING,
                    AlertMail.due_at < now - LOST_AFTER,
                    AlertMail.id > after,
                )
                .order_by(AlertMail.id)
                .limit(SUBSCRIPTION_BATCH)
            )
        )
        if not lost:
            return queued
        queued += queue_mails(lost)
        after = lost[-1]
