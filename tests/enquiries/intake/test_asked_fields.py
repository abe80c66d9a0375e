"""The form asks what the chosen position asks: each document in a file field of its own, each
question in a field of its type, in both languages; without JavaScript, a button shows the
chosen position's fields; every file is checked, held across a re-shown form, removable and
replaceable; all files together stay within ENQUIRY_MAX_DOCUMENTS_SIZE."""

import re
from collections.abc import Iterator
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from openpositions.enquiries.asked import stored_answers
from openpositions.enquiries.intake.held_documents import HeldDocument
from openpositions.enquiries.models import Enquiry
from openpositions.extensions import db
from tests.enquiries.asking import (
    ASKING_SLUG,
    DOCUMENTS,
    QUESTIONS,
    asking_enquiry,
    content_asking,
    pdf_file,
)
from tests.support.app import make_app, stored_enquiries
from tests.support.forms import PDF_BYTES, VALID_ENQUIRY, post_enquiry
from tests.support.html import Page
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.database


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpSink, database: str) -> Iterator[Flask]:
    app = make_app(
        tmp_path,
        smtp.port,
        SQLALCHEMY_DATABASE_URI=database,
        CONTENT_DIR=str(content_asking(tmp_path)),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


def text_of(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def hidden_fields(response: TestResponse) -> dict[str, str]:
    """The hidden fields of the page's form, as a browser sends them back."""
    return {
        attributes["name"]: attributes.get("value", "")
        for attributes in Page(response.get_data(as_text=True)).all("input")
        if attributes.get("type") == "hidden"
    }


def send_again(client: FlaskClient, page: TestResponse, **changes: Any) -> TestResponse:
    """Send the form `page` shows with its hidden fields, the asking enquiry, and `changes`."""
    return post_enquiry(client, **{**hidden_fields(page), **asking_enquiry(**changes)})


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_form_asks_each_document_and_question_of_the_position_in_its_language(
    client: FlaskClient, language: str
) -> None:
    prefix = "" if language == "en" else "/de"
    answer = client.get(f"{prefix}/enquiry?position={ASKING_SLUG}")
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    text = Page(html).text
    index = 0 if language == "en" else 1
    required, optional = (
        ("required", "optional") if language == "en" else ("erforderlich", "optional")
    )
    for key, names in DOCUMENTS.items():
        marked = required if key == "cv" else optional
        assert re.search(
            rf'<label for="{key}">{re.escape(names[index])} \({marked}\)</label>', unescape(html)
        ), key
        assert re.search(rf'<input[^>]*id="{key}"[^>]*type="file"', html)
    assert ("Two pages at most." if language == "en" else "Höchstens zwei Seiten.") in text
    for key, names in QUESTIONS.items():
        assert names[index] in text, key
    assert re.search(r'<input[^>]*id="answer_start"[^>]*type="date"', html)
    assert re.search(r'<input[^>]*id="answer_affiliation"[^>]*type="text"', html)
    assert re.search(r'<input[^>]*id="answer_topic-0"[^>]*type="radio"[^>]*value="sar"', html)
    assert ("Radar images" if language == "en" else "Radarbilder") in text
    assert re.search(r'<input[^>]*id="answer_visa-1"[^>]*type="radio"[^>]*value="no"', html)
    assert ("All files together may be at most 25 MB." if language == "en" else "25 MB") in text
    # The form's own fields for the position chosen: what a send is checked against.
    assert hidden_fields(answer)["shown_for"] == ASKING_SLUG


def test_without_javascript_a_button_shows_the_chosen_positions_fields_keeping_everything(
    app: Flask, client: FlaskClient
) -> None:
    page = client.get("/enquiry")
    assert "answer_start" not in page.get_data(as_text=True), "no position chosen yet"
    # Not the form's default button: a field's Enter must still send the form.
    html = page.get_data(as_text=True)
    assert html.index('hidden tabindex="-1">Send enquiry') < html.index('name="show_fields"')
    assert re.search(r'<button type="submit" name="show_fields" value="y" formnovalidate', html)

    fields: dict[str, Any] = {
        **hidden_fields(page),
        "position": ASKING_SLUG,
        "show_fields": "y",
        "cv": pdf_file(PDF_BYTES, "my cv.pdf"),
        "message": "Typed before the position's fields were shown.",
    }
    shown = post_enquiry(client, **fields)
    assert shown.status_code == 303
    assert shown.headers["Location"] == f"/enquiry?position={ASKING_SLUG}"
    form = client.get(shown.headers["Location"])
    text = text_of(form)
    assert "There is a problem" not in text, "nothing is checked yet"
    assert "Typed before the position's fields were shown." in text
    assert 'value="Ada Lovelace"' in text
    assert "CV attached: my_cv.pdf" in text
    for names in QUESTIONS.values():
        assert names[0] in text
    sent = send_again(client, form, transcripts=pdf_file(pdf_of_size(2000), "t.pdf"))
    assert sent.status_code == 303, text_of(sent)
    (enquiry,) = stored_enquiries(app)
    assert [(d.key, d.filename) for d in enquiry.documents] == [
        ("cv", "my_cv.pdf"),
        ("transcripts", "t.pdf"),
    ]


def test_a_complete_application_is_stored_with_every_document_and_answer(
    app: Flask, client: FlaskClient
) -> None:
    files = {key: pdf_of_size(1000 + 100 * n) for n, key in enumerate(DOCUMENTS)}
    chosen: dict[str, Any] = {key: pdf_file(data, f"{key}.pdf") for key, data in files.items()}
    answer = post_enquiry(client, **asking_enquiry(), **chosen)
    assert answer.status_code == 303, text_of(answer)
    confirmation = text_of(client.get(answer.headers["Location"]))
    for key, names in DOCUMENTS.items():
        assert f"{names[0]}: {key}.pdf" in confirmation
    (enquiry,) = stored_enquiries(app)
    assert [(d.key, d.label, d.size) for d in enquiry.documents] == [
        (key, DOCUMENTS[key][0], len(files[key])) for key in DOCUMENTS
    ]
    with app.app_context():
        again = db.session.get(Enquiry, enquiry.id)
        assert again is not None
        stored = {d.key: d.data for d in again.documents}
    assert stored == files
    answers = {a.key: (a.label, a.value, a.shown) for a in stored_answers(enquiry.answers)}
    assert answers == {
        "start": ("Earliest start date", "2027-04-01", "2027-04-01"),
        "topic": ("Preferred topic", "sar", "Radar images"),
        "visa": ("Do you need a visa?", "no", "No"),
        "affiliation": ("Current university", "Universität Wien", "Universität Wien"),
    }


def test_in_german_the_answers_are_kept_as_the_applicant_read_them(
    app: Flask, client: FlaskClient
) -> None:
    answer = post_enquiry(
        client, url="/de/enquiry", **asking_enquiry(cv=pdf_file(PDF_BYTES, "lebenslauf.pdf"))
    )
    assert answer.status_code == 303, text_of(answer)
    (enquiry,) = stored_enquiries(app)
    assert [d.label for d in enquiry.documents] == ["Lebenslauf"]
    shown = {a.key: (a.label, a.shown) for a in stored_answers(enquiry.answers)}
    assert shown["topic"] == ("Bevorzugtes Thema", "Radarbilder")
    assert shown["visa"] == ("Brauchen Sie ein Visum?", "Nein")


def test_what_the_position_requires_is_asked_for_in_the_error_summary(
    app: Flask, client: FlaskClient
) -> None:
    answer = post_enquiry(client, **asking_enquiry(answer_start="", answer_topic="bogus"))
    assert answer.status_code == 422
    html = unescape(answer.get_data(as_text=True))
    assert '<a href="#cv">Choose a PDF for “CV”</a>' in html
    assert '<a href="#answer_start">Enter a date for “Earliest start date”</a>' in html
    # A group of radios is linked by its first option.
    assert (
        '<a href="#answer_topic-0">Choose one of the answers given to “Preferred topic”</a>' in html
    )
    start = html.index("There is a problem")
    summary = html[start : html.index("</ul>", start)]
    assert summary.index("#cv") < summary.index("#answer_start") < summary.index("#answer_topic")
    assert 'value="Universität Wien"' in html, "every answer is kept"
    assert stored_enquiries(app) == []


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.4.2027", "Enter the date for “Earliest start date” as year-month-day"),
        ("2027-02-30", "Enter the date for “Earliest start date” as year-month-day"),
    ],
)
def test_a_date_that_is_not_one_is_refused(client: FlaskClient, value: str, message: str) -> None:
    answer = post_enquiry(
        client, **asking_enquiry(answer_start=value, cv=pdf_file(PDF_BYTES, "cv.pdf"))
    )
    assert answer.status_code == 422
    assert message in text_of(answer)


