"""Accepting a validated enquiry: the duplicate check, the stored row, the queued delivery."""

import hashlib
import logging
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from openpositions.enquiries import totals
from openpositions.enquiries.models import Enquiry, utcnow
from openpositions.enquiries.queue import delivery_queue
from openpositions.extensions import db

log = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a reference read aloud or retyped stays right.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DUPLICATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Accepted:
    enquiry: Enquiry
    # False when the same enquiry had already come in: it was neither stored nor sent again.
    is_new: bool


class EnquiryNotStored(Exception):
    """The database could not store the enquiry: it must not be confirmed."""


def accept_enquiry(enquiry: Enquiry) -> Accepted:
    """Store a new, validated enquiry (once) and queue its delivery.

    Raises EnquiryNotStored if the database cannot store it.
    """
    try:
        duplicate = recent_duplicate(enquiry)
        if duplicate is not None:
            log.info("Enquiry %s submitted again; not sent twice", duplicate.reference)
            return Accepted(duplicate, is_new=False)
        record_enquiry(enquiry)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.exception("Enquiry could not be stored")
        raise EnquiryNotStored() from error
    log.info("Enquiry %s received", enquiry.reference)
    delivery_queue().enqueue(enquiry)
    return Accepted(enquiry, is_new=True)


def new_reference() -> str:
    """A short, unguessable reference such as RS-7KQ2-M9XD (40 random bits)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"RS-{chars[:4]}-{chars[4:]}"


def fingerprint(email: str, message: str) -> str:
    """Identifies the same email and message, whatever the case and spacing."""
    normal = " ".join(unicodedata.normalize("NFC", message).split())
    return hashlib.sha256(f"{email.casefold()}\0{normal}".encode()).hexdigest()


def recent_duplicate(enquiry: Enquiry) -> Enquiry | None:
    """The enquiry with the same email and message received in the last ten minutes, if any."""
    since = utcnow() - DUPLICATE_WINDOW
    query = (
        sa.select(Enquiry)
        .where(Enquiry.fingerprint == fingerprint(enquiry.email, enquiry.message))
        .where(Enquiry.created_at >= since)
        .order_by(Enquiry.created_at.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


def record_enquiry(enquiry: Enquiry) -> Enquiry:
    """Give a new enquiry its reference and store it: once this returns, it cannot be lost."""
    enquiry.reference = new_reference()
    enquiry.fingerprint = fingerprint(enquiry.email, enquiry.message)
    enquiry.cv_size = len(enquiry.cv_data) if enquiry.cv_data else None
    db.session.add(enquiry)
    totals.add_to_totals({totals.ACCEPTED: 1})
    db.session.commit()
    return enquiry


def find_enquiry(reference: str) -> Enquiry | None:
    return db.session.scalars(sa.select(Enquiry).where(Enquiry.reference == reference)).first()
