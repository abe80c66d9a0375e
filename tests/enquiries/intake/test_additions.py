"""Forgotten documents added from the private page, until the position's deadline: the checks of
the form, a receipt to the applicant, and a mail to the professor in the enquiry's thread
naming what was added; nothing after the deadline."""

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from openpositions.enquiries.models import EnquiryDocument
from openpositions.extensions import db
from tests.enquiries.asking import ASKING_TITLE, asking_enquiry, content_asking, pdf_file
from tests.support.app import make_app, stored_enquiries
from tests.support.clock import berlin, set_clock
from tests.support.forms import PDF_BYTES, multipart, post_enquiry
from tests.support.html import Page
from tests.support.pdfs import pdf_of_size
from tests.support.receipts import path_of, private_link, receipt_to
from tests.support.smtp import SmtpSink, body_text
from tests.support.waiting import wait_until

pytestmark = pytest.mark.database

SITE = "https://positions.example.org"
PROFESSOR = "professor@rsim.example.org"
APPLICANT = "ada@example.org"


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpSink, database: str) -> Iterator[Flask]:
    app = make_app(
        tmp_path,
        smtp.port,
        SQLALCHEMY_DATABASE_URI=database,
        CONTENT_DIR=str(content_asking(tmp_path)),
        SITE_URL=SITE,
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def apply_with_cv_only(client: FlaskClient, smtp: SmtpSink) -> str:
    """Send the asking position's form with its CV alone; the private page's path."""
    answer = post_enquiry(client, **asking_enquiry(cv=pdf_file(PDF_BYTES, "cv.pdf")))
    assert answer.status_code == 303
    mails = smtp.wait_for(2)
    return path_of(private_link(receipt_to(mails, APPLICANT)))


def documents_of(app: Flask) -> dict[str, EnquiryDocument]:
    (enquiry,) = stored_enquiries(app)
    return {document.key: document for document in enquiry.documents}


def test_a_forgotten_document_is_checked_added_and_sent_in_the_thread_with_a_receipt(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    private = apply_with_cv_only(client, smtp)
    wait_until(lambda: stored_enquiries(app)[0].status == "sent")
    (enquiry,) = stored_enquiries(app)
    page = Page(client.get(private).get_data(as_text=True))
    assert "The position also asks for: Transcripts of records, Letter of motivation, " in (
        page.text
    )
    assert f"{private}/documents" in page.hrefs()

    form = Page(client.get(f"{private}/documents").get_data(as_text=True))
    assert [a["name"] for a in form.all("input") if a.get("type") == "file"] == [
        "transcripts",
        "letter",
        "thesis",
    ]
    assert "You can add documents until the position’s deadline, January 31, 2099." in form.text

    transcripts = pdf_of_size(30_000)
    mixed = client.post(
        f"{private}/documents",
        **multipart(
            {
                "transcripts": pdf_file(transcripts, "Zeugnisse.pdf"),
                "letter": pdf_file(b"MZ\x90\x00 not a pdf", "letter.pdf"),
            }
        ),
    )
    assert mixed.status_code == 422, "the letter is refused, the transcripts kept"
    text = Page(mixed.get_data(as_text=True)).text
    assert "Added: Transcripts of records. The files below were not added:" in text
    assert "The selected file must be a PDF" in text
    assert [d for d in documents_of(app)] == ["cv", "transcripts"]

    letter = pdf_of_size(20_000)
    added = client.post(
        f"{private}/documents", **multipart({"letter": pdf_file(letter, "Motivation.pdf")})
    )
    assert added.status_code == 303
    shown = Page(client.get(added.headers["Location"]).get_data(as_text=True)).text
    assert "Your document was added." in shown

    # Two additions: two mails to the professor in the thread, two receipts, once each.
    mails = smtp.wait_for(6)
    wait_until(
        lambda: all(d.applicant_told_at for d in documents_of(app).values() if d.added_later)
    )
    to_professor = [mail for mail in mails if mail.rcpt_tos == [PROFESSOR]]
    first, *added_mails = to_professor
    assert len(added_mails) == 2
    subject = f"Ada Lovelace – {ASKING_TITLE} ({enquiry.reference}): documents added"
    for mail in added_mails:
        assert mail.shown("Subject") == subject
        assert mail.message["In-Reply-To"] == first.message["Message-ID"]
        assert mail.message["References"] == first.message["Message-ID"]
    names = [
        {
            part.get_filename(): part.get_payload(decode=True)
            for part in m.message.iter_attachments()
        }
        for m in added_mails
    ]
    assert names == [
        {"Transcripts of records – Ada Lovelace.pdf": transcripts},
        {"Letter of motivation – Ada Lovelace.pdf": letter},
    ]
    assert "Ada Lovelace added these documents to the enquiry" in body_text(
        added_mails[0].message, "plain"
    )
    receipts = [mail for mail in mails if mail.rcpt_tos == [APPLICANT]][1:]
    assert [r.shown("Subject") for r in receipts] == [
        f"Your documents were added to your enquiry {enquiry.reference}"
    ] * 2
    assert "Letter of motivation (PDF, 20 kB)" in body_text(receipts[1].message, "plain")
    assert "Motivation.pdf" not in receipts[1].raw.decode("ascii"), "never the file's own name"
    stored = documents_of(app)
    assert all(stored[key].added_later for key in ("transcripts", "letter"))
    assert not stored["cv"].added_later


def test_nothing_can_be_added_after_the_positions_deadline(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    private = apply_with_cv_only(client, smtp)
    set_clock(app, berlin(2099, 2, 1))
    page = client.get(private)
    assert "Add a document you forgot" not in Page(page.get_data(as_text=True)).text
    form = Page(client.get(f"{private}/documents").get_data(as_text=True))
    assert "Nothing more can be added to this enquiry" in form.text
    refused = client.post(
        f"{private}/documents", **multipart({"transcripts": pdf_file(pdf_of_size(2000), "t.pdf")})
    )
    assert refused.status_code == 200
    assert list(documents_of(app)) == ["cv"]


def test_the_add_page_is_private_and_a_made_up_link_finds_nothing(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    private = apply_with_cv_only(client, smtp)
    page = client.get(f"{private}/documents")
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert client.get("/enquiry/yours/not-a-token/documents").status_code == 404


def test_documents_added_are_withdrawn_with_the_enquiry(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    private = apply_with_cv_only(client, smtp)
    added = client.post(
        f"{private}/documents", **multipart({"thesis": pdf_file(pdf_of_size(2000), "t.pdf")})
    )
    assert added.status_code == 303
    assert client.post(f"{private}/withdraw").status_code == 303
    with app.app_context():
        left = db.session.scalar(sa.select(sa.func.count()).select_from(EnquiryDocument))
    assert left == 0
    assert client.get(f"{private}/documents").status_code == 410
