"""Accepting a validated enquiry: the duplicate check, the stored row, the queued delivery."""

import hashlib
import logging
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from openpositions.clock import utcnow
from openpositions.enquiries import totals
from openpositions.enquiries.delivery.tasks import queue_delivery
from openpositions.enquiries.intake.held_documents import HeldDocument
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.extensions import Model, db

log = logging.getLogger(__name__)

# Crockford's base32: no I, L, O or U, so a reference read aloud or retyped stays right.
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REFERENCE = re.compile(f"RS-[{REFERENCE_ALPHABET}]{{4}}-[{REFERENCE_ALPHABET}]{{4}}")
DUPLICATE_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Accepted:
    enquiry: Enquiry
    # False when the same enquiry had already come in: it was neither stored nor sent again.
    is_new: bool
    # The form's stamp had served an accepted enquiry already: this one was not stored.
    stamp_used_before: bool = False


class EnquiryNotStored(Exception):
    """The database could not store the enquiry: it must not be confirmed."""


@dataclass(frozen=True)
class IncomingDocument:
    """A checked document on its way into an enquiry: its facts, and where its bytes are.

    A new upload's bytes are read (`read`) only as it is stored; a document held since the form
    was shown again is copied within the database (`held_id`), never through this process.
    """

    key: str
    label: str
    filename: str
    size: int
    # SHA-256 of the bytes: the same files make the same enquiry (fingerprint below).
    digest: str
    read: Callable[[], bytes] | None = None
    held_id: str | None = None

    @classmethod
    def of_bytes(cls, key: str, label: str, filename: str, data: bytes) -> "IncomingDocument":
        return cls(
            key, label, filename, len(data), hashlib.sha256(data).hexdigest(), read=lambda: data
        )


class HeldDocumentGone(SQLAlchemyError):
    """A held document the form named was purged before its enquiry could take it."""


class RecentEnquiry(Model):
    """The fingerprint of an enquiry received in the last DUPLICATE_WINDOW, once.

    Its key is what makes "the same enquiry is stored once" hold when the same form is sent
    from several tabs or by a script at the same moment: each request first looks for a
    duplicate and finds none, but only one can add this row.
    """

    __tablename__ = "recent_enquiry"

    fingerprint: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class SameEnquiryMeanwhile(Exception):
    """The same enquiry was stored by another request a moment ago."""


def accept_enquiry(
    enquiry: Enquiry,
    documents: Sequence[IncomingDocument] = (),
    form_stamp: str | None = None,
) -> Accepted:
    """Store a new, validated enquiry (once) with its documents and queue its delivery.

    `form_stamp` is the nonce of the form it came from: one accepted enquiry uses it up.
    Raises EnquiryNotStored if the database cannot store it.
    """
    enquiry.fingerprint = fingerprint(enquiry, documents)
    try:
        duplicate = recent_duplicate(enquiry)
        if duplicate is not None:
            log.info("Enquiry %s submitted again; not sent twice", duplicate.reference)
            return Accepted(duplicate, is_new=False)
        if form_stamp is not None and stamp_used(form_stamp):
            return Accepted(enquiry, is_new=False, stamp_used_before=True)
        enquiry.form_stamp = form_stamp
        claim_fingerprint(enquiry)
        record_enquiry(enquiry, documents)
    except SameEnquiryMeanwhile:
        duplicate = recent_duplicate(enquiry)
        if duplicate is None:  # Withdrawn meanwhile: stored anew, as a new enquiry would be.
            return accept_enquiry(forget_fingerprint(enquiry), documents, form_stamp)
        log.info("Enquiry %s submitted twice at once; stored once", duplicate.reference)
        return Accepted(duplicate, is_new=False)
    except IntegrityError:
        # Another request took the same stamp a moment ago (the unique column says so).
        db.session.rollback()
        return Accepted(enquiry, is_new=False, stamp_used_before=True)
    except SQLAlchemyError as error:
        db.session.rollback()
        log.exception("Enquiry could not be stored")
        raise EnquiryNotStored() from error
    log.info("Enquiry %s received", enquiry.reference)
    queue_delivery(enquiry)
    return Accepted(enquiry, is_new=True)


def new_reference() -> str:
    """A short, unguessable reference such as RS-7KQ2-M9XD (40 random bits)."""
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"RS-{chars[:4]}-{chars[4:]}"


