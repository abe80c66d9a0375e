"""Reading what the site stored and queued, for the enquiry tests."""

import sqlalchemy as sa
from flask import Flask

from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db


def stored_enquiries(app: Flask) -> list[Enquiry]:
    with app.app_context():
        enquiries = list(db.session.scalars(sa.select(Enquiry).order_by(Enquiry.id)))
        db.session.expunge_all()
        return enquiries


def queued_tasks(app: Flask) -> int:
    return app.extensions["openpositions.queue"].huey.pending_count()
