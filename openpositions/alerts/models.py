"""Subscriptions to job alerts, the positions the site saw open, and the alert mails, each
(subscription, position) stored once: the database, not a worker's memory, decides what was
announced to whom.

State changes through the models' own methods, each one UPDATE or DELETE on the state as it is
in the database (not as it was read), so that two workers, or a worker and a visitor who
unsubscribes, cannot both win.
"""

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from openpositions.alerts import totals
from openpositions.clock import utcnow
from openpositions.extensions import Model, db, rows_affected

PENDING = "pending"
CONFIRMED = "confirmed"
# A permanent refusal (5xx) of an alert: no more alerts go to the address until its owner
# subscribes again and confirms.
SUSPENDED = "suspended"
SUBSCRIPTION_STATES = (PENDING, CONFIRMED, SUSPENDED)

SENT = "sent"
FAILED = "failed"

# No address gets more confirmation mails than this a day, whoever asks for them.
CONFIRMATIONS_PER_DAY = 3
# An unconfirmed subscription is deleted this long after it was last asked for.
UNCONFIRMED_KEPT_FOR = timedelta(days=7)


def new_secret() -> str:
    """The key in a subscription's links (256 bits): whoever holds it manages the subscription."""
    return secrets.token_urlsafe(32)


def address_key(transport_email: str) -> str:
    """An address as the site tells subscriptions apart: Ada@Example.org is ada@example.org."""
    return transport_email.strip().casefold()


def insert_or_skip(model: type[Model]) -> Any:
    """An INSERT of `model` that skips rows that would break a unique key (ON CONFLICT DO
    NOTHING), in the database's own dialect: PostgreSQL's or SQLite's."""
    dialect = postgresql if db.engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(model)


