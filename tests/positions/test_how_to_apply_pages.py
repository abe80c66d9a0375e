"""The list and a position's page say how to apply, what to send and what it pays, in both
languages, and name each call to action apart."""

from collections import defaultdict
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import make_app
from tests.support.content import SEED_FILE, SEED_SLUG, copy_content, replace_in
from tests.support.html import Page
from tests.support.languages import in_language
from tests.support.smtp import SmtpSink

ASKING = "phd-asking"
ASKING_FILE = f"positions/{ASKING}.md"
# Applied for through the official posting; asks for two documents, four questions; pays a range.
ASKING_POSITION = """---
title: PhD in Active Learning
category: phd
status: open
date_posted: 2026-11-20
posting_url: https://stellenticket.de/12345/
reference: "12345"
apply:
  via: posting
  documents:
    - key: transcripts
      label: {en: Transcripts of records, de: Zeugnisse und Leistungsnachweise}
      required: true
      hint: {en: All of them in one PDF., de: Alle in einer PDF-Datei.}
    - key: paper
      label: {en: A paper you wrote, de: Eine eigene Veröffentlichung}
  questions:
    - key: start
      label: {en: Earliest start date, de: Frühester Beginn}
      type: date
      required: true
    - key: topic
      label: {en: Topic, de: Thema}
      type: choice
      choices:
        - {key: imbalance, label: {en: Class imbalance, de: Unausgewogene Klassen}}
        - {key: active, label: {en: Active learning, de: Active Learning}}
        - {key: other, label: {en: Something else, de: Etwas anderes}}
    - key: visa
      label: {en: Do you need a visa?, de: Brauchen Sie ein Visum?}
      type: yes-no
    - key: why
      label: {en: Why this position?, de: Warum diese Stelle?}
      type: text
      hint: {en: Two or three sentences., de: Zwei oder drei Sätze.}
pay:
  min: 4900
  max: 7100
---
Join us to work on active learning.
"""

# What each page says, by language: (the channel sentence, the call to action).
SEED_WORDING = {
    "en": (
        "Apply through this site's form; the official posting (reference 72624) describes the "
        "position.",
        "Apply for this position",
    ),
    "de": (
        "Bewerben Sie sich über das Formular dieser Website; die offizielle Ausschreibung "
        "(Kennziffer 72624) beschreibt die Stelle.",
        "Auf diese Stelle bewerben",
    ),
}
ASKING_WORDING = {
    "en": (
        "Applications go through the official job posting (reference 12345); use the form for "
        "questions.",
        "Ask about this position",
    ),
    "de": (
        "Bewerbungen laufen über die offizielle Stellenausschreibung (Kennziffer 12345); für "
        "Fragen nutzen Sie das Formular.",
        "Zu dieser Stelle anfragen",
    ),
}
# What the page lists of what to send, and the pay, by language.
ASKING_LISTED = {
    "en": [
        "The form takes these documents, one PDF file each:",
        "Transcripts of records (required): All of them in one PDF.",
        "A paper you wrote (optional)",
        "The form asks these questions:",
        "Earliest start date (required; a date)",
        "Topic (optional; one of Class imbalance, Active learning, or Something else)",
        "Do you need a visa? (optional; yes or no)",
        "Why this position? (optional; in your own words): Two or three sentences.",
    ],
    "de": [
        "Das Formular nimmt diese Dokumente entgegen, jedes als PDF-Datei:",
        "Zeugnisse und Leistungsnachweise (erforderlich): Alle in einer PDF-Datei.",
        "Eine eigene Veröffentlichung (optional)",
        "Das Formular stellt diese Fragen:",
        "Frühester Beginn (erforderlich; ein Datum)",
        "Thema (optional; Auswahl: Unausgewogene Klassen, Active Learning oder Etwas anderes)",
        "Brauchen Sie ein Visum? (optional; ja oder nein)",
        "Warum diese Stelle? (optional; in eigenen Worten): Zwei oder drei Sätze.",
    ],
}
PAY = {"en": "Pay €4,900–€7,100 a month", "de": "Gehalt 4.900–7.100 € im Monat"}
LANGUAGES = ["en", "de"]


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink) -> Flask:
    """The seed (through the form) and a position applied for through its posting."""
    content = copy_content(tmp_path)
    (content / ASKING_FILE).write_text(ASKING_POSITION, encoding="utf-8")
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))


@pytest.fixture
def site_client(site: Flask) -> FlaskClient:
    return site.test_client()


def get_page(client: FlaskClient, path: str, language: str) -> Page:
    response = client.get(in_language(language, path))
    assert response.status_code == 200
    return Page(response.text)


def link_names(page: Page, href: str) -> list[str]:
    """The accessible names of the links to `href`: their text, the visually hidden part too."""
    return [text for attributes, text in page.anchors if attributes.get("href") == href]


