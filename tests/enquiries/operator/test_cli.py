"""`flask enquiries ...` and the retention of stored enquiries."""

import codecs
import csv
import io
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskCliRunner

from openpositions.clock import utcnow
from openpositions.enquiries.intake.accept import IncomingDocument, record_enquiry
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.enquiries.operator.export import EXPORT_COLUMNS
from openpositions.enquiries.operator.listing import display_width, truncate
from openpositions.extensions import db
from tests.support.app import an_enquiry, make_app, queued_tasks, stored_enquiries
from tests.support.forms import PDF_BYTES
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.database


def add_enquiry(
    app: Flask,
    name: str,
    age_days: float = 0,
    status: str = "pending",
    cv_data: bytes | None = PDF_BYTES,
    email: str | None = None,
    **stored: Any,
) -> str:
    """Store an enquiry as the site would; `stored` sets further columns afterwards."""
    with app.app_context():
        enquiry = record_enquiry(
            an_enquiry(
                name=name,
                email=email or f"{name.lower()}@example.org",
                message=stored.pop("message", f"A message from {name}, long enough to be valid."),
                answers=stored.pop("answers", []),
            ),
            [IncomingDocument.of_bytes("cv", "CV", "cv.pdf", cv_data)]
            if cv_data is not None
            else [],
        )
        enquiry.created_at = utcnow() - timedelta(days=age_days)
        enquiry.status = status
        for column, value in stored.items():
            setattr(enquiry, column, value)
        db.session.commit()
        return enquiry.reference


def exported(runner: FlaskCliRunner, *options: str) -> list[dict[str, str]]:
    """The export's rows as a spreadsheet would see them, after checking the byte-order mark."""
    result = runner.invoke(args=["enquiries", "export", *options])
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes.startswith(codecs.BOM_UTF8)
    assert result.stdout_bytes.count(codecs.BOM_UTF8) == 1
    delimiter = options[options.index("--delimiter") + 1] if "--delimiter" in options else ","
    text = result.stdout_bytes.decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = list(reader)
    assert tuple(reader.fieldnames or ()) == EXPORT_COLUMNS
    return rows


# A stored time is naive UTC: 09:04:30.123456 UTC is 10:04 in Berlin in winter.
WINTER_MORNING = datetime(2026, 12, 1, 9, 4, 30, 123456)
SUMMER_MORNING = datetime(2026, 7, 1, 8, 0, 0)


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


def test_export_names_the_documents_and_the_answers_but_holds_no_file(
    app: Flask, runner: FlaskCliRunner
) -> None:
    start = {"key": "start", "label": "Earliest start", "type": "date", "value": "2027-04-01"}
    visa = {"key": "visa", "label": "Need a visa?", "type": "yes-no", "value": "no"}
    add_enquiry(app, "First", answers=[{**start, "shown": "2027-04-01"}, {**visa, "shown": "No"}])
    add_enquiry(app, "Second")
    result = runner.invoke(args=["enquiries", "export"])
    rows = exported(runner)
    assert [row["name"] for row in rows] == ["First", "Second"]
    assert rows[0]["documents"] == f"CV: cv.pdf ({len(PDF_BYTES):,} bytes)"
    assert rows[0]["answers"] == "Earliest start: 2027-04-01; Need a visa?: No"
    assert rows[1]["answers"] == ""
    assert "%PDF" not in result.output


@pytest.mark.parametrize("delimiter", [",", ";"])
def test_export_opens_in_spreadsheets_with_either_delimiter(
    app: Flask, runner: FlaskCliRunner, delimiter: str
) -> None:
    add_enquiry(
        app,
        "Jürgen Müller-Lüdenscheidt",
        message="Grüße aus Köln; ich möchte mich bewerben, gern auch für beide Stellen.",
        created_at=WINTER_MORNING,
        sent_at=SUMMER_MORNING,
    )
    (row,) = exported(runner, "--delimiter", delimiter)
    assert row["name"] == "Jürgen Müller-Lüdenscheidt"
    assert row["message"].startswith("Grüße aus Köln; ich möchte")
    # ISO 8601 with the offset, in the group's zone; whole seconds.
    assert row["created_at"] == "2026-12-01T10:04:30+01:00"
    assert row["sent_at"] == "2026-07-01T10:00:00+02:00"
    assert row["documents"] == f"CV: cv.pdf ({len(PDF_BYTES):,} bytes)"
    assert row["last_error"] == ""


def test_export_refuses_other_delimiters(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["enquiries", "export", "--delimiter", "\t"])
    assert result.exit_code == 2
    assert "Invalid value for '--delimiter'" in result.output