def test_each_file_is_checked_and_held_across_a_mistake_and_can_be_removed_or_replaced(
    app: Flask, client: FlaskClient
) -> None:
    mistake = post_enquiry(
        client,
        **asking_enquiry(
            email="ada@",
            cv=pdf_file(PDF_BYTES, "cv.pdf"),
            transcripts=pdf_file(pdf_of_size(3000), "transcripts.pdf"),
            letter=pdf_file(b"MZ\x90\x00 not a pdf", "letter.pdf"),
        ),
    )
    assert mistake.status_code == 422
    text = text_of(mistake)
    assert "CV attached: cv.pdf" in text
    assert "Transcripts of records attached: transcripts.pdf" in text
    assert '<a href="#letter">The selected file must be a PDF</a>' in text
    assert "Letter of motivation attached" not in text
    fields = hidden_fields(mistake)
    assert fields["held_cv"] and fields["held_transcripts"] and not fields["held_letter"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldDocument)) == 2

    replaced = send_again(
        client,
        mistake,
        email="ada@",
        remove_transcripts="y",
        cv=pdf_file(pdf_of_size(4000), "new cv.pdf"),
    )
    text = text_of(replaced)
    assert "CV attached: new_cv.pdf" in text
    assert "Transcripts of records attached" not in text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldDocument)) == 1

    sent = send_again(client, replaced, letter=pdf_file(pdf_of_size(5000), "letter.pdf"))
    assert sent.status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert [(d.key, d.filename, d.size) for d in enquiry.documents] == [
        ("cv", "new_cv.pdf", 4000),
        ("letter", "letter.pdf", 5000),
    ]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldDocument)) == 0


