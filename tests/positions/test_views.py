"""The pages: list, position, closed and unknown positions, old addresses, caching, markup."""

import html
import re
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import make_app
from tests.support.content import (
    CLOSED_SLUG,
    OFFICE_EMAIL,
    SEED_SLUG,
    add_closed_position,
    copy_content,
    write_position,
)
from tests.support.html import Page
from tests.support.smtp import SmtpSink

SEED_URL = f"/openpositions/{SEED_SLUG}"
CLOSED_URL = f"/openpositions/{CLOSED_SLUG}"
UNKNOWN_URL = "/openpositions/no-such-position"

# The sentences and links of the page we replace (../shared/seed/openpositions.html).
PHD_SENTENCES = [
    "We are looking for highly motivated PhD candidates to join the Remote Sensing Image Analysis "
    "(RSiM) group at the Faculty of Electrical Engineering and Computer Science, Technische "
    "Universität Berlin, Germany.",
    "The research of the PhD candidates will aim at developing innovative machine learning "
    "techniques (with a special focus on deep learning) for the analysis of big data from space.",
    "The main topics include: 1) developing deep neural network models that can overcome the data "
    "imbalance problems for satellite image classification; and 2) developing active learning "
    "methods that are applicable to the designed deep neural networks.",
    "MSc degree is required in computer engineering or computer science with experience in "
    "computer vision, deep learning for image understanding.",
    "Very good command of German and English is required.",
    "For details, please visit this link.",
]
PHD_LINKS = {
    "https://www.rsim.tu-berlin.de/menue/remote_sensing_image_analysis_group/": (
        "Remote Sensing Image Analysis (RSiM)"
    ),
    "https://stellenticket.de/72624/?lang=en": "link",
}
POSTDOC_SENTENCES = [
    "There are currently no open job offers available.",
    "If you are a highly motivated postdoctoral researcher interested in working with us, there "
    "are several external funding opportunities:",
    "Please contact Prof. Begüm Demir for the details.",
]
FUNDING_LINKS = {
    "https://www.ipodi.tu-berlin.de/ipodi/ipodi/": "IPODI",
    "https://www.dfg.de/en/research_funding/programmes/individual/walter_benjamin/index.html": (
        "DFG Walter Benjamin Programme"
    ),
    "https://www.humboldt-foundation.de/web/humboldt-fellowship-postdoc.html": (
        "Humboldt Research Fellowship"
    ),
}
SECTION_HEADINGS = [
    "PhD positions in Deep Learning for Satellite Image Analysis",
    "Post-doc positions in Deep Learning for Satellite Image Analysis",
]
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)*\.[a-z]{2,}", re.IGNORECASE)


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink) -> Flask:
    """The site on a copy of the content with a closed position added."""
    content = copy_content(tmp_path)
    add_closed_position(content)
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))


@pytest.fixture
def site_client(site: Flask) -> FlaskClient:
    return site.test_client()


def get_page(client: FlaskClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, url
    assert response.mimetype == "text/html"
    assert response.mimetype_params.get("charset") == "utf-8"
    return Page(response.text)


def assert_links(page: Page, expected: dict[str, str]) -> None:
    for href, text in expected.items():
        texts = [t for attributes, t in page.anchors if attributes.get("href") == href]
        assert any(text in t for t in texts), (href, text, texts)


# --- Old addresses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/", "/openpositions"),
        ("/openpositions.html", "/openpositions"),
        ("/de/", "/de/openpositions"),
        ("/de/openpositions.html", "/de/openpositions"),
    ],
)
def test_old_addresses_redirect_permanently(client: FlaskClient, old: str, new: str) -> None:
    response = client.get(old)
    assert response.status_code == 301
    assert urlsplit(response.headers["Location"]).path == new
    assert client.get(old, follow_redirects=True).request.path == new


# --- The list -------------------------------------------------------------------------------------


def test_list_carries_every_sentence_and_link_of_the_old_page(client: FlaskClient) -> None:
    page = get_page(client, "/openpositions")
    for sentence in PHD_SENTENCES + POSTDOC_SENTENCES:
        assert sentence in page.text
    assert [text for level, text in page.headings if level == 2] == SECTION_HEADINGS
    assert_links(page, PHD_LINKS | FUNDING_LINKS)
    assert "TU Berlin International Postdoc Initiative (IPODI)" in page.text