@pytest.mark.parametrize(
    "dangerous",
    [
        '=HYPERLINK("http://evil.example/cv","Open my CV")',
        "+49 30 314 00000",
        "-2+3+cmd",
        "@SUM(A1:A9)",
        "\t=1+2",
        "\r=1+2",
    ],
)
def test_export_neutralises_cells_a_spreadsheet_would_run(
    app: Flask, runner: FlaskCliRunner, dangerous: str
) -> None:
    message = dangerous + " and enough text to be a message."
    add_enquiry(app, dangerous, email="applicant@example.org", message=message)
    (row,) = exported(runner)
    # An apostrophe first makes the cell text; everything after it is the applicant's own.
    assert row["name"] == "'" + dangerous
    assert row["message"] == "'" + message
    assert row["email"] == "applicant@example.org"


def test_export_marks_the_pipes_of_a_neutralised_cell(app: Flask, runner: FlaskCliRunner) -> None:
    # defusedcsv's one change beyond the apostrophe: in a cell it neutralises, each | gets a
    # backslash, so that a DDE payload (=cmd|' /C calc'!A0) stays broken even when someone
    # deletes the apostrophe. Text that starts harmlessly keeps its pipes as they are.
    add_enquiry(app, "Pipes", message="- Python | C++ | Rust, and more to say about it.")
    add_enquiry(app, "Plain", message="Python | C++ | Rust, and more to say about it.")
    rows = exported(runner)
    assert rows[0]["message"] == "'- Python \\| C++ \\| Rust, and more to say about it."
    assert rows[1]["message"] == "Python | C++ | Rust, and more to say about it."


def test_export_writes_a_file(app: Flask, runner: FlaskCliRunner, tmp_path: Path) -> None:
    add_enquiry(app, "Jürgen Müller")
    to_stdout = runner.invoke(args=["enquiries", "export", "--delimiter", ";"]).stdout_bytes
    target = tmp_path / "enquiries.csv"
    result = runner.invoke(args=["enquiries", "export", "--delimiter", ";", "-o", str(target)])
    assert result.exit_code == 0
    assert f"Wrote 1 enquiries to {target}." in result.output
    assert target.read_bytes() == to_stdout
    assert target.read_bytes().startswith(codecs.BOM_UTF8 + b"reference;created_at;")


# Every byte value, so that any text decoding or newline translation on the way would show.
BIG_CV = PDF_BYTES + bytes(range(256)) * 600


