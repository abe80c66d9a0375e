"""Recording enquiries: references, duplicates, and the stored row itself."""

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa

from openpositions.enquiries.models import Enquiry, utcnow
from openpositions.extensions import db

# Crockford's base32: no I, L, O or U, so a reference read aloud or retyped stays right.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
DUPLICATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Submission:
    """What an applicant sent, already validated."""

    name: str
    email: str
    position_slug: str
    position_title: str
    message: str
    language: str
    cv_filename: str | None = None
    cv_data: bytes | None = None


def new_reference() -> str:
    """A short, unguessable reference such as RS-7KQ2-M9XD (40 random bits)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"RS-{chars[:4]}-{chars[4:]}"


def fingerprint(email: str, message: str) -> str:
    """Identifies the same email and message, whatever the case and spacing."""
    normal = " ".join(unicodedata.normalize("NFC", message).split())
    return hashlib.sha256(f"{email.casefold()}\0{normal}".encode()).hexdigest()


def recent_duplicate(submission: Submission) -> Enquiry | None:
    """The enquiry with the same email and message received in the last ten minutes, if any."""
    since = utcnow() - DUPLICATE_WINDOW
    query = (
        sa.select(Enquiry)
        .where(Enquiry.fingerprint == fingerprint(submission.email, submission.message))
        .where(Enquiry.created_at >= since)
        .order_by(Enquiry.created_at.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


def record_enquiry(submission: Submission) -> Enquiry:
    """Store the enquiry and commit: once this returns, it cannot be lost."""
    enquiry = Enquiry(
        reference=new_reference(),
        name=submission.name,
        email=submission.email,
        position_slug=submission.position_slug,
        position_title=submission.position_title,
        message=submission.message,
        language=submission.language,
        fingerprint=fingerprint(submission.email, submission.message),
        cv_filename=submission.cv_filename,
        cv_size=len(submission.cv_data) if submission.cv_data else None,
        cv_data=submission.cv_data,
        next_attempt_at=utcnow(),
    )
    db.session.add(enquiry)
    db.session.commit()
    return enquiry


def find_enquiry(reference: str) -> Enquiry | None:
    return db.session.scalars(sa.select(Enquiry).where(Enquiry.reference == reference)).first()
