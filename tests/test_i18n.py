"""German and English: each at its own addresses, the switch between them, the hreflang links,
the position texts and the mails."""

import re
from html import unescape
from pathlib import Path

import pytest
from babel.support import Translations
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from openpositions.content import ContentError, load_content
from tests.support.app import make_app
from tests.support.content import copy_content
from tests.support.forms import post_enquiry
from tests.support.html import Page
from tests.support.languages import hreflang_links
from tests.support.paths import PROJECT_DIR
from tests.support.smtp import SmtpSink, body_text

GERMAN = Translations.load(str(PROJECT_DIR / "translations"), ["de"])
SLUG = "phd-deep-learning-satellite-images"


def de(message: str) -> str:
    """The German of one of the site's own texts, from its catalogue."""
    translated = GERMAN.gettext(message)
    assert translated != message, f"no German for {message!r}"
    return translated


def html_lang(response: TestResponse) -> str:
    match = re.search(r'<html lang="([^"]+)">', response.get_data(as_text=True))
    assert match
    return match.group(1)


def test_english_at_the_plain_addresses(client: FlaskClient) -> None:
    response = client.get("/openpositions")
    assert html_lang(response) == "en"
    assert "<h1>Open positions</h1>" in response.get_data(as_text=True)


def test_german_at_de_without_a_cookie_or_accept_language(client: FlaskClient) -> None:
    # As Google's crawler asks: no cookie, no Accept-Language.
    response = client.get("/de/openpositions")
    html = response.get_data(as_text=True)
    assert html_lang(response) == "de"
    assert f"<h1>{de('Open positions')}</h1>" in html
    assert "Promotionsstellen in Deep Learning für die Satellitenbildanalyse" in html
    assert "Promovierende in Deep Learning für die Satellitenbildanalyse" in html
    assert "Zurzeit sind keine Stellen ausgeschrieben." in html


@pytest.mark.parametrize(
    "asking_for_german",
    [
        {"Cookie": "lang=de"},
        {"Accept-Language": "de-DE,de;q=0.9"},
        {"Cookie": "lang=de", "Accept-Language": "de"},
    ],
)
@pytest.mark.parametrize("path", ["/openpositions", f"/openpositions/{SLUG}", "/privacy"])
def test_neither_a_cookie_nor_accept_language_changes_what_an_address_shows(
    client: FlaskClient, asking_for_german: dict[str, str], path: str
) -> None:
    plain = client.get(path)
    asked = client.get(path, headers=asking_for_german)
    assert html_lang(asked) == "en"
    assert asked.get_data() == plain.get_data()
    vary = {v.strip().lower() for v in asked.headers.get("Vary", "").split(",")}
    assert not vary & {"cookie", "accept-language"}, "one copy per address, for every cache"


def test_the_form_too_is_english_at_its_english_address(client: FlaskClient) -> None:
    response = client.get("/enquiry", headers={"Cookie": "lang=de", "Accept-Language": "de"})
    assert html_lang(response) == "en"
    assert html_lang(client.get("/de/enquiry", headers={"Accept-Language": "en"})) == "de"


@pytest.mark.parametrize(
    ("path", "german_path"),
    [
        ("/openpositions", "/de/openpositions"),
        (f"/openpositions/{SLUG}", f"/de/openpositions/{SLUG}"),
        ("/enquiry", "/de/enquiry"),
        ("/privacy", "/de/privacy"),
        ("/legal-notice", "/de/impressum"),
    ],
)
def test_each_page_names_both_addresses_absolute_and_reciprocal(
    client: FlaskClient, path: str, german_path: str
) -> None:
    expected = {
        "en": f"http://localhost{path}",
        "de": f"http://localhost{german_path}",
        "x-default": f"http://localhost{path}",
    }
    for language, address in (("en", path), ("de", german_path)):
        response = client.get(address)
        assert response.status_code == 200
        page = Page(response.get_data(as_text=True))
        assert page.all("html")[0]["lang"] == language
        assert hreflang_links(page) == expected, address
        assert [link["href"] for link in page.links("canonical")] == [expected[language]]


def test_hreflang_links_use_site_url(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, SITE_URL="https://www.bigearth.eu")
    page = Page(app.test_client().get("/de/impressum").get_data(as_text=True))
    assert hreflang_links(page) == {
        "en": "https://www.bigearth.eu/legal-notice",
        "de": "https://www.bigearth.eu/de/impressum",
        "x-default": "https://www.bigearth.eu/legal-notice",
    }


# On the enquiry form the switch is a button of the form, so that what was typed goes along.
FORM_SWITCH = re.compile(r'<button[^>]*formaction="([^"]*)"[^>]*lang="(\w+)"[^>]*>')


def switch_link(response: TestResponse, language: str) -> str:
    """Where the switch to `language` leads: a link's href, or the form's button's formaction."""
    html = response.get_data(as_text=True)
    links = [
        attributes["href"]
        for attributes, _ in Page(html).anchors
        if attributes.get("hreflang") == language and "href" in attributes
    ]
    links += [unescape(action) for action, lang in FORM_SWITCH.findall(html) if lang == language]
    (link,) = links
    return link


@pytest.mark.parametrize(
    ("path", "german_path"),
    [
        ("/openpositions", "/de/openpositions"),
        (f"/openpositions/{SLUG}", f"/de/openpositions/{SLUG}"),
        ("/enquiry?position=general", "/de/enquiry?position=general"),
        (f"/enquiry?position={SLUG}&x=1", f"/de/enquiry?position={SLUG}&x=1"),
        ("/legal-notice", "/de/impressum"),
        ("/no-such-page", "/de/no-such-page"),
    ],
)
def test_the_switch_links_the_same_page_in_the_other_language(
    client: FlaskClient, path: str, german_path: str
) -> None:
    english = client.get(path)
    assert switch_link(english, "de") == german_path
    assert "Set-Cookie" not in english.headers or path.startswith("/enquiry")
    german = client.get(german_path)
    assert html_lang(german) == "de"
    assert switch_link(german, "en") == path


