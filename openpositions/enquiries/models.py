"""Stored enquiries and the state of their delivery."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column

from openpositions.extensions import db

PENDING = "pending"
SENT = "sent"
FAILED = "failed"
STATUSES = (PENDING, SENT, FAILED)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class Enquiry(db.Model):  # type: ignore[name-defined,misc]
    """One applicant's enquiry, kept until delivered and for the retention period after."""

    __tablename__ = "enquiry"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(16), unique=True)
    # Times are naive UTC throughout: SQLite keeps no zone.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    email: Mapped[str] = mapped_column(sa.String(320))
    position_slug: Mapped[str] = mapped_column(sa.String(100))
    # The title as the applicant saw it, in case the position file changes later.
    position_title: Mapped[str] = mapped_column(sa.String(300))
    message: Mapped[str] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(8), default="en")
    # Same email and message within a short time is the same enquiry sent twice.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), index=True)
    cv_filename: Mapped[str | None] = mapped_column(sa.String(120))
    cv_size: Mapped[int | None]
    cv_data: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))

    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_attempt_at: Mapped[datetime | None]
    # When the queue is next expected to try; a pending enquiry long past it was lost.
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    # Set while one worker is sending, so that a second copy of the task does not send too;
    # if that worker dies, the claim runs out and another may try.
    claimed_until: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<Enquiry {self.reference} {self.status}>"