def test_files_together_over_the_limit_are_refused_on_the_file_that_crosses_it(
    tmp_path: Path, smtp: SmtpSink, database: str
) -> None:
    app = make_app(
        tmp_path,
        smtp.port,
        SQLALCHEMY_DATABASE_URI=database,
        CONTENT_DIR=str(content_asking(tmp_path)),
        ENQUIRY_MAX_DOCUMENTS_SIZE=100_000,
    )
    client = app.test_client()
    assert "All files together may be at most 0.1 MB." in text_of(
        client.get(f"/enquiry?position={ASKING_SLUG}")
    )
    answer = post_enquiry(
        client,
        **asking_enquiry(
            cv=pdf_file(pdf_of_size(60_000), "cv.pdf"),
            transcripts=pdf_file(pdf_of_size(50_000), "transcripts.pdf"),
            letter=pdf_file(pdf_of_size(30_000), "letter.pdf"),
        ),
    )
    assert answer.status_code == 422
    text = text_of(answer)
    assert (
        '<a href="#transcripts">All files together may be at most 0.1 MB; with this one they are '
        "110 kB. Choose a smaller file</a>" in text
    )
    assert "CV attached: cv.pdf" in text and "Letter of motivation attached: letter.pdf" in text
    assert "Transcripts of records attached" not in text
    assert VALID_ENQUIRY["message"] in text
    assert stored_enquiries(app) == []
    with app.app_context():
        db.engine.dispose()


def test_a_form_sent_for_another_position_than_it_showed_comes_back_with_that_ones_fields(
    app: Flask, client: FlaskClient
) -> None:
    # The page showed the general enquiry's fields; the applicant chose the position and sent.
    answer = post_enquiry(
        client, position=ASKING_SLUG, shown_for="general", answer_start="2027-04-01",
        cv=pdf_file(PDF_BYTES, "cv.pdf"),
    )  # fmt: skip
    assert answer.status_code == 422
    text = text_of(answer)
    assert "The position you chose asks for other documents or questions than the form" in text
    assert "Transcripts of records (optional)" in text
    assert "CV attached: cv.pdf" in text
    assert hidden_fields(answer)["shown_for"] == ASKING_SLUG
    assert stored_enquiries(app) == []
    assert send_again(client, answer).status_code == 303
    assert len(stored_enquiries(app)) == 1


def test_the_language_switch_keeps_every_held_file_and_answer(
    app: Flask, client: FlaskClient
) -> None:
    query = f"?position={ASKING_SLUG}"
    page = client.get(f"/enquiry{query}")
    switched = post_enquiry(
        client,
        url=f"/de/enquiry{query}",
        switch_language="de",
        **{**hidden_fields(page), **asking_enquiry(answer_visa="yes")},
        cv=pdf_file(PDF_BYTES, "cv.pdf"),
        thesis=pdf_file(pdf_of_size(2500), "thesis.pdf"),
    )
    assert switched.status_code == 303
    german = client.get(f"/de/enquiry{query}")
    text = text_of(german)
    assert "Lebenslauf angehängt: cv.pdf" in text
    assert "Masterarbeit angehängt: thesis.pdf" in text
    assert 'value="Universität Wien"' in text and 'value="2027-04-01"' in text
    assert re.search(r'<input checked id="answer_visa-0"', text), "yes stays chosen"
    sent = post_enquiry(
        client, url=f"/de/enquiry{query}", **{**hidden_fields(german), **asking_enquiry()}
    )
    assert sent.status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert [d.key for d in enquiry.documents] == ["cv", "thesis"]
    assert enquiry.language == "de"


def test_a_general_enquiry_still_takes_one_optional_cv(app: Flask, client: FlaskClient) -> None:
    html = client.get("/enquiry?position=general").get_data(as_text=True)
    assert '<label for="cv">CV (optional)</label>' in html
    assert "answer_" not in html
    assert post_enquiry(client, position="general", shown_for="general").status_code == 303
    assert stored_enquiries(app)[0].documents == []


def test_answers_are_part_of_what_makes_an_enquiry_a_duplicate(
    app: Flask, client: FlaskClient
) -> None:
    cv = pdf_file(PDF_BYTES, "cv.pdf")
    assert post_enquiry(client, **asking_enquiry(cv=cv)).status_code == 303
    assert post_enquiry(client, **asking_enquiry(cv=cv)).status_code == 303
    assert len(stored_enquiries(app)) == 1, "the same twice is stored once"
    assert post_enquiry(client, **asking_enquiry(cv=cv, answer_visa="yes")).status_code == 303
    assert len(stored_enquiries(app)) == 2, "another answer is another enquiry"
    other = asking_enquiry(cv=cv, answer_visa="yes", letter=pdf_file(pdf_of_size(900), "l.pdf"))
    assert post_enquiry(client, **other).status_code == 303
    assert len(stored_enquiries(app)) == 3, "so is the same with a document more"
