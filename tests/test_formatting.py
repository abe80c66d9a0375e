"""Times and sizes read one way: the group's zone and the reader's language, everywhere."""

from datetime import datetime

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from flask_babel import force_locale

from openpositions.enquiries.delivery.mails import acknowledgement_mail, operator_alert_mail
from openpositions.enquiries.intake.accept import IncomingDocument, record_enquiry
from openpositions.extensions import db
from openpositions.formatting import format_moment, format_size, visible_controls
from tests.support.app import an_enquiry
from tests.support.pdfs import pdf_of_size

WINTER = datetime(2026, 12, 1, 9, 4)  # Stored times are naive UTC: 10:04 in Berlin.
SUMMER = datetime(2026, 7, 1, 9, 4)  # 11:04 in Berlin, on summer time.


@pytest.mark.parametrize(
    ("language", "stored", "shown"),
    [
        ("en", WINTER, "2026-12-01 10:04 +0100"),
        ("en", SUMMER, "2026-07-01 11:04 +0200"),
        ("de", WINTER, "2026-12-01 10:04 MEZ"),
        ("de", SUMMER, "2026-07-01 11:04 MESZ"),
    ],
)
def test_a_moment_is_shown_on_the_groups_clock_in_the_readers_language(
    app: Flask, language: str, stored: datetime, shown: str
) -> None:
    with app.app_context(), force_locale(language):
        assert format_moment(stored) == shown


@pytest.mark.parametrize(
    ("language", "size", "rounded_down", "shown"),
    [
        ("en", 6_540_000, False, "6.5 MB"),
        ("de", 6_540_000, False, "6,5 MB"),
        ("en", 870_400, False, "870 kB"),
        ("de", 12_345, False, "12 kB"),
        ("en", 80, False, "1 kB"),
        ("en", 9_990_000, True, "9.9 MB"),
        ("de", 9_990_000, True, "9,9 MB"),
        ("en", 9_990_000, False, "10 MB"),
        ("de", 1_234_567_890, False, "1.234,6 MB"),
    ],
)
def test_a_size_is_shown_as_people_say_it(
    app: Flask, language: str, size: int, rounded_down: bool, shown: str
) -> None:
    with app.app_context(), force_locale(language):
        assert format_size(size, rounded_down=rounded_down) == shown


def test_a_german_receipt_writes_the_cvs_size_as_the_german_form_did(app: Flask) -> None:
    with app.test_request_context("/de/enquiry"):
        enquiry = record_enquiry(
            an_enquiry(language="de"),
            [IncomingDocument.of_bytes("cv", "Lebenslauf", "cv.pdf", pdf_of_size(6_540_000))],
        )
        text = acknowledgement_mail(enquiry).get_body(("plain",))
        assert text is not None
        assert "6,5 MB" in text.get_content()
        assert "6.5 MB" not in text.get_content()


def test_the_operators_alert_and_the_cli_agree_on_the_time(
    app: Flask, runner: FlaskCliRunner
) -> None:
    with app.app_context():
        enquiry = record_enquiry(an_enquiry(created_at=WINTER))
        app.config["OPERATOR_EMAIL"] = "operator@rsim.example.org"
        alert = operator_alert_mail(enquiry, "overdue").get_body(("plain",))
        assert alert is not None
        reference = enquiry.reference
        db.session.remove()
    assert "2026-12-01 10:04 +0100" in alert.get_content()
    shown = runner.invoke(args=["enquiries", "show", reference])
    assert shown.exit_code == 0, shown.output
    assert "2026-12-01 10:04 +0100" in shown.output
    listed = runner.invoke(args=["enquiries", "list"])
    assert "2026-12-01 10:04 +0100" in listed.output


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("invoice\u202egpj.exe", "invoice[U+202E]gpj.exe"),
        ("\u2066a\u2069 \u202ab\u202c", "[U+2066]a[U+2069] [U+202A]b[U+202C]"),
        ("שלום\u200f, Ada", "שלום\u200f, Ada"),  # A right-to-left mark reorders nothing.
        ("plain text", "plain text"),
    ],
)
def test_bidirectional_controls_are_shown_in_plain_text(typed: str, shown: str) -> None:
    assert visible_controls(typed) == shown
