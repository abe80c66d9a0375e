"""What an applicant typed, kept on the server across a language switch.

The switch is a button of the form, so what was typed travels with it; the site keeps it here and
answers with a redirect to the form in the other language, which shows it again. The page the
applicant then sees is a GET: Back and Reload return to it without asking to send anything again.
The browser holds only the draft's key, in its session.
"""

import json
import logging
import secrets
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import session
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from openpositions.clock import utcnow
from openpositions.extensions import Model, db, rows_affected
from openpositions.queue import crontab, periodic_task

log = logging.getLogger(__name__)

DRAFT_KEY = "enquiry_draft"
# As long as a held CV: the draft names one, and both serve the same fix-and-send.
KEEP_FOR = timedelta(hours=2)


class FormDraft(Model):
    """The fields of one visitor's form, as typed, between a language switch and its page."""

    __tablename__ = "form_draft"

    id: Mapped[str] = mapped_column(sa.String(43), primary_key=True)
    fields: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def keep_draft(fields: dict[str, str]) -> bool:
    """Keep the fields for this visitor's next showing of the form, in place of an older draft.

    False when the database cannot keep them: the caller then shows the form as typed at once.
    """
    try:
        _delete(session.get(DRAFT_KEY))
        draft = FormDraft(id=secrets.token_urlsafe(32), fields=json.dumps(fields))
        db.session.add(draft)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("A form draft could not be kept across a language switch")
        return False
    session[DRAFT_KEY] = draft.id
    return True


def this_visitors_draft() -> dict[str, str] | None:
    """The fields this visitor's switch kept, while they are kept; None otherwise."""
    draft_id = session.get(DRAFT_KEY)
    if not isinstance(draft_id, str):
        return None
    draft = db.session.get(FormDraft, draft_id)
    if draft is None or draft.created_at < utcnow() - KEEP_FOR:
        session.pop(DRAFT_KEY, None)
        return None
    fields: Any = json.loads(draft.fields)
    return {str(k): str(v) for k, v in fields.items()} if isinstance(fields, dict) else None


def discard_draft() -> None:
    """Forget this visitor's draft: its enquiry was accepted."""
    _delete(session.pop(DRAFT_KEY, None))
    db.session.commit()


def _delete(draft_id: object) -> None:
    if isinstance(draft_id, str):
        db.session.execute(sa.delete(FormDraft).where(FormDraft.id == draft_id))


def purge_stale_drafts() -> int:
    """Delete drafts older than KEEP_FOR: their forms were never sent."""
    result = db.session.execute(
        sa.delete(FormDraft).where(FormDraft.created_at < utcnow() - KEEP_FOR)
    )
    db.session.commit()
    return rows_affected(result)


@periodic_task(crontab(minute="*/10"), name="purge_stale_drafts")
def purge_stale_drafts_regularly() -> None:
    purge_stale_drafts()
