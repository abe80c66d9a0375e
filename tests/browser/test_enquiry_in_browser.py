"""An applicant's enquiry in a real browser: with the mouse, with the keyboard, with mistakes."""

from pathlib import Path
from typing import Any

from babel.support import Translations
from flask import Flask

from tests.support.app import stored_enquiries
from tests.support.forms import PDF_BYTES, REFERENCE
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink, body_text
from tests.support.waiting import wait_until


def test_an_applicant_sends_an_enquiry_with_a_cv(
    page: Any, site: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    cv = tmp_path / "Lebenslauf Ada.pdf"
    cv.write_bytes(PDF_BYTES)
    page.goto(f"{site}/openpositions")
    page.get_by_role("link", name="Apply for this position").first.click()
    assert page.locator("#position").input_value() == "phd-deep-learning-satellite-images"
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Your message").fill("I would like to know more about the two PhD topics.")
    page.get_by_label("CV (optional)").set_input_files(str(cv))
    page.get_by_label("I agree that my details are stored").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Send enquiry").click()

    assert page.locator("h1").inner_text() == "Enquiry received"
    reference = page.locator(".reference").inner_text()
    assert REFERENCE.fullmatch(reference)
    mails = smtp.wait_for(2)
    professor = next(m.message for m in mails if "professor@rsim.example.org" in m.rcpt_tos)
    assert reference in str(professor["Subject"])
    (attachment,) = list(professor.iter_attachments())
    assert attachment.get_payload(decode=True) == PDF_BYTES
    wait_until(lambda: stored_enquiries(site_app)[0].status == "sent")


def test_an_empty_form_shows_a_focused_summary_whose_links_lead_to_the_fields(
    page: Any, site: str, site_app: Flask
) -> None:
    page.goto(f"{site}/enquiry")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Your message").fill("Short")
    with page.expect_navigation():
        page.get_by_role("button", name="Send enquiry").click()

    assert page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    assert summary.get_by_role("heading").inner_text() == "There is a problem"
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    links = summary.get_by_role("link")
    targets = [link.get_attribute("href") for link in links.all()]
    assert targets == ["#email", "#position", "#message", "#consent"]
    for target in targets:
        summary.locator(f'a[href="{target}"]').click()
        assert page.evaluate("document.activeElement.id") == target[1:]
    assert page.get_by_label("Full name").input_value() == "Ada Lovelace"
    assert page.get_by_label("Your message").input_value() == "Short"
    assert stored_enquiries(site_app) == []


def test_the_whole_enquiry_can_be_sent_with_the_keyboard_alone(
    page: Any, site: str, smtp: SmtpSink
) -> None:
    page.goto(f"{site}/enquiry")

    def tab_to(element_id: str) -> None:
        for _ in range(40):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.id") == element_id:
                return
        raise AssertionError(f"#{element_id} cannot be reached with Tab")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    tab_to("name")
    page.keyboard.type("Grace Hopper")
    tab_to("email")
    page.keyboard.type("grace@example.org")
    tab_to("position")
    page.keyboard.type("General")
    tab_to("message")
    page.keyboard.type("A question about post-doc fellowships, typed without a mouse.")
    tab_to("consent")
    page.keyboard.press("Space")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    else:  # Enter below must press the send button, not whatever else has the focus.
        raise AssertionError("the send button cannot be reached with Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("h1").inner_text() == "Enquiry received"
    smtp.wait_for(2)


def test_the_german_flow_from_the_switch_to_the_receipt(
    page: Any, site: str, smtp: SmtpSink
) -> None:
    german = Translations.load(str(PROJECT_DIR / "translations"), ["de"])
    page.goto(f"{site}/openpositions")
    with page.expect_navigation():
        page.get_by_role("link", name="Deutsch").click()
    assert page.url == f"{site}/de/openpositions"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == german.gettext("Open positions")
    page.get_by_role("link", name=german.gettext("Send an enquiry")).first.click()
    page.wait_for_url(f"{site}/de/enquiry")
    page.get_by_label(german.gettext("Full name")).fill("Jürgen Müller")
    page.get_by_label(german.gettext("Email address")).fill("juergen@example.org")
    page.locator("#position").select_option("general")
    page.locator("#message").fill("Ich interessiere mich für eine Postdoc-Stelle in Ihrer Gruppe.")
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("button.button[type=submit]").click()

    assert page.locator("h1").inner_text() == german.gettext("Enquiry received")
    reference = page.locator(".reference").inner_text()
    mails = smtp.wait_for(2)
    receipt = next(m.message for m in mails if "juergen@example.org" in m.rcpt_tos)
    expected_subject = german.gettext("We received your enquiry %(reference)s") % {
        "reference": reference
    }
    assert str(receipt["Subject"]) == expected_subject
    receipt_text = body_text(receipt, "plain")
    assert german.gettext("If you did not send this enquiry, you can ignore this mail.") in (
        " ".join(receipt_text.split())
    )


def test_everything_works_with_javascript_off(browser: Any, site: str, smtp: SmtpSink) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{site}/openpositions")
        with page.expect_navigation():
            page.get_by_role("link", name="Deutsch").click()
        assert page.locator("html").get_attribute("lang") == "de"
        page.goto(f"{site}/language/en?next=/de/enquiry")  # The old switch, from a bookmark.
        assert page.url == f"{site}/enquiry"
        with page.expect_navigation():
            page.locator("button.button[type=submit]").click()
        assert page.locator(".error-summary").is_visible()
        page.locator("#name").fill("Katherine Johnson")
        page.locator("#email").fill("katherine@example.org")
        page.locator("#position").select_option("general")
        page.locator("#message").fill("Sent from a browser with JavaScript turned off.")
        page.locator("#consent").check()
        with page.expect_navigation():
            page.locator("button.button[type=submit]").click()
        assert page.locator("h1").inner_text() == "Enquiry received"
        smtp.wait_for(2)
    finally:
        context.close()
