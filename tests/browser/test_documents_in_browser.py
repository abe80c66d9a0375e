"""An application with several documents and a question of each type, in Chromium: with
JavaScript, and without it, where a button shows the chosen position's fields."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.support import Translations
from flask import Flask

from openpositions.enquiries.asked import stored_answers
from openpositions.queue import queue_of
from tests.enquiries.asking import ASKING_SLUG, ASKING_TITLE, content_asking
from tests.support.app import make_app, stored_enquiries
from tests.support.paths import PROJECT_DIR
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

PROFESSOR = "professor@rsim.example.org"


@pytest.fixture
def site_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    """The site as served (form tokens on, the queue running), with the position that asks for
    several documents and questions."""
    app = make_app(
        tmp_path,
        smtp.port,
        WTF_CSRF_ENABLED=True,
        TESTING=False,
        CONTENT_DIR=str(content_asking(tmp_path)),
    )
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    yield app
    queue.stop_in_process()


def files(tmp_path: Path) -> dict[str, Path]:
    """A PDF for each document, of sizes of their own."""
    made = {}
    for number, name in enumerate(("Lebenslauf Ada", "Zeugnisse", "Motivation", "Masterarbeit")):
        path = tmp_path / f"{name}.pdf"
        path.write_bytes(pdf_of_size(20_000 + 1000 * number))
        made[name] = path
    return made


def attachments_to_the_professor(smtp: SmtpSink, count: int) -> dict[str, bytes]:
    mails = smtp.wait_for(count)
    found: dict[str, bytes] = {}
    for mail in mails:
        if mail.rcpt_tos == [PROFESSOR]:
            for part in mail.message.iter_attachments():
                payload = part.get_payload(decode=True)
                assert isinstance(payload, bytes)
                found[str(part.get_filename())] = payload
    return found


def test_an_applicant_sends_every_document_and_answers_each_kind_of_question(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    pdfs = files(tmp_path)
    page.goto(f"{site}/enquiry?position={ASKING_SLUG}")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your message").fill("My application for the PhD position, with my files.")
    page.get_by_label("CV (required)").set_input_files(str(pdfs["Lebenslauf Ada"]))
    page.get_by_label("Transcripts of records (optional)").set_input_files(str(pdfs["Zeugnisse"]))
    page.get_by_label("Letter of motivation (optional)").set_input_files(str(pdfs["Motivation"]))
    page.get_by_label("Master's thesis (optional)").set_input_files(str(pdfs["Masterarbeit"]))
    page.get_by_label("Earliest start date (required)").fill("2027-04-01")
    page.get_by_role("group", name="Preferred topic (optional)").get_by_label(
        "Optical images"
    ).check()
    page.get_by_role("group", name="Do you need a visa? (optional)").get_by_label("Yes").check()
    page.get_by_label("Current university (optional)").fill("Università di Bologna")
    page.get_by_label("I agree that my details are stored").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send enquiry").click()

    assert page.locator("h1").inner_text() == "Enquiry received"
    for line in (
        "CV: Lebenslauf_Ada.pdf",
        "Transcripts of records: Zeugnisse.pdf",
        "Letter of motivation: Motivation.pdf",
        "Master's thesis: Masterarbeit.pdf",
    ):
        assert line in page.content()
    received = attachments_to_the_professor(smtp, 2)
    assert received == {
        "CV – Ada Lovelace.pdf": pdfs["Lebenslauf Ada"].read_bytes(),
        "Transcripts of records – Ada Lovelace.pdf": pdfs["Zeugnisse"].read_bytes(),
        "Letter of motivation – Ada Lovelace.pdf": pdfs["Motivation"].read_bytes(),
        "Master's thesis – Ada Lovelace.pdf": pdfs["Masterarbeit"].read_bytes(),
    }
    (enquiry,) = stored_enquiries(site_app)
    answers = {answer.key: answer.value for answer in stored_answers(enquiry.answers)}
    assert answers == {
        "start": "2027-04-01",
        "topic": "optical",
        "visa": "yes",
        "affiliation": "Università di Bologna",
    }
    wait_until(lambda: stored_enquiries(site_app)[0].status == "sent")


def test_without_javascript_continuing_shows_the_positions_fields_and_keeps_what_was_typed(
    browser: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    german = Translations.load(str(PROJECT_DIR / "translations"), ["de"])
    pdfs = files(tmp_path)
    context = browser.new_context(java_script_enabled=False, locale="de-DE")
    page = context.new_page()
    try:
        page.goto(f"{site}/de/enquiry")
        assert page.locator("#answer_start").count() == 0
        page.locator("#name").fill("Jürgen Müller")
        page.locator("#email").fill("juergen@example.org")
        page.locator("#message").fill("Meine Bewerbung, ohne JavaScript geschrieben.")
        page.locator("#position").select_option(ASKING_SLUG)
        page.locator("#cv").set_input_files(str(pdfs["Lebenslauf Ada"]))
        with page.expect_navigation():
            page.get_by_role(
                "button", name=german.gettext("Show this position’s questions")
            ).click()

        assert page.url == f"{site}/de/enquiry?position={ASKING_SLUG}"
        assert "Es gibt ein Problem" not in page.content(), "nothing is checked yet"
        assert page.locator("#name").input_value() == "Jürgen Müller"
        assert (
            page.locator("#message").input_value()
            == "Meine Bewerbung, ohne JavaScript geschrieben."
        )
        assert "Lebenslauf angehängt: Lebenslauf_Ada.pdf" in page.content()
        page.get_by_label("Zeugnisse und Leistungsnachweise (optional)").set_input_files(
            str(pdfs["Zeugnisse"])
        )
        page.get_by_label("Frühester Beginn (erforderlich)").fill("2027-10-01")
        page.locator("#answer_visa-1").check()
        page.locator("#consent").check()
        # Enter in a field sends the form; it does not show the fields again.
        with page.expect_navigation():
            page.locator("#answer_affiliation").press("Enter")

        assert page.locator("h1").inner_text() == german.gettext("Enquiry received")
        received = attachments_to_the_professor(smtp, 2)
        assert sorted(received) == [
            "CV – Jürgen Müller.pdf",
            "Transcripts of records – Jürgen Müller.pdf",
        ]
        (enquiry,) = stored_enquiries(site_app)
        assert enquiry.language == "de" and enquiry.position_title == ASKING_TITLE
        answers = {answer.key: answer.shown for answer in stored_answers(enquiry.answers)}
        assert answers["start"] == "2027-10-01" and answers["visa"] == "Nein"
    finally:
        context.close()
