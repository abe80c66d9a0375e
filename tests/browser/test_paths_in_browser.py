"""The paths people take through the form, in Chromium: the Back button, a quick fix, a CV
chosen before a mistake, a file too large. Nothing is lost, no confirmation is false."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from openpositions.enquiries.intake.spam import FIRST_SHOWN
from openpositions.queue import queue_of
from tests.support.app import make_app, stored_enquiries
from tests.support.forms import PDF_BYTES, REFERENCE
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

PROFESSOR = "professor@rsim.example.org"
MESSAGE = "I would like to know more about the two PhD topics and the start date."


@pytest.fixture
def site_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    """The site as served, with its time trap on: a form sent within 3 s of first seeing it
    comes back to be checked."""
    app = make_app(tmp_path, smtp.port, WTF_CSRF_ENABLED=True, TESTING=False, ENQUIRY_MIN_SECONDS=3)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    yield app
    queue.stop_in_process()


def seen_a_minute_ago(page: Any, site: str, app: Flask) -> None:
    """This visitor first saw the form a minute ago (it took them that long to write)."""
    interface = app.session_interface
    assert isinstance(interface, SecureCookieSessionInterface)
    serializer = interface.get_signing_serializer(app)
    assert serializer is not None
    cookie = serializer.dumps({FIRST_SHOWN: int(time.time()) - 60})
    page.context.add_cookies([{"name": "session", "value": cookie, "url": site}])


def fill_in(page: Any, email: str = "ada@example.org") -> None:
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill(email)
    page.locator("#position").select_option("phd-deep-learning-satellite-images")
    page.get_by_label("Your message").fill(MESSAGE)
    page.get_by_label("I agree that my details are stored").check()


def send(page: Any) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Send enquiry").click()


def test_back_then_send_with_the_forgotten_cv(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    seen_a_minute_ago(page, site, site_app)
    page.goto(f"{site}/enquiry")
    fill_in(page)
    send(page)
    assert page.locator("h1").inner_text() == "Enquiry received"
    assert "No files came with it." in page.content()

    page.go_back()
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF_BYTES)
    if page.get_by_label("Full name").input_value() != "Ada Lovelace":
        fill_in(page)  # The browser showed the form afresh.
    page.get_by_label("CV (optional)").set_input_files(str(cv))
    send(page)  # At once: the visitor first saw the form long ago.

    assert page.locator("h1").inner_text() == "Enquiry received"
    assert "CV: cv.pdf" in page.content()
    assert REFERENCE.fullmatch(page.locator(".reference").inner_text())
    mails = smtp.wait_for(4)
    with_cv = [m for m in mails if PROFESSOR in m.rcpt_tos and list(m.message.iter_attachments())]
    assert len(with_cv) == 1
    assert len(stored_enquiries(site_app)) == 2


def test_a_quick_send_comes_back_to_check_and_then_goes(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink
) -> None:
    page.goto(f"{site}/enquiry")
    fill_in(page)
    send(page)  # Within a second of seeing the form: too fast to be sure it is a person.
    assert "Please check your details, then send the form again." in page.content()
    assert page.get_by_label("Your message").input_value() == MESSAGE
    assert stored_enquiries(site_app) == []
    page.wait_for_timeout(3000)  # The visitor reads the notice: the time is the point here.
    send(page)
    assert page.locator("h1").inner_text() == "Enquiry received"
    assert len(stored_enquiries(site_app)) == 1


def test_fix_one_field_and_send_at_once_with_the_cv_chosen_before(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    seen_a_minute_ago(page, site, site_app)
    cv = tmp_path / "Lebenslauf Ada.pdf"
    cv.write_bytes(pdf_of_size(40_000))
    page.goto(f"{site}/enquiry")
    fill_in(page, email="ada@example")
    page.get_by_label("CV (optional)").set_input_files(str(cv))
    send(page)
    assert page.title().startswith("Error: ")
    assert "CV attached: Lebenslauf_Ada.pdf" in page.content()
    assert page.locator("#email").get_attribute("aria-invalid") == "true"
    page.get_by_label("Email address").fill("ada@example.org")
    send(page)
    assert page.locator("h1").inner_text() == "Enquiry received"
    mails = smtp.wait_for(2)
    professor = next(m for m in mails if PROFESSOR in m.rcpt_tos)
    (attachment,) = list(professor.message.iter_attachments())
    assert attachment.get_payload(decode=True) == cv.read_bytes()


def test_a_file_too_large_keeps_everything_else_and_a_smaller_one_goes(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    seen_a_minute_ago(page, site, site_app)
    big, small = tmp_path / "scan.pdf", tmp_path / "smaller.pdf"
    big.write_bytes(pdf_of_size(9_000_000))
    small.write_bytes(pdf_of_size(900_000))
    page.goto(f"{site}/enquiry")
    fill_in(page)
    page.get_by_label("CV (optional)").set_input_files(str(big))
    send(page)
    assert "The selected file must be at most 7.3 MB" in page.content()
    assert page.get_by_label("Your message").input_value() == MESSAGE
    assert page.get_by_label("Full name").input_value() == "Ada Lovelace"
    page.get_by_label("CV (optional)").set_input_files(str(small))
    page.get_by_label("I agree that my details are stored").check()
    send(page)
    assert page.locator("h1").inner_text() == "Enquiry received"
    wait_until(lambda: len(stored_enquiries(site_app)) == 1)


def test_a_language_switch_halfway_keeps_the_position_the_text_and_the_cv(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    seen_a_minute_ago(page, site, site_app)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF_BYTES)
    page.goto(f"{site}/enquiry?position=phd-deep-learning-satellite-images")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your message").fill(MESSAGE)
    page.get_by_label("CV (optional)").set_input_files(str(cv))
    with page.expect_navigation():
        page.get_by_role("button", name="Deutsch").click()

    assert page.url.startswith(f"{site}/de/enquiry")
    assert page.locator("html").get_attribute("lang") == "de"
    assert (
        "There is a problem" not in page.content() and "Es gibt ein Problem" not in page.content()
    )
    assert page.locator("#position").input_value() == "phd-deep-learning-satellite-images"
    assert page.locator("#message").input_value() == MESSAGE
    assert page.locator("#name").input_value() == "Ada Lovelace"
    assert "Lebenslauf angehängt: cv.pdf" in page.content()
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("form#enquiry-form button[type=submit]:not([name])").click()
    assert page.locator("h1").inner_text() == "Anfrage eingegangen"
    wait_until(lambda: len(stored_enquiries(site_app)) == 1)
    (enquiry,) = stored_enquiries(site_app)
    assert enquiry.language == "de"
    assert [document.size for document in enquiry.documents] == [len(PDF_BYTES)]


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("field", ["#name", "#email"])
def test_enter_in_a_field_sends_the_form_in_its_language(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, language: str, field: str
) -> None:
    # The header's language switch is a button of the form too; it must not be the one that
    # Enter presses.
    seen_a_minute_ago(page, site, site_app)
    prefix = "/de" if language == "de" else ""
    page.goto(f"{site}{prefix}/enquiry")
    page.locator("#name").fill("Ada Lovelace")
    page.locator("#email").fill("ada@example.org")
    page.locator("#position").select_option("phd-deep-learning-satellite-images")
    page.locator("#message").fill(MESSAGE)
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator(field).press("Enter")
    assert page.locator("html").get_attribute("lang") == language
    assert page.url.startswith(f"{site}{prefix}/enquiry/received/")
    assert REFERENCE.fullmatch(page.locator(".reference").inner_text())
    (enquiry,) = stored_enquiries(site_app)
    assert enquiry.language == language


def test_enter_in_a_half_filled_form_shows_its_mistakes_in_its_language(
    page: Any, site: str, site_app: Flask
) -> None:
    page.goto(f"{site}/de/enquiry")  # Seen just now: the mistakes come first all the same.
    page.locator("#name").fill("Ada Lovelace")
    with page.expect_navigation():
        page.locator("#name").press("Enter")
    assert page.locator("html").get_attribute("lang") == "de"
    assert "Geben Sie Ihre E-Mail-Adresse ein" in page.content()
    assert page.locator("#name").input_value() == "Ada Lovelace"
    assert stored_enquiries(site_app) == []


def test_back_after_a_language_switch_returns_to_the_form_without_asking_to_resend(
    page: Any, site: str, site_app: Flask, tmp_path: Path
) -> None:
    seen_a_minute_ago(page, site, site_app)
    cv = tmp_path / "cv.pdf"
    cv.write_bytes(PDF_BYTES)
    page.goto(f"{site}/enquiry?position=phd-deep-learning-satellite-images")
    page.locator("#name").fill("Ada Lovelace")
    page.locator("#message").fill(MESSAGE)
    page.locator("#cv").set_input_files(str(cv))
    with page.expect_navigation():
        page.get_by_role("button", name="Deutsch").click()
    switched = page.url
    assert switched == f"{site}/de/enquiry?position=phd-deep-learning-satellite-images"
    with page.expect_navigation():
        page.get_by_role("link", name="Offene Stellen").first.click()

    answer = page.go_back()  # A GET's page: the browser asks nothing and fetches it again.
    assert answer is not None and answer.request.method == "GET" and answer.status == 200
    assert page.url == switched
    assert page.locator("h1").inner_text() == "Anfrage senden"
    assert page.locator("#message").input_value() == MESSAGE
    assert "Lebenslauf angehängt: cv.pdf" in page.content()
    reloaded = page.reload()
    assert reloaded is not None and reloaded.request.method == "GET"
    assert page.locator("#name").input_value() == "Ada Lovelace"
