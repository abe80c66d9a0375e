"""Documents kept on the server while their form is shown again, so that a fix elsewhere does not
drop the files the applicant chose."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, TimestampSigner
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from openpositions.clock import utcnow
from openpositions.extensions import Model, db, rows_affected
from openpositions.queue import crontab, periodic_task

log = logging.getLogger(__name__)

# Long enough to fix a form, come back from lunch and send it; the sweep deletes older ones.
HOLD_FOR = timedelta(hours=2)
# The tokens' salt since the CV was the only document: tokens in forms shown before still work.
TOKEN_SALT = "held-cv"


class HeldDocument(Model):
    """A checked document waiting for its form to be sent."""

    __tablename__ = "held_document"

    id: Mapped[str] = mapped_column(sa.String(43), primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(120))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    size: Mapped[int]
    # SHA-256 of the bytes, for the duplicate check without reading them again.
    digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@dataclass(frozen=True)
class HeldFile:
    """What a form's token finds held: the file's facts, not its bytes."""

    id: str
    filename: str
    size: int
    digest: str


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def hold_document(filename: str, data: bytes, digest: str) -> str | None:
    """Keep a checked document for its form; the signed, unguessable token the form carries.

    None when it cannot be kept: all held documents together would pass HELD_CV_QUOTA (bytes),
    or the database failed (a full disk, say). The form then asks for the file again.
    """
    quota = int(current_app.config["HELD_CV_QUOTA"])
    try:
        held_bytes = db.session.scalar(sa.select(sa.func.sum(HeldDocument.size)))
        if (held_bytes or 0) + len(data) > quota:
            log.warning("Held documents are at their quota (%d bytes); one was not held", quota)
            return None
        held = HeldDocument(
            id=secrets.token_urlsafe(32),
            filename=filename,
            data=data,
            size=len(data),
            digest=digest,
        )
        db.session.add(held)
        db.session.commit()
        held_id = held.id
        # Its bytes leave this process's memory with the row: the form needs only the token.
        db.session.expunge(held)
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("A document could not be held for its form")
        return None
    return _signer().sign(held_id).decode("ascii")


def held_id_of(token: str | None, max_age: timedelta | None = HOLD_FOR) -> str | None:
    """The held document's id that a form's token names; None for a bad (or stale) one."""
    if not token:
        return None
    try:
        held_id = _signer().unsign(token, max_age=int(max_age.total_seconds()) if max_age else None)
    except BadSignature:
        return None
    return held_id.decode("ascii")


def find_held_document(token: str | None) -> HeldFile | None:
    """The document a form's token names, while it is held; None for a bad or stale one."""
    held_id = held_id_of(token)
    if held_id is None:
        return None
    row = db.session.execute(
        sa.select(HeldDocument.filename, HeldDocument.size, HeldDocument.digest).where(
            HeldDocument.id == held_id
        )
    ).first()
    return HeldFile(held_id, row.filename, row.size, row.digest) if row is not None else None


def release_document(token: str | None) -> None:
    """Delete a held document once its enquiry has it, or the applicant removed it."""
    held_id = held_id_of(token, max_age=None)
    if held_id is None:
        return
    db.session.execute(sa.delete(HeldDocument).where(HeldDocument.id == held_id))
    db.session.commit()


def purge_unused_documents() -> int:
    """Delete documents held longer than HOLD_FOR: their forms were never sent."""
    result = db.session.execute(
        sa.delete(HeldDocument).where(HeldDocument.created_at < utcnow() - HOLD_FOR)
    )
    db.session.commit()
    return rows_affected(result)


@periodic_task(crontab(minute="*/10"), name="purge_unused_documents")
def purge_unused_documents_regularly() -> None:
    purge_unused_documents()