def test_a_cached_page_is_the_same_for_every_query_string(client: FlaskClient) -> None:
    # Its switch cannot carry the query of whoever asked first: ?utm_source=... stays behind.
    tracked = client.get("/openpositions?utm_source=newsletter")
    assert switch_link(tracked, "de") == "/de/openpositions"
    assert client.get("/openpositions").get_data() == tracked.get_data()


def test_german_error_pages_under_de(client: FlaskClient) -> None:
    response = client.get("/de/no-such-page")
    assert response.status_code == 404
    assert html_lang(response) == "de"
    assert de("Page not found") in response.get_data(as_text=True)
    assert hreflang_links(Page(response.get_data(as_text=True))) == {}, "no page to index"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/language/de?next=/enquiry", "/de/enquiry"),
        ("/language/de?next=/enquiry%3Fposition%3Dgeneral", "/de/enquiry?position=general"),
        ("/language/de?next=/legal-notice", "/de/impressum"),
        ("/language/en?next=/de/impressum", "/legal-notice"),
        (f"/language/de?next=/openpositions/{SLUG}", f"/de/openpositions/{SLUG}"),
        ("/language/en?next=/de/openpositions", "/openpositions"),
        ("/language/de", "/de/openpositions"),
    ],
)
def test_the_old_switch_redirects_to_the_page_in_that_language(
    client: FlaskClient, old: str, new: str
) -> None:
    response = client.get(old)
    assert response.status_code == 301
    assert response.headers["Location"] == new
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/",
        "https://evil.example/",
        "https:evil.example",
        "http:/evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "\\evil.example",
        "/\t/evil.example",
        "/\n",
        "/\r\nLocation: https://evil.example",
        "/%2F/evil.example",
        "/%2F%2Fevil.example",
        "//%2Fevil.example",
        "/\u2215\u2215evil.example",
        "/\uff0f/evil.example",
        "\uff0f\uff0fevil.example",
        "/\u200b/evil.example",
        "/\u3000/evil.example",
        " //evil.example",
        "/ /evil.example",
        "javascript:alert(1)",
        "/language/de?next=//evil.example",
        "/static/site.css",
        "/healthz",
        "",
    ],
)
def test_the_old_switch_never_leaves_the_site(client: FlaskClient, target: str) -> None:
    response = client.get("/language/de", query_string={"next": target})
    assert response.status_code == 301
    assert response.headers["Location"] == "/de/openpositions"


@pytest.mark.parametrize(
    "raw_query",
    ["next=/%09/evil.example", "next=/%0a", "next=/%0d%0aX:%20y", "next=/%5C/evil", "next=%2F%2Fe"],
)
def test_the_old_switch_never_leaves_the_site_whatever_the_bytes(
    client: FlaskClient, raw_query: str
) -> None:
    response = client.get(f"/language/de?{raw_query}")
    assert response.status_code == 301
    assert response.headers["Location"] == "/de/openpositions"


def test_only_offered_languages_can_be_chosen(client: FlaskClient) -> None:
    assert client.get("/language/fr?next=/openpositions").status_code == 404
    assert client.get("/fr/openpositions").status_code == 404
    assert client.get("/en/openpositions").status_code == 404, "English has no prefix"


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
    assert re.search(r'<a href="/de/[^"]*" lang="de" hreflang="de">Deutsch</a>', html) or (
        path == "/enquiry" and re.search(r'<button[^>]*lang="de"[^>]*>Deutsch</button>', html)
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
    html = app.test_client().get("/de/openpositions").get_data(as_text=True)
    assert '<h3 id="position-postdoc-hyperspectral" lang="en">' in html
    assert '<div class="prose" lang="en"><p>An English-only description.</p></div>' in html
    assert f'<h3 id="position-{SLUG}">' in html, "the translated one needs no mark"
    detail = app.test_client().get("/de/openpositions/postdoc-hyperspectral")
    assert '<h1 lang="en">Post-doc in hyperspectral imaging</h1>' in detail.get_data(as_text=True)
    english = app.test_client().get("/openpositions").get_data(as_text=True)
    assert 'lang="en"><a' not in english


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
    assert post_enquiry(client, url="/de/enquiry").status_code == 303
    mails = smtp.wait_for(2)
    receipt = next(m.message for m in mails if "ada@example.org" in m.rcpt_tos)
    professor = next(m.message for m in mails if "professor@rsim.example.org" in m.rcpt_tos)
    assert str(receipt["Subject"]).startswith(de("We received your enquiry %(reference)s")[:20])
    receipt_text = body_text(receipt, "plain")
    assert "Promovierende in Deep Learning für die Satellitenbildanalyse" in receipt_text
    assert "innerhalb von zwei Wochen" in receipt_text
    assert body_text(receipt, "html").count('lang="de"') == 1
    assert str(professor["Subject"]).startswith(
        "Ada Lovelace – PhD candidates in Deep Learning for Satellite Image Analysis (RS-"
    )
    assert "PhD candidates in Deep Learning for Satellite Image Analysis" in str(
        professor["Subject"]
    )


def test_english_and_german_pages_are_cached_apart(client: FlaskClient) -> None:
    english = client.get("/openpositions").get_data(as_text=True)
    german = client.get("/de/openpositions").get_data(as_text=True)
    assert english != german
    assert client.get("/openpositions").get_data(as_text=True) == english
    assert client.get("/de/openpositions").get_data(as_text=True) == german
