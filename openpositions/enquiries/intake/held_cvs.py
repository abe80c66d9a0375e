"""CVs kept on the server while their form is shown again, so that a fix elsewhere does not
drop the file the applicant chose."""

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


class HeldCv(Model):
    """A validated CV waiting for its form to be sent."""

    __tablename__ = "held_cv"

    id: Mapped[str] = mapped_column(sa.String(43), primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(120))
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


@dataclass(frozen=True)
class Cv:
    filename: str
    data: bytes


def _signer() -> TimestampSigner:
    return TimestampSigner(current_app.config["SECRET_KEY"], salt="held-cv")


def hold_cv(cv: Cv) -> str | None:
    """Keep a CV for its form; the signed, unguessable token the form carries.

    None when it cannot be kept: all held CVs together would pass HELD_CV_QUOTA (bytes), or
    the database failed (a full disk, say). The form then asks for the file again.
    """
    quota = int(current_app.config["HELD_CV_QUOTA"])
    try:
        held_bytes = db.session.scalar(sa.select(sa.func.sum(sa.func.length(HeldCv.data))))
        if (held_bytes or 0) + len(cv.data) > quota:
            log.warning("Held CVs are at their quota (%d bytes); a CV was not held", quota)
            return None
        held = HeldCv(id=secrets.token_urlsafe(32), filename=cv.filename, data=cv.data)
        db.session.add(held)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("A CV could not be held for its form")
        return None
    return _signer().sign(held.id).decode("ascii")


def find_held_cv(token: str | None) -> Cv | None:
    """The CV a form's token names, while it is held; None for a bad or stale one."""
    if not token:
        return None
    try:
        held_id = _signer().unsign(token, max_age=int(HOLD_FOR.total_seconds()))
    except BadSignature:
        return None
    held = db.session.get(HeldCv, held_id.decode("ascii"))
    return Cv(held.filename, held.data) if held is not None else None


def release_cv(token: str | None) -> None:
    """Delete a held CV once its enquiry has it, or the applicant removed it."""
    if not token:
        return
    try:
        held_id = _signer().unsign(token).decode("ascii")
    except BadSignature:
        return
    db.session.execute(sa.delete(HeldCv).where(HeldCv.id == held_id))
    db.session.commit()


def purge_unused_cvs() -> int:
    """Delete CVs held longer than HOLD_FOR: their forms were never sent."""
    result = db.session.execute(sa.delete(HeldCv).where(HeldCv.created_at < utcnow() - HOLD_FOR))
    db.session.commit()
    return rows_affected(result)


@periodic_task(crontab(minute="*/10"), name="purge_unused_cvs")
def purge_unused_cvs_regularly() -> None:
    purge_unused_cvs()