def test_list_spells_umlauts_correctly(client: FlaskClient) -> None:
    body = client.get("/openpositions").text
    assert "Technische Universität Berlin" in body
    assert "Begüm Demir" in body
    for broken in ("√§", "Ã", "Begum"):
        assert broken not in body


def test_list_links_each_open_position_and_the_enquiry_form(client: FlaskClient) -> None:
    page = get_page(client, "/openpositions")
    assert SEED_URL in page.hrefs()
    assert f"/enquiry?position={SEED_SLUG}" in page.hrefs()
    assert "/enquiry?position=postdoc-fellowship" in page.hrefs()


def test_list_leaves_out_closed_positions(site_client: FlaskClient) -> None:
    page = get_page(site_client, "/openpositions")
    assert CLOSED_URL not in page.hrefs()
    assert "Foundation Models" not in page.text
    # The post-doc section still says nothing is open and offers the funding programmes.
    assert "There are currently no open job offers available." in page.text
    assert_links(page, FUNDING_LINKS)


FUNDING_LINKS_IN_GERMAN = {
    "https://www.ipodi.tu-berlin.de/ipodi/ipodi/": "IPODI",
    "https://www.dfg.de/en/research_funding/programmes/individual/walter_benjamin/index.html": (
        "DFG Walter Benjamin-Programm"
    ),
    "https://www.humboldt-foundation.de/web/humboldt-fellowship-postdoc.html": (
        "Humboldt-Forschungsstipendium"
    ),
}


@pytest.mark.parametrize(
    ("language", "heading", "funding_links"),
    [
        pytest.param("", "External funding", FUNDING_LINKS, id="en"),
        pytest.param("/de", "Externe Förderung", FUNDING_LINKS_IN_GERMAN, id="de"),
    ],
)
def test_funding_programmes_show_while_a_postdoc_position_is_open(
    tmp_path: Path, smtp: SmtpSink, language: str, heading: str, funding_links: dict[str, str]
) -> None:
    content = copy_content(tmp_path)
    write_position(
        content,
        "postdoc-open",
        "We are looking for a post-doc in remote sensing.",
        title="Post-doc in Remote Sensing",
        category="postdoc",
        status="open",
        date_posted=date(2026, 11, 20),
    )
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    page = get_page(client, f"{language}/openpositions")
    assert f"{language}/openpositions/postdoc-open" in page.hrefs()
    # The form offers "Post-doc with an external fellowship" whatever is open; so does the page.
    assert (3, heading) in page.headings
    assert_links(page, funding_links)
    assert f"{language}/enquiry?position=postdoc-fellowship" in page.hrefs()


# --- One position ---------------------------------------------------------------------------------


def test_position_page_carries_its_text_facts_and_links(client: FlaskClient) -> None:
    page = get_page(client, SEED_URL)
    assert page.headings[0] == (1, "PhD candidates in Deep Learning for Satellite Image Analysis")
    for sentence in PHD_SENTENCES:
        assert sentence in page.text
    assert_links(page, PHD_LINKS)
    for fact in (
        "Open until filled",
        "3 years",
        "E13 TV-L Berliner Hochschulen",
        "72624",
        "Your CV as a single PDF",
        "Einsteinufer 17, 10587 Berlin",
        "Technische Universität Berlin",
        "Apply through this site's form; the official posting (reference 72624) describes the "
        "position.",
    ):
        assert fact in page.text
    assert_links(page, {f"/enquiry?position={SEED_SLUG}": "Apply for this position"})
    assert "/openpositions" in page.hrefs()


def test_closed_position_is_gone_with_a_friendly_page(site_client: FlaskClient) -> None:
    page = get_page(site_client, CLOSED_URL, status=410)
    assert page.headings[0] == (1, "This position is closed")
    assert "Post-doc in Foundation Models for Earth Observation" in page.text
    assert "/openpositions" in page.hrefs()
    assert page.all("header") and page.all("footer")
    assert page.meta("name", "robots") == "noindex"


def test_unknown_position_is_a_friendly_404_in_the_layout(client: FlaskClient) -> None:
    page = get_page(client, UNKNOWN_URL, status=404)
    assert page.headings[0] == (1, "Page not found")
    assert "check that it is correct" in page.text
    assert "/openpositions" in page.hrefs()
    assert page.all("header") and page.all("nav") and page.all("footer")
    assert "Technische Universität Berlin" in page.text
    assert "Traceback" not in page.text


# --- No address anywhere --------------------------------------------------------------------------