def form_address(language: str, slug: str) -> str:
    return in_language(language, f"/enquiry?position={slug}")


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("slug", "wording"),
    [
        pytest.param(SEED_SLUG, SEED_WORDING, id="form"),
        pytest.param(ASKING, ASKING_WORDING, id="posting"),
    ],
)
def test_a_positions_page_names_the_channel_that_counts(
    site_client: FlaskClient, language: str, slug: str, wording: dict[str, tuple[str, str]]
) -> None:
    sentence, call = wording[language]
    page = get_page(site_client, f"/openpositions/{slug}", language)
    assert sentence in page.text
    assert link_names(page, form_address(language, slug)) == [call]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_names_each_positions_channel(site_client: FlaskClient, language: str) -> None:
    page = get_page(site_client, "/openpositions", language)
    for slug, wording, title in [
        (SEED_SLUG, SEED_WORDING, page_title(site_client, SEED_SLUG, language)),
        (ASKING, ASKING_WORDING, page_title(site_client, ASKING, language)),
    ]:
        sentence, call = wording[language]
        assert sentence in page.text
        assert link_names(page, form_address(language, slug)) == [f"{call}: {title}"]


def page_title(client: FlaskClient, slug: str, language: str) -> str:
    return get_page(client, f"/openpositions/{slug}", language).headings[0][1]


def assert_each_name_leads_to_one_place(page: Page) -> None:
    destinations: dict[str, set[str]] = defaultdict(set)
    for attributes, name in page.anchors:
        destinations[name].add(attributes.get("href", ""))
    shared = {name: hrefs for name, hrefs in destinations.items() if len(hrefs) > 1}
    assert shared == {}, "links of one name that lead to different places"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "path", ["/openpositions", f"/openpositions/{SEED_SLUG}", f"/openpositions/{ASKING}"]
)
def test_every_call_to_action_has_a_name_of_its_own(
    site_client: FlaskClient, language: str, path: str
) -> None:
    assert_each_name_leads_to_one_place(get_page(site_client, path, language))


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_contact_links_of_sections_without_openings_are_named_apart(
    tmp_path: Path, smtp: SmtpSink, language: str
) -> None:
    """With nothing open, the PhD section's link to the form and the post-docs' link to it for a
    fellowship read the same sentence; each says where it leads to those who cannot see."""
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, "status: open", "status: closed")
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    page = get_page(client, "/openpositions", language)
    general = link_names(page, in_language(language, "/enquiry"))
    fellowship = link_names(page, form_address(language, "postdoc-fellowship"))
    assert len(fellowship) == 1 and fellowship[0] not in general
    assert_each_name_leads_to_one_place(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_positions_page_lists_what_to_send_and_the_pay(
    site_client: FlaskClient, language: str
) -> None:
    page = get_page(site_client, f"/openpositions/{ASKING}", language)
    for line in ASKING_LISTED[language]:
        assert line in page.text
    assert PAY[language] in page.text


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_list_shows_the_pay_where_a_position_names_it(
    site_client: FlaskClient, language: str
) -> None:
    page = get_page(site_client, "/openpositions", language)
    assert page.text.count(PAY[language]) == 1  # The seed names its grade, not a sum.


@pytest.mark.parametrize(
    ("language", "listed"),
    [
        (
            "en",
            "The form takes this document, as a PDF file: CV (optional): Your CV as a single PDF.",
        ),
        (
            "de",
            "Das Formular nimmt dieses Dokument als PDF-Datei entgegen: Lebenslauf (optional): "
            "Ihr Lebenslauf als eine PDF-Datei.",
        ),
    ],
)
def test_the_seeds_page_asks_for_one_cv_not_required(
    site_client: FlaskClient, language: str, listed: str
) -> None:
    page = get_page(site_client, f"/openpositions/{SEED_SLUG}", language)
    assert listed in page.text
    assert "Pay" not in page.text and "Gehalt" not in page.text


@pytest.mark.parametrize(
    ("language", "label"), [("en", "CV (optional)"), ("de", "Lebenslauf (optional)")]
)
def test_a_position_without_apply_asks_for_the_cv_in_the_pages_language(
    tmp_path: Path, smtp: SmtpSink, language: str, label: str
) -> None:
    content = copy_content(tmp_path)
    seed = content / SEED_FILE
    text = seed.read_text(encoding="utf-8")
    start, end = text.index("apply:\n"), text.index("# pay:")
    seed.write_text(text[:start] + text[end:], encoding="utf-8")
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    page = get_page(client, f"/openpositions/{SEED_SLUG}", language)
    assert label in page.text
    assert SEED_WORDING[language][0] in page.text
