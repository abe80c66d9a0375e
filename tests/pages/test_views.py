"""The legal notice and the privacy notice: their facts from site.yaml, in both languages, linked
from every page, and the placeholders `flask positions check` warns about."""

import html
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from openpositions.content import ContentError, load_content
from tests.support.app import make_app
from tests.support.content import (
    CLOSED_SLUG,
    FILLED_IN,
    OFFICE_EMAIL,
    SEED_SLUG,
    add_closed_position,
    copy_content,
    fill_in_every_placeholder,
    replace_in,
)
from tests.support.html import Page
from tests.support.languages import german, in_language
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink

LEGAL_PAGES = ["/legal-notice", "/privacy"]


def get(client: FlaskClient, url: str, headers: dict[str, str] | None = None) -> Page:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return Page(response.text)


def get_in_german(client: FlaskClient, url: str) -> Page:
    """The German page at its own address (/de/impressum for /legal-notice)."""
    return get(client, german(url))


def footer(page_html: str) -> Page:
    return Page(page_html[page_html.index("<footer") :])


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink) -> Flask:
    """The site on a copy of the content with a closed position, enquiries kept 90 days."""
    content = copy_content(tmp_path)
    add_closed_position(content)
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), ENQUIRY_RETENTION_DAYS=90)


@pytest.fixture
def site_client(site: Flask) -> FlaskClient:
    return site.test_client()


# --- Both pages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "heading"), [("/legal-notice", "Legal notice"), ("/privacy", "Privacy notice")]
)
def test_each_legal_page_has_its_heading_canonical_and_description_in_english(
    client: FlaskClient, url: str, heading: str
) -> None:
    page = get(client, url)
    assert page.all("html")[0]["lang"] == "en"
    assert page.headings[0] == (1, heading)
    assert [link["href"] for link in page.links("canonical")] == [f"http://localhost{url}"]
    description = page.meta("name", "description")
    assert description and len(description) <= 200
    assert [level for level, _ in page.headings][1:] == [2] * (len(page.headings) - 1)


@pytest.mark.parametrize(
    ("url", "german_url", "heading"),
    [
        ("/legal-notice", "/de/impressum", "Impressum"),
        ("/privacy", "/de/privacy", "Datenschutzhinweis"),
    ],
)
def test_each_legal_page_is_in_german_at_its_german_address(
    client: FlaskClient, url: str, german_url: str, heading: str
) -> None:
    english = get(client, url)
    page = get(client, german_url)
    assert page.all("html")[0]["lang"] == "de"
    assert page.headings[0] == (1, heading)
    assert page.meta("name", "description") not in (None, english.meta("name", "description"))
    assert [link["href"] for link in page.links("canonical")] == [f"http://localhost{german_url}"]


# --- Linked from every page -----------------------------------------------------------------------

EVERY_KIND_OF_PAGE = [
    pytest.param("/openpositions", 200, id="list"),
    pytest.param(f"/openpositions/{SEED_SLUG}", 200, id="position"),
    pytest.param(f"/openpositions/{CLOSED_SLUG}", 410, id="closed"),
    pytest.param("/enquiry", 200, id="form"),
    pytest.param("/privacy", 200, id="privacy"),
    pytest.param("/legal-notice", 200, id="legal-notice"),
    pytest.param("/no-such-page", 404, id="not-found"),
]


@pytest.mark.parametrize(("url", "status"), EVERY_KIND_OF_PAGE)
@pytest.mark.parametrize(
    ("language", "legal_notice", "privacy"),
    [("en", "Legal notice", "Privacy notice"), ("de", "Impressum", "Datenschutzhinweis")],
)
def test_every_page_links_both_legal_pages_from_its_footer(
    site_client: FlaskClient,
    url: str,
    status: int,
    language: str,
    legal_notice: str,
    privacy: str,
) -> None:
    response = site_client.get(in_language(language, url))
    assert response.status_code == status
    links = footer(response.text).anchors
    assert ({"href": in_language(language, "/legal-notice")}, legal_notice) in links
    assert ({"href": in_language(language, "/privacy")}, privacy) in links


def test_a_refused_request_links_the_legal_pages_too(client: FlaskClient) -> None:
    response = client.delete("/openpositions")
    assert response.status_code == 405
    links = footer(response.text).anchors
    assert ({"href": "/legal-notice"}, "Legal notice") in links
    assert ({"href": "/privacy"}, "Privacy notice") in links


# --- The legal notice -----------------------------------------------------------------------------

