"""Deleting delivered enquiries, and their documents, once the retention period is over."""

import logging
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app

from openpositions.clock import utcnow
from openpositions.enquiries.models import SENT, Enquiry, delete_documents_of
from openpositions.extensions import db, rows_affected
from openpositions.queue import crontab, periodic_task

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Purged:
    deleted: int
    # Older than the retention, but never delivered (pending or failed): kept, so that no
    # enquiry is lost before the professor has it; the operator resends or looks into them.
    kept_undelivered: int


def purge_expired(days: int | None = None) -> Purged:
    """Delete every delivered enquiry received more than `days` (ENQUIRY_RETENTION_DAYS) ago."""
    if days is None:
        days = current_app.config["ENQUIRY_RETENTION_DAYS"]
    if days < 1:
        raise ValueError(f"a retention of {days} days would delete enquiries as they arrive")
    cutoff = utcnow() - timedelta(days=days)
    expired = Enquiry.created_at < cutoff
    delete_documents_of(sa.select(Enquiry.id).where(expired, Enquiry.status == SENT))
    result = db.session.execute(sa.delete(Enquiry).where(expired, Enquiry.status == SENT))
    kept = db.session.scalar(
        sa.select(sa.func.count()).select_from(Enquiry).where(expired, Enquiry.status != SENT)
    )
    db.session.commit()
    purged = Purged(deleted=rows_affected(result), kept_undelivered=int(kept or 0))
    if purged.deleted:
        give_space_back()
    log.info("Purged %d enquiries received before %s", purged.deleted, cutoff.date().isoformat())
    if purged.kept_undelivered:
        log.warning(
            "Kept %d enquiries past the retention that were never delivered; "
            "see flask enquiries list --status failed",
            purged.kept_undelivered,
        )
    return purged


def give_space_back() -> None:
    """Return the space of deleted rows (their documents) to the disk.

    SQLite keeps a deleted row's pages for later rows: without VACUUM, a file that held a
    hundred CVs stays that size after they are purged. PostgreSQL's autovacuum reuses the
    space by itself.
    """
    if db.engine.dialect.name != "sqlite":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM")


@periodic_task(crontab(minute="23", hour="3"), name="purge_expired_enquiries")
def purge_expired_daily() -> None:
    purge_expired()
