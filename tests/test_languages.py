"""German and English: choosing the language, the pages, the position texts and the mails."""

import re
from pathlib import Path

import pytest
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient

from openpositions.content import ContentError, load_content
from tests.support.app import make_app
from tests.support.content import copy_content
from tests.support.forms import post_enquiry
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink

GERMAN = Translations.load(str(PROJECT_DIR / "translations"), ["de"])
SLUG = "phd-deep-learning-satellite-images"


def de(message: str) -> str:
    """The German of one of the site's own texts, from its catalogue."""
    translated = GERMAN.gettext(message)
    assert translated != message, f"no German for {message!r}"
    return translated


def html_lang(response: object) -> str:
    match = re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True))  # type: ignore[attr-defined]
    assert match
    return match.group(1)


def test_english_when_the_browser_asks_for_nothing_else(client: FlaskClient) -> None:
    response = client.get("/openpositions")
    assert html_lang(response) == "en"
    assert "<h1>Open positions</h1>" in response.get_data(as_text=True)


def test_the_browsers_language_is_followed(client: FlaskClient) -> None:
    response = client.get("/openpositions", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    html = response.get_data(as_text=True)
    assert html_lang(response) == "de"
    assert f"<h1>{de('Open positions')}</h1>" in html
    assert "Promotionsstellen in Deep Learning für die Satellitenbildanalyse" in html
    assert "Promovierende in Deep Learning für die Satellitenbildanalyse" in html
    assert "Zurzeit sind keine Stellen ausgeschrieben." in html
    assert "Accept-Language" in response.headers["Vary"]


def test_an_unoffered_language_falls_back_to_english(client: FlaskClient) -> None:
    response = client.get("/openpositions", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert html_lang(response) == "en"


def test_the_switch_remembers_the_choice_in_a_cookie(client: FlaskClient) -> None:
    response = client.get("/language/de?next=/enquiry")
    assert response.status_code == 303
    assert response.headers["Location"] == "/enquiry"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=de;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = client.get("/enquiry", headers={"Accept-Language": "en"})
    assert html_lang(page) == "de", "the explicit choice beats the browser's"
    assert de("Send an enquiry") in page.get_data(as_text=True)
    assert html_lang(client.get("/language/en?next=/enquiry", follow_redirects=True)) == "en"


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_the_switch_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = client.get("/language/de", query_string={"next": target})
    assert response.headers["Location"] == "/openpositions"


def test_only_offered_languages_can_be_chosen(client: FlaskClient) -> None:
    assert client.get("/language/fr?next=/openpositions").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/openpositions",
        f"/openpositions/{SLUG}",
        "/enquiry",
        "/privacy",
        "/legal-notice",
        "/no-such-page",
    ],
)
def test_every_page_names_each_language_in_itself(client: FlaskClient, path: str) -> None:
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'<span lang="en" aria-current="true">English</span>', html)
    assert re.search(
        r'<a href="/language/de\?next=[^"]*" lang="de" hreflang="de">Deutsch</a>', html
    )


def test_a_position_without_german_text_is_shown_in_english_marked_as_such(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    content = copy_content(tmp_path)
    (content / "positions" / "postdoc-hyperspectral.md").write_text(
        "---\ntitle: Post-doc in hyperspectral imaging\ncategory: postdoc\nstatus: open\n"
        "date_posted: 2026-11-20\n---\nAn English-only description.\n",
        encoding="utf-8",
    )
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    german = {"Accept-Language": "de"}
    html = app.test_client().get("/openpositions", headers=german).get_data(as_text=True)
    assert '<h3 id="position-postdoc-hyperspectral" lang="en">' in html
    assert '<div class="prose" lang="en"><p>An English-only description.</p></div>' in html
    assert f'<h3 id="position-{SLUG}">' in html, "the translated one needs no mark"
    detail = app.test_client().get("/openpositions/postdoc-hyperspectral", headers=german)
    assert '<h1 lang="en">Post-doc in hyperspectral imaging</h1>' in detail.get_data(as_text=True)
    english = app.test_client().get("/openpositions").get_data(as_text=True)
    assert 'lang="en"><a' not in english.replace('<a href="/language', "")


@pytest.mark.parametrize(
    ("file_name", "text", "field", "message"),
    [
        ("phd-deep-learning-satellite-images.fr.md", "---\n---\nTexte.", "file name", "de"),
        ("no-such-position.de.md", "---\n---\nText.", "file name", "does not exist"),
        (f"{SLUG}.de.md", "---\ntitle: Titel\n---\n", "body", "is empty"),
    ],
)
def test_bad_translations_are_reported_by_file_and_field(
    tmp_path: Path, file_name: str, text: str, field: str, message: str
) -> None:
    content = copy_content(tmp_path)
    (content / "positions" / file_name).write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as error:
        load_content(content)
    (line,) = str(error.value).splitlines()
    assert f"{file_name}: {field}: " in line and message in line


def test_a_site_text_in_an_unoffered_language_is_reported(tmp_path: Path) -> None:
    content = copy_content(tmp_path)
    site = content / "site.yaml"
    site.write_text(site.read_text().replace("    de: Deutschland", "    dee: Deutschland"))
    with pytest.raises(ContentError, match=r"group\.address\.country: language 'dee'"):
        load_content(content)


def test_the_applicant_gets_the_receipt_in_their_language_the_professor_in_english(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    client.get("/language/de?next=/enquiry")
    assert post_enquiry(client).status_code == 303
    mails = smtp.wait_for(2)
    receipt = next(m.message for m in mails if "ada@example.org" in m.rcpt_tos)
    professor = next(m.message for m in mails if "professor@rsim.example.org" in m.rcpt_tos)
    assert str(receipt["Subject"]).startswith(de("We received your enquiry %(reference)s")[:20])
    receipt_text = receipt.get_body(preferencelist=("plain",)).get_content()
    assert "Promovierende in Deep Learning für die Satellitenbildanalyse" in receipt_text
    assert "innerhalb von zwei Wochen" in receipt_text
    assert receipt.get_body(preferencelist=("html",)).get_content().count('lang="de"') == 1
    assert str(professor["Subject"]).startswith(
        "Ada Lovelace – PhD candidates in Deep Learning for Satellite Image Analysis (RS-"
    )
    assert "PhD candidates in Deep Learning for Satellite Image Analysis" in str(
        professor["Subject"]
    )


def test_english_and_german_pages_are_cached_apart(client: FlaskClient) -> None:
    english = client.get("/openpositions").get_data(as_text=True)
    german = client.get("/openpositions", headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert english != german
    assert client.get("/openpositions").get_data(as_text=True) == english