def fingerprint(enquiry: Enquiry, documents: Sequence[IncomingDocument] = ()) -> str:
    """Identifies the same enquiry sent again: address, message (whatever the case and spacing),
    position, every document and every answer. The same letter for two positions is two
    enquiries; so is the same one sent again with the transcripts it forgot, or another start
    date."""
    normal = " ".join(unicodedata.normalize("NFC", enquiry.message).split())
    files = sorted(f"{document.key}={document.digest}" for document in documents)
    answers = sorted(
        f"{answer.get('key', '')}={answer.get('value', '')}" for answer in enquiry.answers or []
    )
    parts = (enquiry.email.casefold(), normal, enquiry.position_slug, *files, "", *answers)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def stamp_used(form_stamp: str) -> bool:
    query = sa.select(Enquiry.id).where(Enquiry.form_stamp == form_stamp).limit(1)
    return db.session.scalars(query).first() is not None


def recent_duplicate(enquiry: Enquiry) -> Enquiry | None:
    """The same enquiry received in the last ten minutes, if any."""
    since = utcnow() - DUPLICATE_WINDOW
    query = (
        sa.select(Enquiry)
        .where(Enquiry.fingerprint == enquiry.fingerprint)
        .where(Enquiry.created_at >= since)
        .order_by(Enquiry.created_at.desc())
        .limit(1)
    )
    return db.session.scalars(query).first()


def claim_fingerprint(enquiry: Enquiry) -> None:
    """Add the enquiry's fingerprint to the recent ones, in the transaction that stores it.

    Raises SameEnquiryMeanwhile (rolled back) if another request holds it: on PostgreSQL the
    insert waits for that request's transaction, so its enquiry is there to be found.
    """
    now = utcnow()
    db.session.execute(
        sa.delete(RecentEnquiry).where(RecentEnquiry.received_at < now - DUPLICATE_WINDOW)
    )
    db.session.add(RecentEnquiry(fingerprint=enquiry.fingerprint, received_at=now))
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        raise SameEnquiryMeanwhile() from error


def forget_fingerprint(enquiry: Enquiry) -> Enquiry:
    """Drop the recent fingerprint of an enquiry no longer stored; the enquiry, to store anew."""
    db.session.execute(
        sa.delete(RecentEnquiry).where(RecentEnquiry.fingerprint == enquiry.fingerprint)
    )
    db.session.commit()
    return enquiry


def record_enquiry(enquiry: Enquiry, documents: Sequence[IncomingDocument] = ()) -> Enquiry:
    """Give a new enquiry its reference and store it with its documents, in one transaction:
    once this returns, none of it can be lost."""
    enquiry.reference = new_reference()
    if not enquiry.fingerprint:
        enquiry.fingerprint = fingerprint(enquiry, documents)
    db.session.add(enquiry)
    db.session.flush()
    for document in documents:
        store_document(enquiry.id, document)
    totals.add_to_totals({totals.ENQUIRIES_ACCEPTED: 1})
    db.session.commit()
    return enquiry


def store_document(enquiry_id: int, document: IncomingDocument, added_later: bool = False) -> None:
    """Add a document to a stored enquiry, in the caller's transaction; a held one is copied
    and dropped from the held ones within the database.

    Raises HeldDocumentGone if a held document was purged meanwhile.
    """
    values = {
        "enquiry_id": enquiry_id,
        "key": document.key,
        "label": document.label,
        "filename": document.filename,
        "size": document.size,
        "added_at": utcnow(),
        "added_later": added_later,
    }
    if document.held_id is None:
        assert document.read is not None, "a document is either new or held"
        db.session.execute(sa.insert(EnquiryDocument).values(**values, data=document.read()))
        return
    copied = db.session.execute(
        sa.insert(EnquiryDocument)
        .from_select(
            [*values, "data"],
            sa.select(*(sa.literal(value) for value in values.values()), HeldDocument.data).where(
                HeldDocument.id == document.held_id
            ),
        )
        # What was copied, by its id: a count of rows is not what every driver reports here.
        .returning(EnquiryDocument.id)
    ).all()
    if len(copied) != 1:
        raise HeldDocumentGone(f"held document {document.key} is gone")
    db.session.execute(sa.delete(HeldDocument).where(HeldDocument.id == document.held_id))


def find_enquiry(reference: str) -> Enquiry | None:
    return db.session.scalars(sa.select(Enquiry).where(Enquiry.reference == reference)).first()
