"""Stored enquiries and the state of their delivery, changed only through the model's methods."""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from openpositions.clock import utcnow
from openpositions.enquiries import totals
from openpositions.extensions import Model, db, rows_affected

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
DELIVERY_STATUSES = (PENDING, SENT, FAILED)


def new_private_link_secret() -> str:
    """The random part of an enquiry's private link (256 bits), which its token is signed over."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True)
class Removed:
    """What a withdrawn enquiry was at the moment its row was deleted."""

    reference: str
    # Whether the professor's mail had gone, or might be going right then: a send whose claim
    # still holds may have reached the relay already.
    professor_may_have_it: bool


class Enquiry(Model):
    """One applicant's enquiry, kept until delivered and for the retention period after."""

    __tablename__ = "enquiry"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # Times are naive UTC throughout: SQLite keeps no zone.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    # As the applicant typed it (normalised), and as it travels: an internationalised domain
    # in its ASCII form.
    email: Mapped[str] = mapped_column(sa.String(320))
    transport_email: Mapped[str] = mapped_column(sa.String(320))
    position_slug: Mapped[str] = mapped_column(sa.String(100))
    # The title as the applicant saw it, in case the position file changes later.
    position_title: Mapped[str] = mapped_column(sa.String(300))
    message: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    # Same email and message within a short time is the same enquiry sent twice.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), index=True)
    # The answers to the position's questions, in its order: a list of answers.Answer as dicts.
    answers: Mapped[list[dict[str, str]]] = mapped_column(
        sa.JSON, default=list, server_default="[]"
    )
    # The files sent with it, in the order they came; their bytes load only when needed.
    documents: Mapped[list["EnquiryDocument"]] = relationship(
        order_by="EnquiryDocument.id",
        lazy="selectin",
        # The database deletes them with the enquiry (and remove_withdrawn, purge_expired do
        # on SQLite, which enforces no foreign keys): the session need not load them first.
        passive_deletes=True,
        back_populates="enquiry",
    )
    # Signed into the applicant's private link (private_link.py): without it, neither the
    # reference nor the id opens anything.
    private_link_secret: Mapped[str] = mapped_column(sa.String(64), default=new_private_link_secret)

    # The delivery state: written by the methods below and by nothing else.
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_attempt_at: Mapped[datetime | None]
    # When the queue is next expected to try; a pending enquiry long past it was lost.
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True, default=utcnow)
    # Set while one worker is sending, so that a second copy of the task does not send too;
    # if that worker dies, the claim runs out and another may try.
    claimed_until: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # The nonce of the form it was sent from: one accepted enquiry per stamp.
    form_stamp: Mapped[str | None] = mapped_column(sa.String(32), unique=True)
    # When the operator was told that it waits longer than it should: once is enough.
    overdue_alerted_at: Mapped[datetime | None]
    # When it last failed for good: the applicant is told a day (ENQUIRY_FAILURE_NOTICE_AFTER)
    # later, which leaves the operator time to fix the cause and resend it first.
    failed_at: Mapped[datetime | None]
    # When the applicant was told that it could not be delivered: once, by one worker.
    applicant_told_of_failure_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Enquiry {self.reference} {self.status}>"

    @classmethod
    def claim(cls, enquiry_id: int, lease: timedelta) -> bool:
        """Atomically take a pending enquiry for one attempt; False if it is not ours to send.

        One UPDATE, so that two workers holding copies of the same task cannot both win.
        """
        now = utcnow()
        taken = db.session.execute(
            sa.update(cls)
            .where(cls.id == enquiry_id, cls.status == PENDING)
            .where(sa.or_(cls.claimed_until.is_(None), cls.claimed_until < now))
            .values(
                claimed_until=now + lease,
                attempts=cls.attempts + 1,
                last_attempt_at=now,
                # The sweep takes an enquiry for lost only once this attempt's claim has run out.
                next_attempt_at=now + lease,
            )
        )
        if rows_affected(taken) != 1:
            return False
        totals.add_to_totals({totals.DELIVERY_ATTEMPTS: 1})
        return True

    @classmethod
    def claim_delivered(cls, enquiry_id: int, lease: timedelta) -> bool:
        """Atomically take a delivered enquiry to send the documents added to it since; False
        if it is not delivered, or another worker is sending them right now.

        The same claim as for its first delivery, so that no two workers send the same mail.
        """
        now = utcnow()
        taken = db.session.execute(
            sa.update(cls)
            .where(cls.id == enquiry_id, cls.status == SENT)
            .where(sa.or_(cls.claimed_until.is_(None), cls.claimed_until < now))
            .values(claimed_until=now + lease)
            .execution_options(synchronize_session=False)
        )
        return rows_affected(taken) == 1

    def release_claim(self) -> None:
        self.claimed_until = None

    @classmethod
    def remove_withdrawn(cls, enquiry_id: int) -> Removed | None:
        """Delete an enquiry and its documents, counted as withdrawn; what it was, or None if gone.

        One DELETE ... RETURNING, so that the state read is the state deleted: a worker that
        recorded the professor's mail just before is seen, and one that records anything just
        after updates no row (an UPDATE never inserts) and stops there (delivery.py).
        Not committed here: the caller commits.
        """
        now = utcnow()
        delete_documents_of(sa.select(cls.id).where(cls.id == enquiry_id))
        removed = db.session.execute(
            sa.delete(cls)
            .where(cls.id == enquiry_id)
            .returning(cls.reference, cls.notified_at, cls.claimed_until)
            .execution_options(synchronize_session=False)
        ).first()
        if removed is None:
            return None
        reference, notified_at, claimed_until = removed
        sending = claimed_until is not None and claimed_until > now
        totals.add_to_totals({totals.ENQUIRIES_WITHDRAWN: 1})
        return Removed(reference, professor_may_have_it=notified_at is not None or sending)

    def mark_professor_notified(self) -> None:
        self.notified_at = utcnow()

    def mark_acknowledged(self) -> None:
        self.acknowledged_at = utcnow()

    def note_error(self, error: str) -> None:
        """Record a problem that does not hold the delivery back (a refused receipt)."""
        self.last_error = error

    def mark_overdue_alerted(self) -> None:
        self.overdue_alerted_at = utcnow()

    # The totals (totals.py) are added to last: their rows are shared by every worker, so
    # each transaction holds them for as short a time as it can before it commits.
    def mark_sent(self) -> None:
        self.status = SENT
        self.sent_at = utcnow()
        self.next_attempt_at = None
        self.claimed_until = None
        totals.add_to_totals({totals.ENQUIRIES_SENT: 1})

    def schedule_retry(self, error: str, delay: float) -> None:
        self.last_error = error
        self.next_attempt_at = utcnow() + timedelta(seconds=delay)
        self.claimed_until = None

    def fail(self, error: str) -> None:
        self.status = FAILED
        self.failed_at = utcnow()
        self.last_error = error
        self.next_attempt_at = None
        self.claimed_until = None
        totals.add_to_totals({totals.ENQUIRIES_FAILED: 1})

    def make_due(self) -> None:
        """Pending and due now, as when its queued task was lost."""
        self.status = PENDING
        self.claimed_until = None
        self.next_attempt_at = utcnow()

    @classmethod
    def reopen_for_resend(cls, enquiry_id: int) -> bool:
        """Make an undelivered enquiry due now with a fresh round of attempts, as the operator's
        resend does; False if it was delivered (or deleted) meanwhile.

        One UPDATE on the state as it is, not as it was read: an enquiry that a worker delivers
        at this moment must not become pending again, be "sent" a second time and counted twice.
        Not committed here: the caller commits.
        """
        now = utcnow()
        reopened = db.session.execute(
            sa.update(cls)
            .where(cls.id == enquiry_id, cls.status != SENT)
            .values(
                status=PENDING,
                attempts=0,
                next_attempt_at=now,
                # A claim still running stays: that attempt records its own outcome, and a
                # second worker must not send beside it.
                claimed_until=sa.case((cls.claimed_until > now, cls.claimed_until), else_=None),
            )
            .execution_options(synchronize_session=False)
        )
        return rows_affected(reopened) == 1

    @classmethod
    def take_failure_notice(cls, enquiry_id: int, failed_before: datetime) -> bool:
        """Atomically take the applicant's notice that an enquiry failed before `failed_before`
        and never reached the professor; False if it is not due, or another worker took it.

        One UPDATE, so that of two workers checking at once only one sends the notice, and one
        the operator resent meanwhile (pending or sent again) is not taken at all.
        Not committed here: the caller commits.
        """
        taken = db.session.execute(
            sa.update(cls)
            .where(cls.id == enquiry_id, cls.status == FAILED, cls.notified_at.is_(None))
            .where(cls.applicant_told_of_failure_at.is_(None), cls.failed_at < failed_before)
            .values(applicant_told_of_failure_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        return rows_affected(taken) == 1

    @classmethod
    def give_back_failure_notice(cls, enquiry_id: int) -> None:
        """The notice taken could not be sent (the relay is down): a later check sends it.

        Not committed here: the caller commits.
        """
        db.session.execute(
            sa.update(cls)
            .where(cls.id == enquiry_id)
            .values(applicant_told_of_failure_at=None)
            .execution_options(synchronize_session=False)
        )


class EnquiryDocument(Model):
    """One file an enquiry carries (a PDF: the CV, the transcripts, ...), and which of the
    professor's mails carries it on."""

    __tablename__ = "enquiry_document"
    # One of each: a document added later is one the enquiry did not carry yet.
    __table_args__ = (sa.UniqueConstraint("enquiry_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enquiry_id: Mapped[int] = mapped_column(sa.ForeignKey("enquiry.id", ondelete="CASCADE"))
    # The position's name for it (`cv`, `transcripts`), and its label in the enquiry's language
    # as the applicant saw it, in case the position file changes later.
    key: Mapped[str] = mapped_column(sa.String(40))
    label: Mapped[str] = mapped_column(sa.String(200))
    filename: Mapped[str] = mapped_column(sa.String(120))
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Sent from the private page after the enquiry itself: its own mail tells the professor so.
    added_later: Mapped[bool] = mapped_column(default=False)
    # Which of the professor's mails carries it: 1 the enquiry's own, 2 and on the follow-ups in
    # its thread; None until its delivery plans it (delivery/packing.py). Stored before any mail
    # goes, so that every attempt sends the same mails.
    mail_number: Mapped[int | None]
    # When the relay took the mail that carries it: that mail never goes again.
    mail_sent_at: Mapped[datetime | None]
    # For one added later: when the applicant's receipt for it went.
    applicant_told_at: Mapped[datetime | None]

    enquiry: Mapped[Enquiry] = relationship(back_populates="documents")

    def __repr__(self) -> str:
        return f"<EnquiryDocument {self.key} {self.filename} {self.size}>"

    @classmethod
    def plan_mails(cls, numbers: dict[int, int]) -> None:
        """Record which mail carries each document (by id); not committed here."""
        for document_id, number in numbers.items():
            db.session.execute(
                sa.update(cls)
                .where(cls.id == document_id, cls.mail_number.is_(None))
                .values(mail_number=number)
                .execution_options(synchronize_session="fetch")
            )

    @classmethod
    def mark_applicant_told(cls, document_ids: list[int]) -> None:
        """The applicant's receipt for these documents, added later, went. Not committed."""
        db.session.execute(
            sa.update(cls)
            .where(cls.id.in_(document_ids))
            .values(applicant_told_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )

    @classmethod
    def mark_mail_sent(cls, enquiry_id: int, number: int) -> bool:
        """Record that the relay took mail `number` of an enquiry; False if its documents are
        gone (withdrawn meanwhile). Not committed here."""
        sent = db.session.execute(
            sa.update(cls)
            .where(cls.enquiry_id == enquiry_id, cls.mail_number == number)
            .values(mail_sent_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )
        return rows_affected(sent) > 0


def delete_documents_of(enquiry_ids: sa.Select[Any]) -> None:
    """Delete the documents of the enquiries `enquiry_ids` selects, before the enquiries.

    PostgreSQL would delete them by the foreign key's ON DELETE CASCADE; SQLite enforces no
    foreign keys unless told to, so they are deleted here on both, in the caller's transaction.
    """
    db.session.execute(
        sa.delete(EnquiryDocument)
        .where(EnquiryDocument.enquiry_id.in_(enquiry_ids))
        .execution_options(synchronize_session=False)
    )
