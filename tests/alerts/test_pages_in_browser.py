"""The alerts' pages in Chromium, in both languages, with form tokens on and the real consumer:
subscribe, a mistake, the mailed link, its button, the page to change or unsubscribe; axe-core
finds nothing on any of them."""

from typing import Any

import pytest

from tests.alerts.subscribers import links_in
from tests.support.browser import axe_violations
from tests.support.languages import in_language
from tests.support.smtp import SmtpSink

WORDS = {
    "en": {
        "subscribe": "Subscribe",
        "confirm": "Yes, send me job alerts",
        "on": "Your job alerts are on",
        "unsubscribe": "Unsubscribe",
    },
    "de": {
        "subscribe": "Abonnieren",
        "confirm": "Ja, Stellenbenachrichtigungen senden",
        "on": "Ihre Stellenbenachrichtigungen sind eingeschaltet",
        "unsubscribe": "Abbestellen",
    },
}


def no_violations(page: Any, language: str) -> None:
    assert page.locator("html").get_attribute("lang") == language
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_subscribe_confirm_change_and_unsubscribe_in_a_browser(
    page: Any, site: str, smtp: SmtpSink, language: str
) -> None:
    words = WORDS[language]
    # From the list, whose post-doc section has no open position: its button leads here.
    page.goto(f"{site}{in_language(language, '/openpositions')}")
    no_violations(page, language)
    with page.expect_navigation():
        page.locator(f"a[href='{in_language(language, '/alerts?category=postdoc')}']").click()
    assert page.locator("#categories-1").is_checked()
    assert not page.locator("#categories-0").is_checked()
    no_violations(page, language)

    with page.expect_navigation():
        page.get_by_role("button", name=words["subscribe"], exact=True).click()
    assert page.locator(".error-summary").is_visible()
    no_violations(page, language)

    page.locator("#email").fill("ada@example.org")
    assert page.locator("#categories-1").is_checked()  # The form kept what was sent.
    page.locator("#consent").check()
    with page.expect_navigation():
        page.get_by_role("button", name=words["subscribe"], exact=True).click()
    assert page.url == f"{site}{in_language(language, '/alerts/requested')}"
    no_violations(page, language)

    (mail,) = smtp.wait_for(1)
    (confirm,) = links_in(mail)
    page.goto(f"{site}{confirm}")
    no_violations(page, language)
    with page.expect_navigation():
        page.get_by_role("button", name=words["confirm"]).click()
    assert words["on"] in page.locator("h1").inner_text()
    no_violations(page, language)

    key = confirm.rsplit("/", 1)[1]
    page.goto(f"{site}{in_language(language, f'/alerts/manage/{key}')}")
    no_violations(page, language)
    page.goto(f"{site}{in_language(language, f'/alerts/unsubscribe/{key}')}")
    no_violations(page, language)
    with page.expect_navigation():
        page.get_by_role("button", name=words["unsubscribe"], exact=True).click()
    no_violations(page, language)
    page.goto(f"{site}{in_language(language, f'/alerts/manage/{key}')}")
    no_violations(page, language)


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_header_leads_to_the_alerts_and_fits_a_small_phone(
    browser: Any, site: str, language: str
) -> None:
    name = {"en": "Job alerts", "de": "Stellenbenachrichtigungen"}[language]
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.goto(f"{site}{in_language(language, '/openpositions')}")
    menu = page.get_by_role("navigation", name={"en": "Main", "de": "Hauptnavigation"}[language])
    link = menu.get_by_role("link", name=name, exact=True)
    assert link.get_attribute("aria-current") is None
    with page.expect_navigation():
        link.click()
    assert page.url == f"{site}{in_language(language, '/alerts')}"
    assert link.get_attribute("aria-current") == "page"
    for path in ("/openpositions", "/alerts"):
        page.goto(f"{site}{in_language(language, path)}")
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} in {language} scrolls sideways at 320 px"
    context.close()
