"""`flask enquiries ...` and the retention of stored enquiries."""

import csv
import io
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner

from openpositions.enquiries.accept import record_enquiry
from openpositions.enquiries.models import Enquiry, utcnow
from openpositions.extensions import db
from tests.support.app import queued_tasks, stored_enquiries
from tests.support.forms import PDF_BYTES

pytestmark = pytest.mark.database


def add_enquiry(app: Flask, name: str, age_days: float = 0, status: str = "pending") -> str:
    with app.app_context():
        enquiry = record_enquiry(
            Enquiry(
                name=name,
                email=f"{name.lower()}@example.org",
                transport_email=f"{name.lower()}@example.org",
                position_slug="general",
                position_title="General enquiry",
                message=f"A message from {name}, long enough to be valid.",
                language="en",
                cv_filename="cv.pdf",
                cv_data=PDF_BYTES,
            )
        )
        enquiry.created_at = utcnow() - timedelta(days=age_days)
        enquiry.status = status
        db.session.commit()
        return enquiry.reference


def test_list_shows_each_enquiry_and_filters_by_status(app: Flask, runner: FlaskCliRunner) -> None:
    pending = add_enquiry(app, "Pending")
    failed = add_enquiry(app, "Failed", status="failed")
    everything = runner.invoke(args=["enquiries", "list"])
    assert everything.exit_code == 0
    assert pending in everything.output and failed in everything.output
    only_failed = runner.invoke(args=["enquiries", "list", "--status", "failed"]).output
    assert failed in only_failed and pending not in only_failed


def test_show_prints_the_details_and_the_message(app: Flask, runner: FlaskCliRunner) -> None:
    reference = add_enquiry(app, "Shown")
    result = runner.invoke(args=["enquiries", "show", reference.lower()])
    assert result.exit_code == 0
    assert "shown@example.org" in result.output
    assert "A message from Shown, long enough to be valid." in result.output
    assert "%PDF" not in result.output


def test_show_an_unknown_reference_says_so(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["enquiries", "show", "RS-0000-0000"])
    assert result.exit_code == 1
    assert "No enquiry with reference 'RS-0000-0000'" in result.output


def test_export_is_csv_without_the_cv(app: Flask, runner: FlaskCliRunner) -> None:
    add_enquiry(app, "First")
    add_enquiry(app, "Second")
    result = runner.invoke(args=["enquiries", "export"])
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert [row["name"] for row in rows] == ["First", "Second"]
    assert rows[0]["cv_filename"] == "cv.pdf"
    assert rows[0]["cv_size"] == str(len(PDF_BYTES))
    assert "cv_data" not in rows[0]
    assert "%PDF" not in result.output


def test_resend_needs_a_reference_or_failed(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["enquiries", "resend"])
    assert result.exit_code == 2
    assert "Give either a REFERENCE or --failed" in result.output


def test_resend_failed_queues_every_failed_enquiry(app: Flask, runner: FlaskCliRunner) -> None:
    first = add_enquiry(app, "One", status="failed")
    second = add_enquiry(app, "Two", status="failed")
    add_enquiry(app, "Three", status="sent")
    result = runner.invoke(args=["enquiries", "resend", "--failed"])
    assert result.exit_code == 0
    assert f"{first}: queued" in result.output and f"{second}: queued" in result.output
    assert queued_tasks(app) == 2
    statuses = {enquiry.name: enquiry.status for enquiry in stored_enquiries(app)}
    assert statuses == {"One": "pending", "Two": "pending", "Three": "sent"}


def test_purge_deletes_what_is_older_than_the_retention_and_nothing_else(
    app: Flask, runner: FlaskCliRunner
) -> None:
    retention = app.config["ENQUIRY_RETENTION_DAYS"]
    add_enquiry(app, "Old", age_days=retention + 1)
    add_enquiry(app, "Recent", age_days=retention - 1)
    add_enquiry(app, "New")
    result = runner.invoke(args=["enquiries", "purge"])
    assert result.exit_code == 0
    assert "Deleted 1 enquiries." in result.output
    assert sorted(enquiry.name for enquiry in stored_enquiries(app)) == ["New", "Recent"]


def test_purge_takes_a_shorter_retention(app: Flask, runner: FlaskCliRunner) -> None:
    add_enquiry(app, "Week", age_days=7.5)
    add_enquiry(app, "Today")
    assert (
        "Deleted 1 enquiries." in runner.invoke(args=["enquiries", "purge", "--days", "7"]).output
    )
    with app.app_context():
        assert db.session.query(Enquiry).count() == 1