def test_cv_writes_the_upload_byte_for_byte(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    reference = add_enquiry(app, "Cv", cv_data=BIG_CV)
    target = tmp_path / "out.pdf"
    result = runner.invoke(args=["enquiries", "document", reference, "-o", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == BIG_CV
    assert f"Wrote {target} ({len(BIG_CV):,} bytes, uploaded as cv.pdf)." in result.output


def test_document_writes_the_one_its_key_names(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    with app.app_context():
        enquiry = record_enquiry(
            an_enquiry(),
            [
                IncomingDocument.of_bytes("cv", "CV", "cv.pdf", PDF_BYTES),
                IncomingDocument.of_bytes("transcripts", "Transcripts", "t.pdf", BIG_CV),
            ],
        )
        reference = enquiry.reference
    target = tmp_path / "t.pdf"
    result = runner.invoke(
        args=["enquiries", "document", reference, "transcripts", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == BIG_CV
    unknown = runner.invoke(args=["enquiries", "document", reference, "letter", "-o", str(target)])
    assert unknown.exit_code == 1
    assert (
        f"Enquiry {reference} has no document 'letter'; it has: cv, transcripts." in unknown.output
    )


def test_cv_is_named_after_the_reference_by_default(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = add_enquiry(app, "Cv")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(args=["enquiries", "document", reference.lower()]).exit_code == 0
    assert (tmp_path / f"cv-{reference}.pdf").read_bytes() == PDF_BYTES


def test_cv_to_standard_output_is_the_file_alone(app: Flask, runner: FlaskCliRunner) -> None:
    reference = add_enquiry(app, "Cv", cv_data=BIG_CV)
    result = runner.invoke(args=["enquiries", "document", reference, "-o", "-"])
    assert result.exit_code == 0
    assert result.stdout_bytes == BIG_CV
    assert f"Wrote the document cv to standard output ({len(BIG_CV):,} bytes" in result.stderr


def test_cv_does_not_overwrite_a_file_unless_forced(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    reference = add_enquiry(app, "Cv")
    target = tmp_path / "cv.pdf"
    target.write_bytes(b"the operator's own file")
    refused = runner.invoke(args=["enquiries", "document", reference, "-o", str(target)])
    assert refused.exit_code == 1
    assert f"{target} exists; add --force to overwrite it." in refused.output
    assert target.read_bytes() == b"the operator's own file"
    forced = runner.invoke(args=["enquiries", "document", reference, "-o", str(target), "--force"])
    assert forced.exit_code == 0
    assert target.read_bytes() == PDF_BYTES


def test_cv_of_an_unknown_reference_or_without_a_cv_says_so(
    app: Flask, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    unknown = runner.invoke(
        args=["enquiries", "document", "RS-0000-0000", "-o", str(tmp_path / "a")]
    )
    assert unknown.exit_code == 1
    assert "No enquiry with reference 'RS-0000-0000'" in unknown.output
    reference = add_enquiry(app, "NoCv", cv_data=None)
    without = runner.invoke(args=["enquiries", "document", reference, "-o", str(tmp_path / "b")])
    assert without.exit_code == 1
    assert f"Enquiry {reference} has no document 'cv'; it came without documents." in without.output
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_list_says_when_nothing_matches(app: Flask, runner: FlaskCliRunner) -> None:
    assert runner.invoke(args=["enquiries", "list"]).output == "No enquiries yet.\n"
    add_enquiry(app, "Pending")
    only_failed = runner.invoke(args=["enquiries", "list", "--status", "failed"])
    assert only_failed.exit_code == 0
    assert only_failed.output == "No enquiries with status failed.\n"


def test_list_lines_up_its_columns_for_names_in_any_script(
    app: Flask, runner: FlaskCliRunner
) -> None:
    names = ["Ada Lovelace", "Jürgen Müller", "王小明", "Зоя Космодемьянская", "Ñ" * 100]
    for days, name in enumerate(names):
        add_enquiry(app, name, age_days=days, attempts=days * 5, position_slug="p" * (days + 3))
    header, *lines = runner.invoke(args=["enquiries", "list"]).output.splitlines()
    assert header.split() == [
        "reference",
        "received",
        "status",
        "attempts",
        "position",
        "applicant",
    ]
    starts = {word: header.index(word) for word in ("received", "status", "position", "applicant")}
    assert len(lines) == len(names)
    for line, name in zip(lines, names, strict=True):
        # Everything before the applicant is ASCII: string offsets are terminal columns.
        assert line[starts["received"] :].startswith("20")
        assert line[starts["status"] :].startswith("pending ")
        assert line[starts["position"] :].startswith("ppp")
        assert line[starts["applicant"] :].startswith(name[:10])
        # Attempts right-aligned under the end of their header.
        assert line[: starts["position"]].rstrip().endswith(" " + line.split()[5])
    # The long name ends in an ellipsis instead of running on.
    assert lines[-1].endswith("…")
    assert display_width(lines[-1]) <= 160


def test_truncating_counts_wide_characters_twice() -> None:
    assert truncate("王小明", 6) == "王小明"
    assert truncate("王小明王小明", 6) == "王小…"
    assert display_width(truncate("王" * 40, 11)) <= 11
    assert truncate("Müller", 10) == "Müller"


def test_list_shows_times_in_the_group_zone(app: Flask, runner: FlaskCliRunner) -> None:
    add_enquiry(app, "Winter", created_at=WINTER_MORNING)
    add_enquiry(app, "Summer", created_at=SUMMER_MORNING)
    output = runner.invoke(args=["enquiries", "list"]).output
    assert "2026-12-01 10:04 +0100" in output
    assert "2026-07-01 10:00 +0200" in output
    assert ":30" not in output and "123456" not in output
    app.config["TIMEZONE"] = "Asia/Tokyo"
    assert "2026-12-01 18:04 +0900" in runner.invoke(args=["enquiries", "list"]).output


def test_list_shows_the_last_error_only_until_the_enquiry_is_sent(
    app: Flask, runner: FlaskCliRunner
) -> None:
    add_enquiry(app, "Waiting", last_error="421 Service not available, try later")
    add_enquiry(app, "Refused", status="failed", last_error="550 No such user")
    add_enquiry(app, "Delivered", status="sent", last_error="421 An earlier attempt's error")
    output = runner.invoke(args=["enquiries", "list"]).output
    assert "last error: 421 Service not available, try later" in output
    assert "last error: 550 No such user" in output
    assert "earlier attempt" not in output


def test_show_gives_times_in_the_group_zone(app: Flask, runner: FlaskCliRunner) -> None:
    reference = add_enquiry(app, "Shown", created_at=WINTER_MORNING, sent_at=SUMMER_MORNING)
    output = runner.invoke(args=["enquiries", "show", reference]).output
    assert "created_at      2026-12-01 10:04 +0100\n" in output
    assert "sent_at         2026-07-01 10:00 +0200\n" in output
    assert "123456" not in output and "None" not in output


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
    add_enquiry(app, "Old", age_days=retention + 1, status="sent")
    add_enquiry(app, "Recent", age_days=retention - 1, status="sent")
    add_enquiry(app, "New", status="sent")
    result = runner.invoke(args=["enquiries", "purge"])
    assert result.exit_code == 0
    assert result.output == "Deleted 1 enquiries.\n"
    assert sorted(enquiry.name for enquiry in stored_enquiries(app)) == ["New", "Recent"]


def test_purge_keeps_enquiries_never_delivered_however_old(
    app: Flask, runner: FlaskCliRunner
) -> None:
    retention = app.config["ENQUIRY_RETENTION_DAYS"]
    add_enquiry(app, "Delivered", age_days=retention + 1, status="sent")
    add_enquiry(app, "Waiting", age_days=retention + 1, status="pending")
    add_enquiry(app, "Refused", age_days=retention + 1, status="failed")
    result = runner.invoke(args=["enquiries", "purge"])
    assert result.exit_code == 0
    assert result.output.splitlines() == [
        "Deleted 1 enquiries.",
        "Kept 2 older enquiries that were never delivered; see them with: "
        "flask enquiries list --status failed (or pending).",
    ]
    assert sorted(enquiry.name for enquiry in stored_enquiries(app)) == ["Refused", "Waiting"]


@pytest.mark.parametrize("days", ["0", "-1", "-3650", "a week"])
def test_purge_refuses_a_retention_that_would_delete_everything(
    app: Flask, runner: FlaskCliRunner, days: str
) -> None:
    add_enquiry(app, "Delivered", age_days=1, status="sent")
    add_enquiry(app, "Waiting", status="pending")
    result = runner.invoke(args=["enquiries", "purge", "--days", days])
    assert result.exit_code == 2
    assert "Invalid value for '--days'" in result.output
    assert "Traceback" not in result.output
    assert len(stored_enquiries(app)) == 2


@pytest.mark.parametrize("command", ["show", "document", "resend"])
@pytest.mark.parametrize(
    "reference", ["rs-\udcff", "RS-0000", "'; DROP TABLE enquiry; --", "", "RS-0000-000O"]
)
def test_a_malformed_reference_gets_one_line_and_exit_2(
    runner: FlaskCliRunner, command: str, reference: str
) -> None:
    result = runner.invoke(args=["enquiries", command, reference])
    assert result.exit_code == 2, result.output
    assert "is not a reference like RS-7KQ2-M9XD" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_reference_may_be_typed_in_lower_case_with_spaces(
    app: Flask, runner: FlaskCliRunner
) -> None:
    reference = add_enquiry(app, "Shown")
    result = runner.invoke(args=["enquiries", "show", f" {reference.lower()} "])
    assert result.exit_code == 0, result.output
    assert reference in result.output


def test_purge_takes_a_shorter_retention(app: Flask, runner: FlaskCliRunner) -> None:
    add_enquiry(app, "Week", age_days=7.5, status="sent")
    add_enquiry(app, "Today", status="sent")
    assert (
        "Deleted 1 enquiries." in runner.invoke(args=["enquiries", "purge", "--days", "7"]).output
    )
    with app.app_context():
        assert db.session.query(Enquiry).count() == 1


def test_purging_gives_the_cvs_space_back_to_the_disk(tmp_path: Path, smtp: SmtpSink) -> None:
    # SQLite only: PostgreSQL's autovacuum reuses the space by itself.
    database = tmp_path / "enquiries.sqlite3"
    app = make_app(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=f"sqlite:///{database}")
    runner = app.test_cli_runner()
    retention = app.config["ENQUIRY_RETENTION_DAYS"]
    for number in range(30):
        add_enquiry(
            app,
            f"Applicant{number}",
            age_days=retention + 1,
            status="sent",
            cv_data=pdf_of_size(300_000),
        )
    full = database.stat().st_size
    assert full > 9_000_000
    assert runner.invoke(args=["enquiries", "purge"]).output == "Deleted 30 enquiries.\n"
    assert database.stat().st_size < full // 10
    with app.app_context():
        left = db.session.scalar(sa.select(sa.func.count()).select_from(EnquiryDocument))
        assert left == 0, "every document went with its enquiry"


def test_list_shows_a_page_of_the_newest_and_says_how_many_more(
    app: Flask, runner: FlaskCliRunner
) -> None:
    for number in range(5):
        add_enquiry(app, f"Applicant{number}", age_days=5 - number)
    output = runner.invoke(args=["enquiries", "list", "--limit", "3"]).output
    header, *lines = output.splitlines()
    assert [line.split()[-2] for line in lines[:3]] == ["Applicant4", "Applicant3", "Applicant2"]
    assert lines[3:] == ["... and 2 older; see them with --limit, or all with export."]
    everything = runner.invoke(args=["enquiries", "list"]).output
    assert "older" not in everything and len(everything.splitlines()) == 6
