"""The applicant's private page in a real browser, opened from a real receipt: axe finds
nothing in either language, the JSON downloads, and withdrawing works without JavaScript."""

import json
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.app import stored_enquiries
from tests.support.browser import axe_violations, send_enquiry_with_cv
from tests.support.forms import PDF_BYTES
from tests.support.receipts import private_link, receipt_to
from tests.support.smtp import SmtpSink
from tests.support.waiting import wait_until

LABELS = {
    "en": {"withdraw": "Withdraw and delete", "confirm": "Yes, withdraw and delete"},
    "de": {"withdraw": "Zurückziehen und löschen", "confirm": "Ja, zurückziehen und löschen"},
}


def assert_no_axe_violations(page: Any) -> None:
    assert axe_violations(page) == []


def link_from_receipt(site_app: Flask, smtp: SmtpSink) -> str:
    mails = smtp.wait_for(2)
    return private_link(receipt_to(mails, "ada@example.org"))


@pytest.fixture
def site_with_links(site_app: Flask, site: str) -> str:
    """The served site, told its own address so that receipts carry the private link."""
    site_app.config["SITE_URL"] = site
    return site


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_private_page_passes_axe_from_receipt_to_withdrawal(
    page: Any,
    site_with_links: str,
    site_app: Flask,
    smtp: SmtpSink,
    tmp_path: Path,
    language: str,
) -> None:
    site = site_with_links
    send_enquiry_with_cv(page, site, tmp_path, language)
    link = link_from_receipt(site_app, smtp)

    # Whatever the browser prefers, the page speaks the language the enquiry was sent in.
    page.context.clear_cookies()
    response = page.goto(link)
    assert response.status == 200
    assert response.headers["referrer-policy"] == "same-origin"
    assert page.locator("html").get_attribute("lang") == language
    assert "Ada Lovelace" in page.locator("main").inner_text()
    assert_no_axe_violations(page)

    with page.expect_download() as download:
        page.locator("a[href$='/enquiry.json']").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert data["name"] == "Ada Lovelace"
    assert data["language"] == language

    with page.expect_navigation():
        page.get_by_role("link", name=LABELS[language]["withdraw"]).click()
    assert page.locator("html").get_attribute("lang") == language
    assert_no_axe_violations(page)
    with page.expect_navigation():
        page.get_by_role("button", name=LABELS[language]["confirm"]).click()
    assert page.locator("html").get_attribute("lang") == language
    assert_no_axe_violations(page)

    gone = page.goto(link)
    assert gone.status == 410
    assert_no_axe_violations(page)
    smtp.wait_for(3)  # The professor's notice of the withdrawal.


def test_seeing_downloading_and_withdrawing_work_without_javascript(
    browser: Any, site_with_links: str, site_app: Flask, smtp: SmtpSink, tmp_path: Path
) -> None:
    site = site_with_links
    context = browser.new_context(java_script_enabled=False, locale="en-GB")
    page = context.new_page()
    send_enquiry_with_cv(page, site, tmp_path)
    link = link_from_receipt(site_app, smtp)
    page.goto(link)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CV").click()
    assert Path(download.value.path()).read_bytes() == PDF_BYTES
    with page.expect_download() as download:
        page.get_by_role("link", name="Download your data (JSON)").click()
    assert download.value.suggested_filename.startswith("enquiry-RS-")

    with page.expect_navigation():
        page.get_by_role("link", name="Withdraw and delete").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Are you sure?"
    with page.expect_navigation():
        page.get_by_role("button", name="Yes, withdraw and delete").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "This enquiry has been withdrawn and deleted"
    )
    wait_until(lambda: stored_enquiries(site_app) == [])
    assert page.goto(link).status == 410
    context.close()
