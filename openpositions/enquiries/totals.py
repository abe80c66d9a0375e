"""Running totals of what happened to enquiries, kept apart from the enquiries themselves.

Enquiries are purged after the retention period, so counting their rows would make a counter
go down. Each total is instead added to in the same transaction as the change it counts: it
can neither miss a change that was committed nor count one that was rolled back.
"""

import logging

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from openpositions.extensions import Model, add_to_running_totals, db, read_running_totals

log = logging.getLogger(__name__)

# The names of the totals; the migration that creates the table starts each of them.
ENQUIRIES_ACCEPTED = "accepted"
ENQUIRIES_SENT = "sent"
ENQUIRIES_FAILED = "failed"
# Copies of a delivered enquiry's mail that the operator had sent to the professor again
# (`flask enquiries resend --force`): apart from "sent", which counts each enquiry once.
COPIES_RESENT = "resent"
# Withdrawn and deleted by the applicant through their private link (withdrawal.py).
ENQUIRIES_WITHDRAWN = "withdrawn"
DELIVERY_ATTEMPTS = "delivery_attempts"
# The seconds spent sending, and how many sends they add up over: a summary's sum and count.
SEND_SECONDS = "send_seconds"
SENDS_TIMED = "sends_timed"
# Spam caught, by the trap that caught it (spam.py): one total each.
SPAM_TRAPS = ("honeypot", "too_fast")


def spam_total(trap: str) -> str:
    return f"spam_{trap}"


TOTAL_NAMES = (
    ENQUIRIES_ACCEPTED,
    ENQUIRIES_SENT,
    ENQUIRIES_FAILED,
    COPIES_RESENT,
    ENQUIRIES_WITHDRAWN,
    DELIVERY_ATTEMPTS,
    SEND_SECONDS,
    SENDS_TIMED,
) + tuple(spam_total(trap) for trap in SPAM_TRAPS)


class RunningTotal(Model):
    """One total: a number that only ever grows."""

    __tablename__ = "running_total"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    # A float for the seconds; counts stay exact as floats up to 2**53.
    value: Mapped[float] = mapped_column(sa.Float, default=0.0)


def add_to_totals(amounts: dict[str, float]) -> None:
    """Add to totals in the session's transaction; they count once the caller commits."""
    add_to_running_totals(RunningTotal, amounts)


def count_spam(trap: str) -> None:
    """Count one submission caught by a spam trap, committed at once; never fails.

    Spam gets the same answer as an enquiry whether or not the database answers: a bot must
    learn nothing from it, and a lost count is not worth an error page.
    """
    try:
        add_to_totals({spam_total(trap): 1})
        db.session.commit()
    except SQLAlchemyError:
        log.warning("Spam caught (%s) but not counted", trap, exc_info=True)
        db.session.rollback()


def current_totals() -> dict[str, float]:
    """Every total by name; 0 for one that has not counted anything yet."""
    return {
        name: float(value) for name, value in read_running_totals(RunningTotal, TOTAL_NAMES).items()
    }
