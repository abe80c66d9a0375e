"""What the site saw open: each position's current open stretch, kept in the database.

A position opens when its file appears with `status: open`, or its status changes to open, and
it is public (open on today's date); it closes when it no longer is. The first look that sees
it open records the moment: subscriptions confirmed before it hear of the position, those
confirmed after do not (it was on the site when they subscribed). Each check looks, and so does
each confirmation, just before it is recorded: a position open when a subscription is confirmed
is never announced to it, however long ago the last check ran.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from openpositions.alerts.models import SeenPosition, insert_or_skip
from openpositions.content import Content
from openpositions.extensions import db, rows_affected

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Openings:
    """What one look at the content changed."""

    opened: tuple[str, ...] = ()
    closed: tuple[str, ...] = ()


def record_openings(content: Content, today: date, now: datetime) -> Openings:
    """Bring the stored open stretches in line with what is open today. Not committed.

    Each change is one statement on the row as it is, so that two workers looking at once
    record one opening: the first to insert (or reopen) it; the other changes nothing.
    """
    open_now = {position.slug: position for position in content.open_positions(today)}
    stored = {row.slug: row for row in db.session.scalars(sa.select(SeenPosition))}
    opened, closed = [], []
    for slug, position in sorted(open_now.items()):
        row = stored.get(slug)
        if row is None:
            inserted = db.session.execute(
                insert_or_skip(SeenPosition)
                .values(slug=slug, category=position.category, opened_at=now, closed_at=None)
                .on_conflict_do_nothing(index_elements=["slug"])
                .returning(SeenPosition.slug)
            )
            changed = int(inserted.first() is not None)
        elif row.closed_at is not None:
            reopened = db.session.execute(
                sa.update(SeenPosition)
                .where(SeenPosition.slug == slug, SeenPosition.closed_at.is_not(None))
                .values(category=position.category, opened_at=now, closed_at=None)
                .execution_options(synchronize_session=False)
            )
            changed = rows_affected(reopened)
        else:
            if row.category != position.category:
                row.category = position.category
            changed = 0
        if changed:
            opened.append(slug)
    for slug, row in sorted(stored.items()):
        if row.closed_at is None and slug not in open_now:
            ended = db.session.execute(
                sa.update(SeenPosition)
                .where(SeenPosition.slug == slug, SeenPosition.closed_at.is_(None))
                .values(closed_at=now)
                .execution_options(synchronize_session=False)
            )
            if rows_affected(ended):
                closed.append(slug)
    if opened or closed:
        log.info("Alerts: positions opened %s, closed %s", opened or "none", closed or "none")
    return Openings(tuple(opened), tuple(closed))
