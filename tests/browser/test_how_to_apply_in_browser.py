"""Positions that ask for documents and questions and name their pay, in Chromium: axe finds
nothing, and the browser names each call to action apart, the hidden part of its name included."""

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.app import make_app
from tests.support.browser import axe_violations
from tests.support.content import SEED_SLUG, copy_content
from tests.support.languages import in_language
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink

EXAMPLE_SLUG = "example-position"
PAGES = ["/openpositions", f"/openpositions/{EXAMPLE_SLUG}", f"/openpositions/{SEED_SLUG}"]
# Each call to action on the list by language and topic: its visible words, and what only a
# screen reader reads. The browser may put a space before the hidden part: it is set apart.
CALLS_TO_ACTION = {
    "en": {
        EXAMPLE_SLUG: (
            "Apply for this position",
            ": PhD position in Class-Imbalanced Learning for Earth Observation",
        ),
        SEED_SLUG: (
            "Apply for this position",
            ": PhD candidates in Deep Learning for Satellite Image Analysis",
        ),
        "postdoc-fellowship": (
            "Please contact Prof. Begüm Demir for the details.",
            "(Post-doc with an external fellowship)",
        ),
    },
    "de": {
        EXAMPLE_SLUG: (
            "Auf diese Stelle bewerben",
            ": Promotionsstelle in Class-Imbalanced Learning für die Erdbeobachtung",
        ),
        SEED_SLUG: (
            "Auf diese Stelle bewerben",
            ": Promovierende in Deep Learning für die Satellitenbildanalyse",
        ),
        "postdoc-fellowship": (
            "Für Einzelheiten wenden Sie sich bitte an Prof. Begüm Demir.",
            "(Postdoc mit externem Stipendium)",
        ),
    },
}


@pytest.fixture
def site_app(tmp_path: Path, smtp: SmtpSink) -> Iterator[Flask]:
    """The seed and the example position of the docs, in English and German."""
    content = copy_content(tmp_path)
    for name in ("example-position.md", "example-position.de.md"):
        shutil.copy(PROJECT_DIR / "docs" / name, content / "positions" / name)
    yield make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("path", PAGES)
def test_axe_finds_no_violation(page: Any, site: str, language: str, path: str) -> None:
    page.goto(f"{site}{in_language(language, path)}")
    assert axe_violations(page) == []


@pytest.mark.parametrize("language", ["en", "de"])
def test_each_call_to_action_on_the_list_has_a_name_of_its_own(
    page: Any, site: str, language: str
) -> None:
    page.goto(f"{site}{in_language(language, '/openpositions')}")
    for topic, (shown, hidden) in CALLS_TO_ACTION[language].items():
        name = re.compile(rf"^{re.escape(shown)}\s*{re.escape(hidden)}$")
        link = page.get_by_role("link", name=name)
        assert link.count() == 1, name
        assert link.get_attribute("href") == in_language(language, f"/enquiry?position={topic}")


@pytest.mark.parametrize("language", ["en", "de"])
def test_what_to_send_fits_a_narrow_phone(browser: Any, site: str, language: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    page.goto(f"{site}{in_language(language, f'/openpositions/{EXAMPLE_SLUG}')}")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0, "no sideways scrolling"
