"""Accepting an enquiry: stored once, whatever arrives at the same moment."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from openpositions.clock import utcnow
from openpositions.enquiries.applicant.withdrawal import withdraw
from openpositions.enquiries.intake.accept import Accepted, RecentEnquiry, accept_enquiry
from openpositions.extensions import db
from tests.support.app import an_enquiry, stored_enquiries

pytestmark = pytest.mark.database

SENDS = 10


def accepted_at_once(app: Flask, count: int) -> list[tuple[str, bool]]:
    """`count` identical enquiries accepted by as many requests at the same moment, each from a
    form of its own (no shared stamp): (reference, is_new) of each."""
    start = threading.Barrier(count)

    def send(_: int) -> tuple[str, bool]:
        with app.app_context():
            enquiry = an_enquiry()
            start.wait()
            accepted: Accepted = accept_enquiry(enquiry)
            result = (accepted.enquiry.reference, accepted.is_new)
            db.session.remove()
            return result

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(send, range(count)))


def test_identical_enquiries_sent_at_once_are_stored_once(app: Flask) -> None:
    results = accepted_at_once(app, SENDS)
    (stored,) = stored_enquiries(app)
    assert {reference for reference, _ in results} == {stored.reference}, "one reference for all"
    assert [is_new for _, is_new in results].count(True) == 1, "only one is sent"


def test_the_same_enquiry_after_a_withdrawal_is_stored_anew(app: Flask) -> None:
    with app.app_context():
        first = accept_enquiry(an_enquiry())
        withdrawn = first.enquiry.reference
        assert withdraw(first.enquiry)
        again = accept_enquiry(an_enquiry())
        assert again.is_new
        stored_anew = again.enquiry.reference
        assert stored_anew != withdrawn
    assert [enquiry.reference for enquiry in stored_enquiries(app)] == [stored_anew]


def test_fingerprints_are_kept_only_for_the_duplicate_window(app: Flask) -> None:
    with app.app_context():
        accept_enquiry(an_enquiry())
        db.session.execute(
            sa.update(RecentEnquiry).values(received_at=utcnow() - timedelta(minutes=11))
        )
        db.session.commit()
        accept_enquiry(an_enquiry(message="Another enquiry, long enough to be one."))
        kept = db.session.scalars(sa.select(RecentEnquiry)).all()
        assert [row.received_at > utcnow() - timedelta(minutes=1) for row in kept] == [True]
