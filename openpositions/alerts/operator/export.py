"""Subscriptions as CSV that spreadsheets open right, read in batches however many there are."""

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import IO, Any

import defusedcsv.csv as defusedcsv
import sqlalchemy as sa

from openpositions.alerts.models import AlertedPosition, AlertMail, SubscribedCategory, Subscription
from openpositions.clock import in_group_timezone
from openpositions.extensions import db

# Excel takes a UTF-8 file for its local code page unless it starts with a byte-order mark.
ENCODING = "utf-8-sig"
# Subscriptions read from the database at a time.
EXPORT_BATCH = 500
# How consent is given: the same for every subscription, so stated here, not stored in each.
CONSENT_METHOD = "the form at /alerts, then the button on the page its mailed link opens"

COLUMNS = (
    "email", "state", "language", "categories", "asked_at", "consented_at", "consent_wording",
    "consent_method", "confirmed_at", "suspended_at", "last_error", "positions_announced",
)  # fmt: skip


def cell(value: Any) -> Any:
    """A stored value as the spreadsheet should see it (defusedcsv neutralises formulas)."""
    if isinstance(value, datetime):
        return in_group_timezone(value).isoformat(timespec="seconds")
    return "" if value is None else value


def batches(chosen: list[sa.ColumnElement[bool]]) -> Iterator[list[Subscription]]:
    after = 0
    while True:
        batch = list(
            db.session.scalars(
                sa.select(Subscription)
                .where(Subscription.id > after, *chosen)
                .order_by(Subscription.id)
                .limit(EXPORT_BATCH)
            )
        )
        if not batch:
            return
        yield batch
        after = batch[-1].id
        db.session.expunge_all()  # Not kept: memory stays flat however many there are.


def write_csv(stream: IO[str], chosen: list[sa.ColumnElement[bool]]) -> int:
    """Write a header and one row per chosen subscription; how many rows."""
    writer = defusedcsv.writer(stream)
    writer.writerow(COLUMNS)
    count = 0
    for batch in batches(chosen):
        ids = [subscription.id for subscription in batch]
        categories: dict[int, list[str]] = defaultdict(list)
        for subscription_id, category in db.session.execute(
            sa.select(SubscribedCategory.subscription_id, SubscribedCategory.category)
            .where(SubscribedCategory.subscription_id.in_(ids))
            .order_by(SubscribedCategory.category)
        ):
            categories[subscription_id].append(category)
        announced: dict[int, list[str]] = defaultdict(list)
        for subscription_id, slug, day, status in db.session.execute(
            sa.select(
                AlertedPosition.subscription_id,
                AlertedPosition.position_slug,
                AlertMail.day,
                AlertMail.status,
            )
            .join(AlertMail, AlertMail.id == AlertedPosition.mail_id)
            .where(AlertedPosition.subscription_id.in_(ids))
            .order_by(AlertMail.day, AlertedPosition.position_slug)
        ):
            announced[subscription_id].append(f"{slug} ({day.isoformat()}, {status})")
        for subscription in batch:
            row = {
                "email": subscription.email,
                "state": subscription.state,
                "language": subscription.language,
                "categories": " ".join(categories[subscription.id]),
                "asked_at": subscription.asked_at,
                "consented_at": subscription.consented_at,
                "consent_wording": subscription.consent_wording,
                "consent_method": CONSENT_METHOD,
                "confirmed_at": subscription.confirmed_at,
                "suspended_at": subscription.suspended_at,
                "last_error": subscription.last_error,
                "positions_announced": "; ".join(announced[subscription.id]),
            }
            writer.writerow([cell(row[column]) for column in COLUMNS])
            count += 1
    return count
