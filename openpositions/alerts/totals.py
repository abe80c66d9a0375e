"""Running totals of what the alerts did, for /metrics: numbers that only ever grow.

Unsubscribing deletes a subscription and its mails, so counting their rows would make a counter
go down. Each total is instead added to in the same transaction as the change it counts: it can
neither miss a change that was committed nor count one that was rolled back.
"""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from openpositions.extensions import Model, add_to_running_totals, read_running_totals

ALERTS_SENT = "alerts_sent"
# Given up on: refused for good, or still not taken by the relay after a day of trying.
ALERTS_FAILED = "alerts_failed"
CONFIRMATIONS_SENT = "confirmations_sent"
SUBSCRIPTIONS_CONFIRMED = "subscriptions_confirmed"
SUBSCRIPTIONS_SUSPENDED = "subscriptions_suspended"
UNSUBSCRIBED = "unsubscribed"

TOTAL_NAMES = (
    ALERTS_SENT,
    ALERTS_FAILED,
    CONFIRMATIONS_SENT,
    SUBSCRIPTIONS_CONFIRMED,
    SUBSCRIPTIONS_SUSPENDED,
    UNSUBSCRIBED,
)


class AlertTotal(Model):
    """One total."""

    __tablename__ = "alert_total"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def add_to_totals(amounts: dict[str, int]) -> None:
    """Add to totals in the session's transaction; they count once the caller commits."""
    add_to_running_totals(AlertTotal, amounts)


def current_totals() -> dict[str, int]:
    """Every total by name; 0 for one that has not counted anything yet."""
    return {
        name: int(value) for name, value in read_running_totals(AlertTotal, TOTAL_NAMES).items()
    }
