"""The professor's mail as a brief, and the applicant's receipt, as each reader sees them."""

import re
from collections.abc import Iterator
from datetime import date
from email.utils import getaddresses
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from openpositions.queue import queue_of
from tests.support.app import make_app, stored_enquiries
from tests.support.clock import berlin, set_clock
from tests.support.content import OFFICE_EMAIL, copy_content, write_position
from tests.support.forms import post_enquiry
from tests.support.pdfs import pdf_of_size
from tests.support.receipts import private_link
from tests.support.smtp import Received, SmtpSink, body_text

PROFESSOR = "professor@rsim.example.org"
SITE = "https://positions.rsim.example.org"
POSITION_TITLE = "PhD candidates in Deep Learning for Satellite Image Analysis"
POSITION_URL = f"{SITE}/openpositions/phd-deep-learning-satellite-images"


@pytest.fixture
def site_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    app = make_app(tmp_path, smtp.port, SITE_URL=SITE)
    queue = queue_of(app)
    queue.start_in_process(workers=2)
    yield app
    queue.stop_in_process()


@pytest.fixture
def site_client(site_app: Flask) -> FlaskClient:
    return site_app.test_client()


def mail_for(mails: list[Received], address: str) -> Received:
    (found,) = [mail for mail in mails if address in mail.rcpt_tos]
    return found


def text_of(mail: Received) -> str:
    return body_text(mail.message, "plain").replace("\r\n", "\n")


def html_of(mail: Received) -> str:
    return body_text(mail.message, "html").replace("\r\n", "\n")