LEGAL_NOTICE_FACTS = [
    "Technische Universität Berlin Straße des 17. Juni 135 10623 Berlin Germany",
    "Legal form A corporation under public law",
    "Represented by The President of the university",
    "VAT identification number (§ 27a UStG) DE 136 630 206",
    "+49 30 314-0",
    "Prof. Dr. Begüm Demir Head of the Remote Sensing Image Analysis group",
    "Einsteinufer 17 10587 Berlin Germany",
    "§ 5 DDG",
    "§ 18 (2) MStV",
]


def test_legal_notice_names_provider_representative_contact_and_who_answers_for_the_content(
    client: FlaskClient,
) -> None:
    page = get(client, "/legal-notice")
    for fact in LEGAL_NOTICE_FACTS:
        assert fact in page.text, fact
    assert "/enquiry?position=general" in page.hrefs(), "the enquiry form is the contact route"
    assert "https://www.tu.berlin/" in page.hrefs()
    assert "/privacy" in page.hrefs()


def test_legal_notice_in_german(client: FlaskClient) -> None:
    page = get_in_german(client, "/legal-notice")
    for fact in (
        "Rechtsform Rechtsfähige Körperschaft des öffentlichen Rechts",
        "Vertreten durch Die Präsidentin oder der Präsident der Universität",
        "Umsatzsteuer-Identifikationsnummer (§ 27a UStG) DE 136 630 206",
        "Leiterin der Arbeitsgruppe Remote Sensing Image Analysis",
        "Straße des 17. Juni 135 10623 Berlin Deutschland",
        "§ 18 Abs. 2 MStV",
        "Telefon (Zentrale der Universität) +49 30 314-0",
    ):
        assert fact in page.text, fact


@pytest.mark.parametrize("url", LEGAL_PAGES)
@pytest.mark.parametrize("language", ["en", "de"])
def test_placeholders_are_left_out_not_shown(client: FlaskClient, url: str, language: str) -> None:
    body = client.get(in_language(language, url)).text
    assert "TODO" not in body
    assert "Supervisory authority" not in body and "Zuständige Aufsichtsbehörde" not in body


def test_facts_once_entered_are_shown(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path, fill_placeholders=False)
    fill_in_every_placeholder(content)
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    notice = get(client, "/legal-notice")
    assert "Represented by Prof. Dr. Jane Doe, President" in notice.text
    assert "Supervisory authority Senate Department for Higher Education" in notice.text
    privacy = get(client, "/privacy")
    assert "https://www.example.org/dpo" in privacy.hrefs()
    assert "The access log is deleted after 14 days." in privacy.text
    german_notice = get_in_german(client, "/legal-notice")
    assert "Vertreten durch Prof. Dr. Jane Doe, Präsidentin" in german_notice.text
    german_privacy = get_in_german(client, "/privacy")
    assert "Das Zugriffsprotokoll wird nach 14 Tagen gelöscht." in german_privacy.text