def every_response_url(app: Flask) -> list[str]:
    """Every GET route without arguments, plus a position, a closed one, an unknown one, a file.

    In every language: a rule's language is a default, not an argument to fill in.
    """
    urls = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments - set(rule.defaults or ())
    }
    return sorted(urls | {SEED_URL, CLOSED_URL, UNKNOWN_URL, "/enquiry?position=general"})


def test_no_email_address_but_the_group_offices_in_any_response(site: Flask) -> None:
    client = site.test_client()
    urls = every_response_url(site)
    assert {
        "/openpositions",
        "/openpositions.atom",
        "/enquiry",
        "/privacy",
        "/legal-notice",
        "/de/openpositions",
        "/de/impressum",
        "/sitemap.xml",
    } <= set(urls)
    for url in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        # Undo HTML and JSON escapes first, so that demir&#64;tu-berlin.de counts as well.
        body = html.unescape(response.get_data(as_text=True).replace("\\u0040", "@"))
        everything = body + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        # The one address a page may give is the group office's shared mailbox.
        others = everything.replace(f"mailto:{OFFICE_EMAIL}", "").replace(OFFICE_EMAIL, "")
        assert "mailto:" not in others.lower(), url
        assert "demir@" not in everything.lower(), url
        assert EMAIL_ADDRESS.search(others) is None, (url, EMAIL_ADDRESS.search(others))


# --- Caching --------------------------------------------------------------------------------------

CACHED_PAGES = ["/openpositions", SEED_URL, "/openpositions.atom", "/privacy", "/legal-notice"]


@pytest.mark.parametrize("url", CACHED_PAGES)
def test_pages_carry_etag_and_cache_control(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    etag, weak = response.get_etag()
    assert etag and not weak
    assert response.cache_control.public
    assert response.cache_control.max_age == 60
    assert client.get(url).get_etag() == (etag, weak)  # the same page, the same tag


@pytest.mark.parametrize("url", CACHED_PAGES)
def test_matching_etag_answers_304_without_body(client: FlaskClient, url: str) -> None:
    etag = client.get(url).headers["ETag"]
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


@pytest.mark.parametrize("url", CACHED_PAGES)
def test_other_etag_gets_the_whole_page(client: FlaskClient, url: str) -> None:
    response = client.get(url, headers={"If-None-Match": '"not-the-current-version"'})
    assert response.status_code == 200
    assert response.data


def test_etag_differs_between_pages(client: FlaskClient) -> None:
    tags = {client.get(url).headers["ETag"] for url in CACHED_PAGES}
    assert len(tags) == len(CACHED_PAGES)


# --- Markup ---------------------------------------------------------------------------------------

HTML_PAGES = [
    pytest.param("/openpositions", 200, id="list"),
    pytest.param(SEED_URL, 200, id="position"),
    pytest.param(CLOSED_URL, 410, id="closed"),
    pytest.param(UNKNOWN_URL, 404, id="unknown"),
    pytest.param("/privacy", 200, id="privacy"),
    pytest.param("/legal-notice", 200, id="legal-notice"),
    pytest.param("/enquiry", 200, id="enquiry"),
]


@pytest.mark.parametrize(("url", "status"), HTML_PAGES)
def test_semantic_html(site_client: FlaskClient, url: str, status: int) -> None:
    page = get_page(site_client, url, status)
    assert page.all("html")[0].get("lang")
    assert [level for level, _ in page.headings].count(1) == 1
    for landmark in ("header", "nav", "main", "footer"):
        assert page.all(landmark), landmark
    assert len(page.all("main")) == 1
    levels = [level for level, _ in page.headings]
    assert levels[0] == 1
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"h{before} followed by h{after}"


@pytest.mark.parametrize(("url", "status"), HTML_PAGES)
def test_no_inline_style_or_executable_script(
    site_client: FlaskClient, url: str, status: int
) -> None:
    page = get_page(site_client, url, status)
    for tag, attributes in page.elements:
        assert "style" not in attributes, tag
        handlers = [name for name in attributes if name.startswith("on")]
        assert not handlers, (tag, handlers)
        assert not attributes.get("href", "").lower().startswith("javascript:")
    for attributes, body in page.scripts:
        inline = "src" not in attributes
        assert not inline or attributes.get("type") == "application/ld+json", body[:80]


NEW_TAB_SLUG = "phd-with-a-link-to-a-new-tab"


def test_no_link_or_form_opens_another_tab(tmp_path: Path, smtp: SmtpSink) -> None:
    """Every link and form opens in the visitor's own tab, on every page in both languages,
    even where a position's Markdown asks for another: no target or formtarget anywhere, and no
    <base> to set one. (A page opened in another tab could reach back through window.opener.)"""
    content = copy_content(tmp_path)
    add_closed_position(content)
    write_position(
        content,
        NEW_TAB_SLUG,
        'Read <a href="https://example.org/phd" target="_blank">more elsewhere</a>.',
        title="PhD with a link to another tab",
        category="phd",
        status="open",
        date_posted="2026-11-20",
    )
    app = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))
    client = app.test_client()
    positions = [SEED_URL, CLOSED_URL, f"/openpositions/{NEW_TAB_SLUG}"]
    urls = [*every_response_url(app), *positions, *(f"/de{url}" for url in positions)]
    checked = []
    links_off_the_site = 0
    for url in urls:
        response = client.get(url)
        if response.mimetype != "text/html":
            continue
        page = Page(response.text)
        opening = [
            (tag, attributes)
            for tag, attributes in page.elements
            if tag == "base" or {"target", "formtarget"} & attributes.keys()
        ]
        assert opening == [], url
        checked.append(url)
        links_off_the_site += sum(urlsplit(href).netloc != "localhost" for href in page.hrefs())
    # The pages were there, links to other sites among their links, the position's link kept.
    assert {"/openpositions", "/de/openpositions", "/enquiry", "/privacy", *positions} <= set(
        checked
    )
    assert links_off_the_site > 0
    assert "https://example.org/phd" in get_page(client, positions[-1]).hrefs()


