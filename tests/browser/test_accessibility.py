"""axe-core finds nothing on any page in either language; screenshots for the README."""

from collections.abc import Callable
from typing import Any

import pytest

from tests.support.browser import axe_violations
from tests.support.languages import in_language
from tests.support.paths import PROJECT_DIR

SCREENSHOTS = PROJECT_DIR / "docs" / "screenshots"
LANGUAGES = {"en": "English", "de": "Deutsch"}


def open_enquiry_with_errors(page: Any, site: str, language: str) -> None:
    page.goto(f"{site}{in_language(language, '/enquiry')}")
    with page.expect_navigation():
        page.locator("button.button[type=submit]").click()


def send_enquiry(page: Any, site: str, language: str) -> None:
    page.goto(f"{site}{in_language(language, '/enquiry?position=general')}")
    page.locator("#name").fill("Ada Lovelace")
    page.locator("#email").fill("ada@example.org")
    page.locator("#message").fill("A question about the open positions, for the axe test.")
    page.locator("#consent").check()
    with page.expect_navigation():
        page.locator("button.button[type=submit]").click()


def visit(path: str) -> Callable[[Any, str, str], None]:
    """Open the page at `path` (its English address) in the language asked for."""
    return lambda page, site, language: page.goto(f"{site}{in_language(language, path)}")


PAGES: dict[str, Callable[[Any, str, str], None]] = {
    "positions": visit("/openpositions"),
    "position": visit("/openpositions/phd-deep-learning-satellite-images"),
    "enquiry": visit("/enquiry"),
    "enquiry-for-a-closed-position": visit("/enquiry?position=no-longer-open"),
    "enquiry-with-errors": open_enquiry_with_errors,
    "confirmation": send_enquiry,
    "privacy": visit("/privacy"),
    "legal-notice": visit("/legal-notice"),
    "not-found": visit("/no-such-page"),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation(page: Any, site: str, language: str, name: str) -> None:
    PAGES[name](page, site, language)
    assert page.locator("html").get_attribute("lang") == language
    assert axe_violations(page) == []


def test_the_switch_leads_to_the_same_page_in_the_other_language(page: Any, site: str) -> None:
    page.goto(f"{site}/legal-notice")
    with page.expect_navigation():
        page.get_by_role("link", name=LANGUAGES["de"]).click()
    assert page.url == f"{site}/de/impressum"
    assert page.locator("html").get_attribute("lang") == "de"
    # On the form the switch is the form's own button: what was typed goes along.
    page.goto(f"{site}/enquiry?position=general")
    with page.expect_navigation():
        page.get_by_role("button", name=LANGUAGES["de"]).click()
    assert page.url == f"{site}/de/enquiry?position=general"
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("#position").input_value() == "general"
    with page.expect_navigation():
        page.get_by_role("button", name=LANGUAGES["en"]).click()
    assert page.url == f"{site}/enquiry?position=general"
    assert page.locator("html").get_attribute("lang") == "en"


@pytest.mark.parametrize("width", [375, 1280])
@pytest.mark.parametrize(
    ("name", "path"), [("positions", "/openpositions"), ("enquiry", "/enquiry")]
)
def test_screenshots(browser: Any, site: str, width: int, name: str, path: str) -> None:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.goto(f"{site}{path}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "no sideways scrolling"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(target), full_page=True)
    context.close()
    assert target.stat().st_size > 5_000


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("name", PAGES)
def test_no_page_scrolls_sideways_at_320_pixels_or_at_200_percent_zoom(
    browser: Any, site: str, language: str, name: str
) -> None:
    # 200% zoom of a 1280 px window lays out as 640 CSS pixels. German compounds
    # ("Umsatzsteuer-Identifikationsnummer") are the longest words a page holds.
    for width in (320, 640):
        context = browser.new_context(viewport={"width": width, "height": 800})
        page = context.new_page()
        PAGES[name](page, site, language)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        context.close()
        assert overflow <= 0, f"{name} in {language} scrolls sideways at {width} px"


def test_focus_is_visible_on_links_fields_and_buttons(page: Any, site: str) -> None:
    page.goto(f"{site}/enquiry")
    for selector in ("a.skip-link", "#name", "button.button[type=submit]", "footer a"):
        element = page.locator(selector).first
        element.focus()
        outline = element.evaluate(
            "e => getComputedStyle(e).outlineStyle + getComputedStyle(e).outlineWidth"
        )
        assert not outline.startswith("none"), f"{selector} shows no focus outline"


def test_the_checkbox_and_the_file_field_show_the_same_focus_ring_as_the_text_fields(
    page: Any, site: str
) -> None:
    page.goto(f"{site}/enquiry")

    def ring(selector: str) -> str:
        element = page.locator(selector)
        element.focus()
        return str(
            element.evaluate(
                "e => { const s = getComputedStyle(e);"
                " return [s.outlineStyle, s.outlineWidth, s.outlineColor].join(' '); }"
            )
        )

    assert ring("#consent") == ring("#cv") == ring("#name")


def test_targets_are_at_least_24_pixels(page: Any, site: str) -> None:
    page.goto(f"{site}/enquiry")
    small = page.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea')]
            .filter(e => e.offsetParent !== null && !e.matches('.skip-link'))
            .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect()])
            .filter(([, r]) => r.width < 24 || r.height < 24)
            .map(([html]) => html)"""
    )
    assert small == []
