"""Deleting enquiries, and their CVs, once the retention period is over."""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from openpositions.clock import utcnow
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db, rows_affected
from openpositions.queue import crontab, periodic_task

log = logging.getLogger(__name__)


def purge_expired(days: int | None = None) -> int:
    """Delete every enquiry received more than `days` (ENQUIRY_RETENTION_DAYS) ago."""
    if days is None:
        days = current_app.config["ENQUIRY_RETENTION_DAYS"]
    cutoff = utcnow() - timedelta(days=days)
    result = db.session.execute(sa.delete(Enquiry).where(Enquiry.created_at < cutoff))
    db.session.commit()
    count = rows_affected(result)
    log.info("Purged %d enquiries received before %s", count, cutoff.date().isoformat())
    return count


@periodic_task(crontab(minute="23", hour="3"), name="purge_expired_enquiries")
def purge_expired_daily() -> None:
    purge_expired()
