"""Chromium through the shipped nginx over TLS in front of gunicorn, as applicants meet the
site in production: the form and the private page's withdrawal are POSTs over HTTPS, where
Flask-WTF also checks that the browser's own Referer is this site's."""

from pathlib import Path
from typing import Any

from tests.support.browser import axe_violations, send_enquiry_with_cv
from tests.support.content import SEED_SLUG
from tests.support.edge import PROFESSOR, SITE_URL, edge_in_front_of_site
from tests.support.pdfs import pdf_of_size
from tests.support.receipts import private_link, receipt_to
from tests.support.smtp import SmtpSink, decoded_header


def test_an_applicant_sends_opens_and_withdraws_over_https(
    browser: Any, tmp_path: Path, smtp: SmtpSink
) -> None:
    with edge_in_front_of_site(tmp_path, smtp.port, SITE_URL=SITE_URL) as edge:
        # The test's own certificate, which this browser has no reason to trust.
        context = browser.new_context(ignore_https_errors=True, locale="en-GB")
        page = context.new_page()

        send_enquiry_with_cv(page, edge.nginx.base_url, tmp_path)
        assert "/enquiry/received/" in page.url
        assert page.get_by_role("heading", level=1).inner_text() == "Enquiry received"
        link = edge.address_of(private_link(receipt_to(smtp.wait_for(2), "ada@example.org")))

        private = page.goto(link)
        assert private is not None and private.status == 200
        assert private.headers["referrer-policy"] == "same-origin"
        with page.expect_navigation():
            page.get_by_role("link", name="Withdraw and delete").click()
        with page.expect_navigation():
            page.get_by_role("button", name="Yes, withdraw and delete").click()
        assert page.get_by_role("heading", level=1).inner_text() == (
            "This enquiry has been withdrawn and deleted"
        )
        notice = smtp.wait_for(3)[-1]
        assert notice.rcpt_tos == [PROFESSOR]
        assert "withdrawn by the applicant" in decoded_header(notice.message["Subject"])
        gone = page.goto(link)
        assert gone is not None and gone.status == 410
        context.close()


def test_a_file_too_large_for_nginx_shows_the_way_back_to_the_form(
    browser: Any, tmp_path: Path, smtp: SmtpSink
) -> None:
    big = pdf_of_size(35_000_000)  # Over the 33 MB nginx passes on.
    with edge_in_front_of_site(tmp_path, smtp.port) as edge:
        context = browser.new_context(ignore_https_errors=True, locale="de-DE")
        page = context.new_page()
        send_enquiry_with_cv(page, edge.nginx.base_url, tmp_path, "de", big, SEED_SLUG)
        # Over HTTP/2, as browsers speak to nginx, where nginx refuses an internal redirect.
        protocol = "performance.getEntriesByType('navigation')[0].nextHopProtocol"
        assert page.evaluate(protocol) == "h2"

        assert page.get_by_role("heading", level=1).inner_text() == "Die Datei ist zu groß"
        with page.expect_navigation():
            page.get_by_role("link", name="Zurück zum Anfrageformular").click()
        assert page.locator("#position").input_value() == SEED_SLUG
        assert page.locator("html").get_attribute("lang") == "de"
        context.close()


def test_while_the_site_is_down_its_page_is_readable_in_both_languages(
    browser: Any, tmp_path: Path, smtp: SmtpSink
) -> None:
    with edge_in_front_of_site(tmp_path, smtp.port) as edge:
        edge.web.terminate()
        context = browser.new_context(ignore_https_errors=True, locale="de-DE")
        page = context.new_page()
        answer = page.goto(f"{edge.nginx.base_url}/de/enquiry")
        assert answer is not None and answer.status == 503
        assert page.locator("section[lang=de] h2").inner_text() == "Gleich wieder da"
        assert axe_violations(page) == []
        context.close()
