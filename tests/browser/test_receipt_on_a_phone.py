"""The applicant's receipt as a phone shows it: 375 px wide, nothing scrolls sideways, in either
language, with the group office's address and without it."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from openpositions.queue import queue_of
from tests.support.app import make_app
from tests.support.content import copy_content
from tests.support.forms import PDF_BYTES, post_enquiry
from tests.support.receipts import private_link, receipt_to
from tests.support.smtp import SmtpSink, body_text

# A common phone's screen in CSS pixels.
PHONE = {"width": 375, "height": 812}
SITE = "https://positions.rsim.example.org"


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="en-GB")
    yield context.new_page()
    context.close()


def receipt_app(tmp_path: Path, smtp: SmtpSink, with_office: bool) -> Flask:
    content = {"CONTENT_DIR": str(copy_content(tmp_path))} if with_office else {}
    return make_app(tmp_path, smtp.port, SITE_URL=SITE, **content)


@pytest.mark.parametrize("with_office", [True, False], ids=["office", "no office"])
@pytest.mark.parametrize("url", ["/enquiry", "/de/enquiry"])
def test_the_receipt_fits_a_phone_and_its_links_open_from_their_names(
    phone: Any, tmp_path: Path, smtp: SmtpSink, url: str, with_office: bool
) -> None:
    app = receipt_app(tmp_path, smtp, with_office)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        cv = (PDF_BYTES, "Lebenslauf.pdf", "application/pdf")
        assert post_enquiry(app.test_client(), url=url, cv=cv).status_code == 303
        receipt = receipt_to(smtp.wait_for(2), "ada@example.org")
    finally:
        queue.stop_in_process()

    phone.set_content(body_text(receipt.message, "html"))
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the receipt is {width} px wide on a {PHONE['width']} px phone"
    link = phone.locator(f'a[href="{private_link(receipt)}"]')
    assert link.count() == 1 and link.inner_text().strip()
    assert "http" not in link.inner_text(), "named, not shown as its address"
