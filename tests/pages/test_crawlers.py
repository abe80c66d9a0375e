"""What search engines read: /sitemap.xml lists every public page in each language with its
alternates, and /robots.txt names it; both cached like pages."""

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import make_app
from tests.support.content import (
    CLOSED_SLUG,
    SECOND_OPEN_SLUG,
    SEED_SLUG,
    add_closed_position,
    add_second_open_position,
    copy_content,
)
from tests.support.smtp import SmtpSink

SITE = "https://www.bigearth.eu"
NAMESPACES = {
    "sm": "http://www.sitemaps.org/schemas/sitemap/0.9",
    "xhtml": "http://www.w3.org/1999/xhtml",
}
# Each public page: its English and German address.
PUBLIC_PAGES = [
    ("/openpositions", "/de/openpositions"),
    (f"/openpositions/{SEED_SLUG}", f"/de/openpositions/{SEED_SLUG}"),
    (f"/openpositions/{SECOND_OPEN_SLUG}", f"/de/openpositions/{SECOND_OPEN_SLUG}"),
    ("/enquiry", "/de/enquiry"),
    ("/alerts", "/de/alerts"),
    ("/privacy", "/de/privacy"),
    ("/legal-notice", "/de/impressum"),
]


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink) -> Flask:
    content = copy_content(tmp_path)
    add_closed_position(content)
    add_second_open_position(content)
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content), SITE_URL=SITE)


def sitemap_entries(client: FlaskClient) -> dict[str, tuple[dict[str, str], str | None]]:
    """loc -> ({hreflang: href}, lastmod) of each <url> in the sitemap."""
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.data)
    assert root.tag == f"{{{NAMESPACES['sm']}}}urlset"
    entries = {}
    for url in root.findall("sm:url", NAMESPACES):
        loc = url.findtext("sm:loc", namespaces=NAMESPACES)
        assert loc and loc not in entries
        alternates = {
            link.attrib["hreflang"]: link.attrib["href"]
            for link in url.findall("xhtml:link", NAMESPACES)
            if link.attrib["rel"] == "alternate"
        }
        entries[loc] = (alternates, url.findtext("sm:lastmod", namespaces=NAMESPACES))
    return entries


def test_the_sitemap_lists_every_public_page_in_both_languages(site: Flask) -> None:
    entries = sitemap_entries(site.test_client())
    expected = {SITE + path for pair in PUBLIC_PAGES for path in pair}
    assert set(entries) == expected


@pytest.mark.parametrize(("english", "german"), PUBLIC_PAGES)
def test_each_entry_names_every_language_and_x_default(
    site: Flask, english: str, german: str
) -> None:
    entries = sitemap_entries(site.test_client())
    alternates = {"en": SITE + english, "de": SITE + german, "x-default": SITE + english}
    assert entries[SITE + english][0] == alternates
    assert entries[SITE + german][0] == alternates


def test_the_sitemap_says_when_positions_changed(site: Flask) -> None:
    entries = sitemap_entries(site.test_client())
    assert entries[f"{SITE}/openpositions/{SEED_SLUG}"][1] == "2026-11-02"
    assert entries[f"{SITE}/de/openpositions/{SECOND_OPEN_SLUG}"][1] == "2026-10-15"
    assert entries[f"{SITE}/openpositions"][1] == "2026-11-02", "its newest position"
    assert entries[f"{SITE}/privacy"][1] is None, "not known, so not said"


def test_closed_positions_the_feed_and_private_pages_are_not_in_the_sitemap(site: Flask) -> None:
    entries = " ".join(sitemap_entries(site.test_client()))
    assert CLOSED_SLUG not in entries
    assert site.test_client().get(f"/openpositions/{CLOSED_SLUG}").status_code == 410
    for left_out in (".atom", "/received/", "/language/", "/healthz", "/metrics"):
        assert left_out not in entries


def test_every_page_in_the_sitemap_answers_200_in_its_language(site: Flask) -> None:
    client = site.test_client()
    entries = sitemap_entries(client)
    assert len(entries) == 2 * len(PUBLIC_PAGES)
    for loc in entries:
        response = client.get(loc.removeprefix(SITE))
        assert response.status_code == 200, loc
        expected = "de" if "/de/" in loc else "en"
        assert f'<html lang="{expected}">' in response.text, loc


def test_robots_txt_names_the_sitemap(site: Flask) -> None:
    response = site.test_client().get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.text.splitlines()
    assert "User-agent: *" in lines
    assert f"Sitemap: {SITE}/sitemap.xml" in lines
    assert not any(line.startswith("Disallow: /") for line in lines), "every page may be read"


@pytest.mark.parametrize("url", ["/sitemap.xml", "/robots.txt"])
def test_both_are_cached_like_pages(site: Flask, url: str) -> None:
    client = site.test_client()
    response = client.get(url)
    assert response.cache_control.public
    assert response.cache_control.max_age == site.config["PAGE_MAX_AGE"]
    etag = response.get_etag()[0]
    again = client.get(url, headers={"If-None-Match": f'"{etag}"'})
    assert again.status_code == 304


def test_without_site_url_the_addresses_are_the_requests_host(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    client = make_app(tmp_path, smtp.port).test_client()
    entries = sitemap_entries(client)
    assert "http://localhost/de/impressum" in entries
    assert not any("/alerts" in loc for loc in entries), "no alerts are offered without SITE_URL"
    assert "Sitemap: http://localhost/sitemap.xml" in client.get("/robots.txt").text