class Subscription(Model):
    """One address's job alerts: its categories and language, and how consent was given."""

    __tablename__ = "alert_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    # As typed (normalised) and in its ASCII form, as it travels; the key tells addresses apart.
    email: Mapped[str] = mapped_column(sa.String(320))
    transport_email: Mapped[str] = mapped_column(sa.String(320))
    address: Mapped[str] = mapped_column(sa.String(320), unique=True)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    state: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    secret: Mapped[str] = mapped_column(sa.String(64), unique=True, default=new_secret)
    # Times are naive UTC throughout, as elsewhere in the site.
    asked_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # When the form was sent with the consent ticked, and the consent's words as shown then.
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    consent_wording: Mapped[str] = mapped_column(sa.Text, default="")
    # When the owner of the mailbox confirmed through the link mailed to it. Positions that the
    # site saw open before this moment are never announced to it.
    confirmed_at: Mapped[datetime | None]
    # Confirmation mails sent on `confirmations_day` (the group's calendar): at most
    # CONFIRMATIONS_PER_DAY, counted in the database, so across instances and restarts.
    confirmations_day: Mapped[date | None]
    confirmations_sent: Mapped[int] = mapped_column(default=0)
    # When its confirmation mail (or, once confirmed, the mail with its link) is next to be
    # tried; None when none is due. A worker holds it by moving it into the future.
    confirmation_due_at: Mapped[datetime | None] = mapped_column(index=True)
    suspended_at: Mapped[datetime | None]
    # The relay's refusal that suspended it, for the operator.
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    def __repr__(self) -> str:
        return f"<Subscription {self.id} {self.state}>"

    @classmethod
    def find(cls, secret: str) -> "Subscription | None":
        """The subscription a link's key opens, or None."""
        if not secret or len(secret) > 64:
            return None
        return db.session.scalars(sa.select(cls).where(cls.secret == secret)).first()

    @classmethod
    def of_address(cls, transport_email: str) -> "Subscription | None":
        return db.session.scalars(
            sa.select(cls).where(cls.address == address_key(transport_email))
        ).first()

    @classmethod
    def ask(
        cls,
        *,
        email: str,
        transport_email: str,
        categories: Sequence[str],
        language: str,
        consent_wording: str,
    ) -> "Subscription":
        """The subscription an address asked for on the form, stored as pending if it is new.

        One that is not confirmed takes the categories, language and consent asked for now;
        a confirmed one stays as it is (only the link mailed to it changes it). Not committed.
        """
        now = utcnow()
        db.session.execute(
            insert_or_skip(cls)
            .values(
                email=email,
                transport_email=transport_email,
                address=address_key(transport_email),
                language=language,
                state=PENDING,
                secret=new_secret(),
                asked_at=now,
                consented_at=now,
                consent_wording=consent_wording,
                confirmations_sent=0,
            )
            .on_conflict_do_nothing(index_elements=["address"])
        )
        subscription = cls.of_address(transport_email)
        assert subscription is not None  # Inserted, or there already.
        db.session.refresh(subscription)
        if subscription.state != CONFIRMED:
            subscription.email = email
            subscription.transport_email = transport_email
            subscription.language = language
            subscription.state = PENDING
            subscription.asked_at = now
            subscription.consented_at = now
            subscription.consent_wording = consent_wording
            subscription.suspended_at = None
            subscription.choose(categories)
        return subscription

    @property
    def categories(self) -> list[str]:
        return list(
            db.session.scalars(
                sa.select(SubscribedCategory.category)
                .where(SubscribedCategory.subscription_id == self.id)
                .order_by(SubscribedCategory.category)
            )
        )

    def choose(self, categories: Iterable[str]) -> None:
        """Alert it of these categories from now on, and of no others. Not committed."""
        db.session.flush()
        db.session.execute(
            sa.delete(SubscribedCategory).where(SubscribedCategory.subscription_id == self.id)
        )
        chosen = [{"subscription_id": self.id, "category": key} for key in sorted(set(categories))]
        if chosen:
            db.session.execute(sa.insert(SubscribedCategory), chosen)

    def take_confirmation_mail(self, today: date) -> bool:
        """Take one of today's confirmation mails for this address; False past the limit.

        One UPDATE that counts in the database, so that forms sent at once to several
        instances cannot together pass the limit. Not committed.
        """
        taken = db.session.execute(
            sa.update(Subscription)
            .where(Subscription.id == self.id)
            .where(
                sa.or_(
                    Subscription.confirmations_day.is_(None),
                    Subscription.confirmations_day != today,
                    Subscription.confirmations_sent < CONFIRMATIONS_PER_DAY,
                )
            )
            .values(
                confirmations_sent=sa.case(
                    (Subscription.confirmations_day == today, Subscription.confirmations_sent + 1),
                    else_=1,
                ),
                confirmations_day=today,
                confirmation_due_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        return rows_affected(taken) == 1

    @classmethod
    def hold_confirmation_mail(cls, subscription_id: int, lease: timedelta) -> datetime | None:
        """Take a due confirmation mail for one attempt: the moment the hold runs out, which
        names it; None if none is due, or another worker has it. Not committed."""
        now = utcnow()
        held = db.session.execute(
            sa.update(cls)
            .where(cls.id == subscription_id, cls.confirmation_due_at <= now)
            .values(confirmation_due_at=now + lease)
            .execution_options(synchronize_session=False)
        )
        return now + lease if rows_affected(held) == 1 else None

    @classmethod
    def confirmation_mail_done(cls, subscription_id: int, held_until: datetime) -> None:
        """The mail held went (or was refused for good). A mail asked for since, while it was
        being sent, stays due. Not committed."""
        db.session.execute(
            sa.update(cls)
            .where(cls.id == subscription_id, cls.confirmation_due_at == held_until)
            .values(confirmation_due_at=None)
            .execution_options(synchronize_session=False)
        )

    @classmethod
    def confirmation_mail_later(
        cls, subscription_id: int, held_until: datetime, due_at: datetime
    ) -> None:
        """The mail held could not go now: due again at `due_at`. Not committed."""
        db.session.execute(
            sa.update(cls)
            .where(cls.id == subscription_id, cls.confirmation_due_at == held_until)
            .values(confirmation_due_at=due_at)
            .execution_options(synchronize_session=False)
        )

    def confirm(self) -> bool:
        """Confirmed by the mailbox's owner, now; False if it was not pending. Not committed."""
        confirmed = db.session.execute(
            sa.update(Subscription)
            .where(Subscription.id == self.id, Subscription.state == PENDING)
            .values(state=CONFIRMED, confirmed_at=utcnow(), confirmation_due_at=None)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(confirmed) == 1

    @classmethod
    def suspend(cls, subscription_id: int, error: str) -> None:
        """The relay refused an alert to it for good: no more alerts until subscribed again.
        Not committed."""
        suspended = db.session.execute(
            sa.update(cls)
            .where(cls.id == subscription_id, cls.state == CONFIRMED)
            .values(state=SUSPENDED, suspended_at=utcnow(), last_error=error)
            .execution_options(synchronize_session=False)
        )
        if rows_affected(suspended):
            totals.add_to_totals({totals.SUBSCRIPTIONS_SUSPENDED: 1})

    @classmethod
    def remove(cls, subscription_id: int) -> bool:
        """Delete a subscription with its categories and alerts: the address is gone from the
        site. False if it was gone already. Not committed."""
        for child in (AlertedPosition, AlertMail, SubscribedCategory):
            db.session.execute(
                sa.delete(child)
                .where(child.subscription_id == subscription_id)
                .execution_options(synchronize_session=False)
            )
        deleted = db.session.execute(
            sa.delete(cls)
            .where(cls.id == subscription_id)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(deleted) == 1

    @classmethod
    def purge_unconfirmed(cls) -> int:
        """Delete every subscription still unconfirmed UNCONFIRMED_KEPT_FOR after it was asked
        for; how many. Not committed."""
        stale = list(
            db.session.scalars(
                sa.select(cls.id).where(
                    cls.state == PENDING, cls.asked_at < utcnow() - UNCONFIRMED_KEPT_FOR
                )
            )
        )
        return sum(cls.remove(subscription_id) for subscription_id in stale)


class SubscribedCategory(Model):
    """One category (a key of site.yaml's categories) that a subscription is alerted of."""

    __tablename__ = "alert_subscription_category"

    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("alert_subscription.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(sa.String(40), primary_key=True, index=True)


class SeenPosition(Model):
    """A position as the site saw it: open since `opened_at`, or closed since `closed_at`.

    `opened_at` is when the site first saw the position open (again): a subscription confirmed
    before it hears of the position, one confirmed after does not.
    """

    __tablename__ = "alert_position"

    slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    category: Mapped[str] = mapped_column(sa.String(40))
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class AlertMail(Model):
    """One alert mail to one subscription: at most one a day (the group's calendar)."""

    __tablename__ = "alert_mail"
    __table_args__ = (sa.UniqueConstraint("subscription_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("alert_subscription.id", ondelete="CASCADE")
    )
    day: Mapped[date]
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    # When it is next to be tried while pending; a worker that takes it moves it past its
    # attempt, so that no other worker sends it meanwhile.
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    @classmethod
    def claim(cls, mail_id: int, lease: timedelta) -> bool:
        """Take a pending, due mail for one attempt; False if it is not ours to send."""
        now = utcnow()
        taken = db.session.execute(
            sa.update(cls)
            .where(cls.id == mail_id, cls.status == PENDING, cls.due_at <= now)
            .values(due_at=now + lease, attempts=cls.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(taken) == 1

    @classmethod
    def mark_sent(cls, mail_id: int) -> None:
        """The relay took it. Counted even if the subscription went meanwhile. Not committed."""
        db.session.execute(
            sa.update(cls)
            .where(cls.id == mail_id)
            .values(status=SENT, sent_at=utcnow(), due_at=None)
            .execution_options(synchronize_session=False)
        )
        totals.add_to_totals({totals.ALERTS_SENT: 1})

    @classmethod
    def retry_later(cls, mail_id: int, error: str, due_at: datetime) -> None:
        db.session.execute(
            sa.update(cls)
            .where(cls.id == mail_id, cls.status == PENDING)
            .values(due_at=due_at, last_error=error)
            .execution_options(synchronize_session=False)
        )

    @classmethod
    def fail(cls, mail_id: int, error: str) -> None:
        failed = db.session.execute(
            sa.update(cls)
            .where(cls.id == mail_id, cls.status == PENDING)
            .values(status=FAILED, due_at=None, last_error=error)
            .execution_options(synchronize_session=False)
        )
        if rows_affected(failed):
            totals.add_to_totals({totals.ALERTS_FAILED: 1})

    @classmethod
    def discard(cls, mail_id: int) -> None:
        """Nothing left to announce in it (its positions closed, or it was unsubscribed from
        them): gone, so that another mail may go today. Not committed."""
        db.session.execute(sa.delete(AlertedPosition).where(AlertedPosition.mail_id == mail_id))
        db.session.execute(sa.delete(cls).where(cls.id == mail_id, cls.status == PENDING))

    @classmethod
    def drop_positions(cls, mail_id: int, slugs: Iterable[str]) -> None:
        """Leave these positions out of the mail, to be announced if they open again."""
        db.session.execute(
            sa.delete(AlertedPosition).where(
                AlertedPosition.mail_id == mail_id, AlertedPosition.position_slug.in_(list(slugs))
            )
        )


class AlertedPosition(Model):
    """A position announced to a subscription, in one of its mails: never a second time."""

    __tablename__ = "alert_mail_position"

    subscription_id: Mapped[int] = mapped_column(
        sa.ForeignKey("alert_subscription.id", ondelete="CASCADE"), primary_key=True
    )
    position_slug: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    mail_id: Mapped[int] = mapped_column(
        sa.ForeignKey("alert_mail.id", ondelete="CASCADE"), index=True
    )


class CheckTurn(Model):
    """When the check for new openings last began: one row, shared by every worker."""

    __tablename__ = "alert_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime]

    @classmethod
    def take(cls, interval: timedelta) -> bool:
        """Whether it is this worker's turn to check: the last check began `interval` ago or
        more. One UPDATE (or the first INSERT), so that of workers asking at once one wins.
        Committed by the caller."""
        now = utcnow()
        taken = db.session.execute(
            sa.update(cls)
            .where(cls.id == 1, cls.started_at <= now - interval)
            .values(started_at=now)
            .execution_options(synchronize_session=False)
        )
        if rows_affected(taken):
            return True
        # RETURNING says whether it inserted: with an id column PostgreSQL's driver reports no
        # row count for such an INSERT.
        first = db.session.execute(
            insert_or_skip(cls)
            .values(id=1, started_at=now)
            .on_conflict_do_nothing()
            .returning(cls.id)
        )
        return first.first() is not None