def test_the_legal_notice_gives_the_group_offices_email_address_in_both_languages(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    # § 5 (1) No. 2 DDG: a way of quick electronic contact, which courts read as an address.
    content = copy_content(tmp_path)
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    for page, wording in (
        (get(client, "/legal-notice"), f"Email {OFFICE_EMAIL} (RSiM group office)"),
        (
            get_in_german(client, "/legal-notice"),
            f"E-Mail {OFFICE_EMAIL} (Sekretariat der Arbeitsgruppe RSiM)",
        ),
    ):
        assert wording in page.text
        assert f"mailto:{OFFICE_EMAIL}" in page.hrefs()
        assert not any("demir@" in href.lower() for href in page.hrefs()), "never the professor's"
        assert "demir@" not in page.text.lower()


def test_without_the_office_address_the_legal_notice_shows_no_email(client: FlaskClient) -> None:
    page = get(client, "/legal-notice")
    assert not [href for href in page.hrefs() if href.startswith("mailto:")]


# --- The privacy notice: every item of Article 13 GDPR --------------------------------------------

ARTICLE_13_ENGLISH = {
    "controller": "The controller of your details under the GDPR is the university: "
    "Technische Universität Berlin Straße des 17. Juni 135 10623 Berlin Germany",
    "data protection officer": "Data Protection Officer of Technische Universität Berlin "
    "Straße des 17. Juni 135 10623 Berlin",
    "consent": "(Article 6(1)(a) GDPR)",
    "steps before a contract": "at your request, as steps before a possible employment "
    "contract (Article 6(1)(b) GDPR)",
    "recipient: the professor": "Prof. Begüm Demir, Head of the Remote Sensing Image Analysis "
    "group, receives your enquiry by email",
    "recipient: the mail relay": "The university’s mail server carries that email",
    "no transfer outside the EU": "They are not transferred to any country outside the "
    "European Union.",
    "retention": "deleted from this site automatically 90 days after you sent it",
    "the professor's mailbox": "The copy in the mailbox of Prof. Begüm Demir is kept under the "
    "university’s rules",
    "access": "(Article 15 GDPR)",
    "rectification": "to have wrong details corrected (Article 16 GDPR)",
    "erasure": "to have your details deleted (Article 17 GDPR)",
    "restriction": "to have their use restricted (Article 18 GDPR)",
    "portability": "machine-readable format",
    "objection": "(Article 21 GDPR)",
    "withdrawing consent": "to withdraw your consent at any time",
    "complaint": "Berliner Beauftragte für Datenschutz und Informationsfreiheit Alt-Moabit 59–61 "
    "10555 Berlin",
    "whether it is required": "No law or contract requires you to. But without your name, your "
    "email address and your message we cannot answer your enquiry. Your CV is optional.",
    "no automated decisions": "We make no automated decisions about you",
}
ARTICLE_13_GERMAN = {
    "controller": "Verantwortlich für Ihre Angaben im Sinne der DSGVO ist die Universität: "
    "Technische Universität Berlin Straße des 17. Juni 135 10623 Berlin Deutschland",
    "data protection officer": "Behördlicher Datenschutzbeauftragter der Technischen "
    "Universität Berlin",
    "consent": "(Artikel 6 Abs. 1 Buchst. a DSGVO)",
    "steps before a contract": "(Artikel 6 Abs. 1 Buchst. b DSGVO)",
    "recipient: the professor": "Prof. Begüm Demir, Leiterin der Arbeitsgruppe Remote Sensing "
    "Image Analysis, erhält Ihre Anfrage per E-Mail",
    "recipient: the mail relay": "Der Mailserver der Universität",
    "no transfer outside the EU": "in kein Land außerhalb der Europäischen Union übermittelt",
    "retention": "90 Tage nach dem Absenden automatisch von dieser Website gelöscht",
    "the professor's mailbox": "Für die Kopie im Postfach von Prof. Begüm Demir gelten",
    "access": "(Artikel 15 DSGVO)",
    "rectification": "(Artikel 16 DSGVO)",
    "erasure": "(Artikel 17 DSGVO)",
    "restriction": "(Artikel 18 DSGVO)",
    "portability": "(Artikel 20 DSGVO)",
    "objection": "(Artikel 21 DSGVO)",
    "withdrawing consent": "Ihre Einwilligung jederzeit zu widerrufen",
    "complaint": "Berliner Beauftragte für Datenschutz und Informationsfreiheit Alt-Moabit 59–61 "
    "10555 Berlin Deutschland",
    "whether it is required": "Dazu verpflichtet Sie weder ein Gesetz noch ein Vertrag.",
    "no automated decisions": "keine automatisierten Entscheidungen",
}


@pytest.mark.parametrize("item", ARTICLE_13_ENGLISH)
def test_privacy_notice_gives_each_item_of_article_13(site_client: FlaskClient, item: str) -> None:
    page = get(site_client, "/privacy")
    assert ARTICLE_13_ENGLISH[item] in page.text


@pytest.mark.parametrize("item", ARTICLE_13_GERMAN)
def test_privacy_notice_gives_each_item_of_article_13_in_german(
    site_client: FlaskClient, item: str
) -> None:
    page = get_in_german(site_client, "/privacy")
    assert ARTICLE_13_GERMAN[item] in page.text


def test_privacy_notice_follows_the_configured_retention(client: FlaskClient) -> None:
    page = get(client, "/privacy")
    assert "automatically 180 days after you sent it" in page.text, "the default"
    assert "90 days" not in page.text


def test_privacy_notice_links_the_authority_and_the_way_to_use_ones_rights(
    client: FlaskClient,
) -> None:
    page = get(client, "/privacy")
    assert "https://www.datenschutz-berlin.de/" in page.hrefs()
    assert "/enquiry?position=general" in page.hrefs()
    assert "/legal-notice" in page.hrefs()
    headings = [text for level, text in page.headings if level == 2]
    for heading in ("Your rights", "Your right to complain", "How long we keep your details"):
        assert heading in headings


ACCESS_LOG_TODO = next(todo for todo in FILLED_IN if "access logs" in todo)


@pytest.mark.parametrize(
    ("written", "read"), [("a week", "'a week'"), ("-3", "-3"), ("2.5", "2.5")]
)
def test_access_log_retention_must_be_a_number_of_days(
    tmp_path: Path, written: str, read: str
) -> None:
    content = copy_content(tmp_path, fill_placeholders=False)
    replace_in(content, "site.yaml", f">-\n    {ACCESS_LOG_TODO}", written)
    with pytest.raises(ContentError) as caught:
        load_content(content)
    assert str(caught.value).endswith(
        f"site.yaml: privacy.access_log_days: {read} is not a whole number of days"
    )


@pytest.mark.parametrize(("written", "shown"), [("1", "1 day"), ('"30"', "30 days")])
def test_access_log_retention_may_be_a_number_or_digits(
    tmp_path: Path, smtp: SmtpSink, written: str, shown: str
) -> None:
    content = copy_content(tmp_path, fill_placeholders=False)
    fill_in_every_placeholder(content)
    replace_in(content, "site.yaml", ">-\n    14", written)
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    assert f"The access log is deleted after {shown}." in get(client, "/privacy").text


def test_legal_notice_section_is_required(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    replace_in(content, "site.yaml", "\nlegal_notice:", "\nlegal_notice_draft:")
    with pytest.raises(ContentError) as caught:
        load_content(content)
    assert str(caught.value).endswith("site.yaml: legal_notice: is missing; add it")


# --- Placeholders ---------------------------------------------------------------------------------


def test_check_warns_about_each_placeholder_and_passes(runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["positions", "check"])
    assert result.exit_code == 0, result.output
    assert "Content is valid: 1 positions, 1 open; 5 warnings to look at." in result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: ")]
    assert warnings == [
        "warning: config/site.yaml: office.email: is a placeholder; enter the group office's "
        "shared email address, never the professor's own",
        "warning: config/site.yaml: legal_notice.president: is a placeholder; enter the "
        "President's name and title, as on TU Berlin's own legal notice",
        "warning: config/site.yaml: legal_notice.supervisory_authority: is a placeholder; enter "
        "the Senate department of Berlin responsible for higher education, by its current name, "
        "as on TU Berlin's own legal notice",
        "warning: config/site.yaml: privacy.data_protection_officer.url: is a placeholder; enter "
        "the web page of TU Berlin's data protection officer (https://...)",
        "warning: config/site.yaml: privacy.access_log_days: is a placeholder; enter how many "
        "days the web server's access logs are kept, as its log rotation is set",
    ]


def test_a_placeholder_in_one_language_is_warned_about_and_left_out_in_all(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    replace_in(
        content,
        "site.yaml",
        "de: Rechtsfähige Körperschaft des öffentlichen Rechts",
        "de: TODO",
    )
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    result = app.test_cli_runner().invoke(args=["positions", "check"])
    assert result.exit_code == 0
    assert "legal_notice.legal_form: is a placeholder; enter the real value" in result.output
    client = app.test_client()
    notice = get(client, "/legal-notice").text
    assert "corporation under public law" not in notice and "Legal form" not in notice
    assert "TODO" not in client.get("/de/impressum").text


def test_no_warning_once_every_fact_is_entered(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path, fill_placeholders=False)
    fill_in_every_placeholder(content)
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    result = app.test_cli_runner().invoke(args=["positions", "check"])
    assert result.exit_code == 0, result.output
    assert "warning:" not in result.output


# --- The professor's address ----------------------------------------------------------------------


@pytest.mark.parametrize(("url", "status"), EVERY_KIND_OF_PAGE)
@pytest.mark.parametrize("language", ["en", "de"])
def test_the_professors_address_is_on_no_page(
    site: Flask, url: str, status: int, language: str
) -> None:
    response = site.test_client().get(in_language(language, url))
    assert response.status_code == status
    body = html.unescape(response.text).lower()
    shipped_address = load_content(PROJECT_DIR / "config").site.contact.email.lower()
    for address in (shipped_address, site.config["ENQUIRY_RECIPIENT"].lower()):
        assert address not in body, (url, language)
    # The one address a page may give is the group office's shared mailbox.
    mail_links = {href for href in Page(response.text).hrefs() if href.startswith("mailto:")}
    assert mail_links <= {f"mailto:{OFFICE_EMAIL}"}