def test_the_professor_reads_a_brief_before_the_message(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    cv = pdf_of_size(1_234_567)
    response = post_enquiry(
        site_client,
        name="Zoë Brontë-O'Connor",
        url="/de/enquiry",
        cv=(cv, "Lebenslauf Zoë.pdf", "application/pdf"),
    )
    assert response.status_code == 303
    mail = mail_for(smtp.wait_for(2), PROFESSOR)
    (enquiry,) = stored_enquiries(site_app)

    assert mail.shown("Subject") == f"Zoë Brontë-O'Connor – {POSITION_TITLE} ({enquiry.reference})"
    text = text_of(mail)
    brief, message = text.split("Message:\n", 1)
    assert brief.splitlines()[:4] == [
        "Name: Zoë Brontë-O'Connor",
        "Email: ada@example.org",
        f"Position: {POSITION_TITLE} (open)",
        POSITION_URL,
    ]
    assert "Language: German" in brief
    received = re.search(r"Received: (\d{4}-\d\d-\d\d \d\d:\d\d) ([+]0[12]00)\n", brief)
    assert received, brief
    assert "Documents:\n- CV: Lebenslauf_Zoë.pdf (1.2 MB), attached to this mail\n" in brief
    assert f"Reference: {enquiry.reference}" in brief
    assert "Earlier enquiries" not in brief
    assert enquiry.message in message

    html = html_of(mail)
    assert f'<a href="{POSITION_URL}">{POSITION_TITLE}</a>' in html
    assert html.index("Zoë Brontë-O&#39;Connor") < html.index(enquiry.message[:20])


def test_without_a_document_the_brief_says_none(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    assert post_enquiry(site_client).status_code == 303
    text = text_of(mail_for(smtp.wait_for(2), PROFESSOR))
    assert "\nDocuments: none were sent\n" in text
    assert "Language: English" in text


def test_a_second_enquiry_from_the_same_address_names_the_first(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    assert post_enquiry(site_client).status_code == 303
    smtp.wait_for(2)
    assert (
        post_enquiry(
            site_client,
            email="Ada@Example.org",
            position="general",
            message="A second question, about funding for a stay as a visiting student.",
        ).status_code
        == 303
    )
    mails = smtp.wait_for(4)
    first, second = stored_enquiries(site_app)
    latest = [mail for mail in mails if PROFESSOR in mail.rcpt_tos][-1]
    text = text_of(latest)
    assert "Earlier enquiries from this address:\n- " + first.reference in text
    assert POSITION_TITLE in text.split("Earlier enquiries from this address:")[1]
    assert "Position: General enquiry\n" in text, "no state or link for a general enquiry"


def test_the_receipt_says_what_arrived_and_echoes_nothing_the_applicant_typed(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    message = "Please visit http://spam.example for cheap offers, this is my message."
    response = post_enquiry(
        site_client,
        name="Visit spam.example now",
        message=message,
        cv=(pdf_of_size(870_000), "buy-cheap-pills.pdf", "application/pdf"),
    )
    assert response.status_code == 303
    receipt = mail_for(smtp.wait_for(2), "ada@example.org")
    (enquiry,) = stored_enquiries(site_app)
    text = text_of(receipt)
    assert text.startswith("Hello,\n\nThank you for your enquiry to the Remote Sensing Image")
    assert f"Reference: {enquiry.reference}" in text
    assert f"About: {POSITION_TITLE}" in text
    assert "Documents: CV (PDF, 870 kB)" in text
    assert "usually answers within two weeks" in text
    assert f"with the form on our site and quote your reference {enquiry.reference}." in text
    assert f"\nThe enquiry form:\n{SITE}/enquiry\n" in text
    raw = receipt.raw.decode("ascii")
    for typed in ("spam.example", "cheap", "buy-cheap-pills"):
        assert typed not in text and typed not in html_of(receipt) and typed not in raw


def test_the_receipt_reads_naturally_in_german(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    response = post_enquiry(site_client, url="/de/enquiry")
    assert response.status_code == 303
    (enquiry,) = stored_enquiries(site_app)
    receipt = mail_for(smtp.wait_for(2), "ada@example.org")
    text = text_of(receipt)
    assert text.startswith(
        "Guten Tag,\n\nvielen Dank für Ihre Anfrage an die Arbeitsgruppe Remote Sensing Image "
        "Analysis (RSiM) an der Technischen Universität Berlin. Sie ist bei uns eingegangen:\n"
    )
    assert "Dokumente: keine mitgeschickt" in text
    assert "innerhalb von zwei Wochen" in text
    assert f"geben Sie Ihre Vorgangsnummer {enquiry.reference} an." in text
    assert f"\n{SITE}/de/enquiry\n" in text, "the form in the applicant's language"
    assert f'href="{SITE}/de/enquiry"' in html_of(receipt)
    assert "an der Technischen Universität Berlin" in html_of(receipt)


def test_the_professors_mail_links_the_position_in_the_professors_language(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, SITE_URL=SITE, ENQUIRY_MAIL_LANGUAGE="de")
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        # Sent from the English form: the professor reads German all the same.
        assert post_enquiry(app.test_client()).status_code == 303
        mails = smtp.wait_for(2)
    finally:
        queue.stop_in_process()
    german_url = f"{SITE}/de/openpositions/phd-deep-learning-satellite-images"
    assert f"\n{german_url}\n" in text_of(mail_for(mails, PROFESSOR))
    assert f'<a href="{german_url}">' in html_of(mail_for(mails, PROFESSOR))
    assert f"\n{SITE}/enquiry\n" in text_of(mail_for(mails, "ada@example.org")), "English receipt"


def test_the_brief_says_a_position_is_closing_soon(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    write_position(
        content,
        "phd-change-detection",
        "Join us to detect changes in satellite image time series.",
        title="PhD position in Change Detection",
        category="phd",
        status="open",
        date_posted=date(2025, 11, 1),
        deadline=date(2026, 1, 15),
    )
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), SITE_URL=SITE)
    set_clock(app, berlin(2026, 1, 12, 9, 0))
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        response = post_enquiry(app.test_client(), position="phd-change-detection")
        assert response.status_code == 303
        mail = mail_for(smtp.wait_for(2), PROFESSOR)
    finally:
        queue.stop_in_process()
    text = text_of(mail)
    assert "Position: PhD position in Change Detection (open, closing in 3 days)\n" in text
    assert f"{SITE}/openpositions/phd-change-detection\n" in text


# U+202E shows "gpj.exe" as "exe.jpg"; U+2067 starts an isolate that is never closed.
DISGUISED = "Please open my portfolio: \u202egpj.exe and \u2067the rest.\n\nمرحبا، أنا أحمد."


def test_bidirectional_controls_cannot_disguise_the_message(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    assert post_enquiry(site_client, name="أحمد Ahmed", message=DISGUISED).status_code == 303
    mail = mail_for(smtp.wait_for(2), PROFESSOR)
    text = text_of(mail)
    assert "portfolio: [U+202E]gpj.exe and [U+2067]the rest." in text
    assert "\u202e" not in text and "\u2067" not in text
    assert "مرحبا، أنا أحمد." in text, "right-to-left text itself is untouched"
    html = html_of(mail)
    assert "<strong><bdi>أحمد Ahmed</bdi></strong>" in html
    paragraphs = re.findall(r"<p dir=\"auto\">(.*?)</p>", html, flags=re.S)
    assert paragraphs[:2] == [
        "Please open my portfolio: \u202egpj.exe and \u2067the rest.",
        "مرحبا، أنا أحمد.",
    ], "each paragraph isolated, so what it holds reorders nothing outside it"
    (stored,) = stored_enquiries(site_app)
    assert stored.message == DISGUISED, "stored as typed"
    shown = site_app.test_cli_runner().invoke(args=["enquiries", "show", stored.reference])
    assert "[U+202E]gpj.exe and [U+2067]the rest." in shown.output


# --- The receipt's links, and where replies to it go ----------------------------------------------

ADDRESS = re.compile(r"https?://\S+")


def assert_links_named_and_whole(receipt: Received) -> None:
    """Each address in the text part is a line of its own, named on the line before (a mail
    client links an address only whole); in HTML each link is named, no address shown."""
    lines = text_of(receipt).split("\n")
    linked = [(number, line) for number, line in enumerate(lines) if ADDRESS.search(line)]
    assert len(linked) == 2, "the form and the private page"
    for number, line in linked:
        assert ADDRESS.fullmatch(line), f"not a line of its own: {line!r}"
        assert lines[number - 1].endswith(":"), f"not named on the line before: {line!r}"
    html = html_of(receipt)
    labels = re.findall(r'<a href="https?://[^"]+">([^<]+)</a>', html)
    assert len(labels) == 2 and not any(ADDRESS.search(label) for label in labels)
    assert not ADDRESS.search(re.sub(r"<[^>]+>", " ", html)), "no address shown as text"


def test_the_receipts_links_are_named_and_each_address_is_a_line_of_its_own(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    assert post_enquiry(site_client).status_code == 303
    receipt = mail_for(smtp.wait_for(2), "ada@example.org")
    assert_links_named_and_whole(receipt)
    link = private_link(receipt)
    assert len(link) > 78, "longer than a line should be: it travels quoted-printable"
    assert f"\nYour private page:\n{link}\n" in text_of(receipt)
    assert max(len(line) for line in receipt.raw.split(b"\r\n")) <= 78


def test_without_a_group_office_the_receipt_says_replies_are_not_read_and_how_to_send_more(
    site_app: Flask, site_client: FlaskClient, smtp: SmtpSink
) -> None:
    assert post_enquiry(site_client).status_code == 303
    receipt = mail_for(smtp.wait_for(2), "ada@example.org")
    (enquiry,) = stored_enquiries(site_app)
    assert receipt.message["Reply-To"] is None
    assert (
        "Replies to this mail are not read. To tell us more about this enquiry, send a new one "
        f"with the form on our site and quote your reference {enquiry.reference}.\n\n"
        f"The enquiry form:\n{SITE}/enquiry\n"
    ) in text_of(receipt)


@pytest.fixture
def office_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    """The site with the group office's address filled in, as copy_content does."""
    content = copy_content(tmp_path)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), SITE_URL=SITE)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    yield app
    queue.stop_in_process()


@pytest.mark.parametrize(
    ("url", "office", "says"),
    [
        ("/enquiry", "RSiM group office", "reply to this mail. Your reply goes to"),
        ("/de/enquiry", "Sekretariat der Arbeitsgruppe RSiM", "antworten Sie auf diese E-Mail."),
    ],
)
def test_replies_to_the_receipt_go_to_the_group_office(
    office_app: Flask, smtp: SmtpSink, url: str, office: str, says: str
) -> None:
    assert post_enquiry(office_app.test_client(), url=url).status_code == 303
    mails = smtp.wait_for(2)
    receipt = mail_for(mails, "ada@example.org")
    assert getaddresses([receipt.shown("Reply-To")]) == [(office, OFFICE_EMAIL)]
    text = " ".join(text_of(receipt).split())
    assert says in text and f"{OFFICE_EMAIL} ({office})." in text
    assert f"{OFFICE_EMAIL} ({office})." in " ".join(html_of(receipt).split())
    assert "not read" not in text and "nicht gelesen" not in text
    professor = mail_for(mails, PROFESSOR)
    assert getaddresses([professor.shown("Reply-To")]) == [("Ada Lovelace", "ada@example.org")]