@pytest.mark.parametrize(("url", "status"), HTML_PAGES)
def test_feed_is_linked_from_the_head(site_client: FlaskClient, url: str, status: int) -> None:
    page = get_page(site_client, url, status)
    feeds = [a for a in page.links("alternate") if a.get("type") == "application/atom+xml"]
    assert len(feeds) == 1
    response = site_client.get(feeds[0]["href"])
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/openpositions", "Open positions – Remote Sensing Image Analysis (RSiM) group"),
        (SEED_URL, "PhD candidates in Deep Learning for Satellite Image Analysis"),
    ],
)
def test_head_has_canonical_description_and_open_graph(
    client: FlaskClient, url: str, title: str
) -> None:
    page = get_page(client, url)
    canonicals = page.links("canonical")
    assert [link["href"] for link in canonicals] == [f"http://localhost{url}"]
    description = page.meta("name", "description")
    assert description and len(description) <= 200
    assert page.meta("property", "og:title") == title
    assert page.meta("property", "og:description") == description
    assert page.meta("property", "og:url") == f"http://localhost{url}"


def test_canonical_uses_the_configured_site_url(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, SITE_URL="https://www.bigearth.eu/")
    page = get_page(app.test_client(), SEED_URL)
    assert page.links("canonical")[0]["href"] == f"https://www.bigearth.eu{SEED_URL}"


# --- Page weight ----------------------------------------------------------------------------------

PAGE_WEIGHT_BUDGET = 30_000  # bytes, uncompressed: HTML, CSS, any JS, favicon
# <link> relations a browser fetches while loading the page; canonical, alternate etc. it does not.
LOADED_RELATIONS = {
    "stylesheet",
    "icon",
    "preload",
    "modulepreload",
    "manifest",
    "apple-touch-icon",
}


def local_assets(page: Page) -> list[str]:
    """Paths of the files on this site that the page makes the browser load."""
    found = [
        attributes.get("href", "")
        for attributes in page.all("link")
        if LOADED_RELATIONS & set(attributes.get("rel", "").lower().split())
    ]
    found += [a["src"] for a in page.all("script") + page.all("img") if a.get("src")]
    local = [u for u in found if urlsplit(u).netloc in ("", "localhost")]
    return [urlsplit(u).path for u in local]


def test_first_load_of_the_list_fits_the_page_weight_budget(client: FlaskClient) -> None:
    response = client.get("/openpositions")
    total = len(response.data)
    assets = local_assets(Page(response.text))
    assert "/static/site.css" in assets
    assert any("favicon" in path for path in assets)
    for path in assets:
        with client.get(path) as asset:
            assert asset.status_code == 200, f"{path} is linked but answers {asset.status_code}"
            total += len(asset.data)
    assert total <= PAGE_WEIGHT_BUDGET, f"{total} bytes for {['/openpositions', *assets]}"
