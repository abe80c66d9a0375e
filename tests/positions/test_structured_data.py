"""The Atom feed of open positions, and the JobPosting JSON-LD on a position's page."""

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from openpositions.content import Content, ContentStore
from tests.support.app import make_app
from tests.support.content import (
    CLOSED_SLUG,
    SECOND_OPEN_SLUG,
    SEED_FILE,
    SEED_SLUG,
    add_closed_position,
    add_second_open_position,
    copy_content,
    replace_in,
)
from tests.support.html import Page, html_text
from tests.support.smtp import SmtpSink

ATOM = "{http://www.w3.org/2005/Atom}"
SECOND_OPEN_FILE = f"positions/{SECOND_OPEN_SLUG}.md"
REQUIRED_PROPERTIES = {"title", "description", "datePosted", "hiringOrganization", "jobLocation"}


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink) -> Flask:
    """Two open positions (one with a deadline, a reference and pay) and a closed one."""
    content = copy_content(tmp_path)
    add_second_open_position(content)
    replace_in(content, SECOND_OPEN_FILE, "\n---\n", "\npay:\n  min: 4900\n  max: 7100\n---\n")
    add_closed_position(content)
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))


@pytest.fixture
def site_client(site: Flask) -> FlaskClient:
    return site.test_client()


def loaded_content(app: Flask) -> Content:
    store: ContentStore = app.extensions["openpositions.content"]
    assert store.loaded is not None, "loaded as the app started"
    return store.loaded


def atom_feed(client: FlaskClient) -> ET.Element:
    response = client.get("/openpositions.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # raises on anything not well-formed
    assert root.tag == f"{ATOM}feed"
    return root


def child_text(element: ET.Element, name: str) -> str:
    child = element.find(f"{ATOM}{name}")
    assert child is not None, f"<{name}> missing in <{element.tag}>"
    return child.text or ""


# --- Feed -----------------------------------------------------------------------------------------


def test_feed_is_atom_with_the_required_elements(client: FlaskClient) -> None:
    feed = atom_feed(client)
    assert child_text(feed, "id") == "http://localhost/openpositions.atom"
    assert "Technische Universität Berlin" in child_text(feed, "title")
    assert child_text(feed, "updated") == "2026-11-02T00:00:00Z"
    author = feed.find(f"{ATOM}author")
    assert author is not None and child_text(author, "name")
    links = {link.get("rel"): link.get("href") for link in feed.findall(f"{ATOM}link")}
    assert links == {
        "self": "http://localhost/openpositions.atom",
        "alternate": "http://localhost/openpositions",
    }


def test_feed_has_one_entry_per_open_position(site: Flask) -> None:
    feed = atom_feed(site.test_client())
    entries = feed.findall(f"{ATOM}entry")
    today = site.extensions["openpositions.content"].today()
    open_slugs = [p.slug for p in loaded_content(site).open_positions(today)]
    assert len(open_slugs) == 2
    assert [child_text(e, "id") for e in entries] == [
        f"http://localhost/openpositions/{slug}" for slug in open_slugs
    ]
    assert CLOSED_SLUG not in ET.tostring(feed, encoding="unicode")


def test_feed_entries_carry_title_dates_link_and_content(site_client: FlaskClient) -> None:
    entries = {child_text(e, "id"): e for e in atom_feed(site_client).findall(f"{ATOM}entry")}
    entry = entries[f"http://localhost/openpositions/{SECOND_OPEN_SLUG}"]
    assert child_text(entry, "title") == "PhD position in Active Learning for Earth Observation"
    assert child_text(entry, "published") == "2026-10-15T00:00:00Z"
    assert child_text(entry, "updated") == "2026-10-15T00:00:00Z"
    link = entry.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == f"http://localhost/openpositions/{SECOND_OPEN_SLUG}"
    content = entry.find(f"{ATOM}content")
    assert content is not None and content.get("type") == "html"
    assert "<em>active learning</em>" in (content.text or "")
    assert child_text(entry, "summary").startswith("Join us to develop active learning")


def test_feed_without_open_positions_is_still_valid(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, "status: open", "status: closed")
    feed = atom_feed(make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client())
    assert feed.findall(f"{ATOM}entry") == []
    assert child_text(feed, "updated")


# --- JSON-LD --------------------------------------------------------------------------------------


def job_posting(client: FlaskClient, slug: str) -> tuple[dict[str, Any], Page]:
    response = client.get(f"/openpositions/{slug}")
    assert response.status_code == 200
    page = Page(response.text)
    scripts = page.json_ld()
    assert len(scripts) == 1
    return scripts[0], page


@pytest.mark.parametrize("slug", [SEED_SLUG, SECOND_OPEN_SLUG])
def test_job_posting_has_the_required_properties(site_client: FlaskClient, slug: str) -> None:
    posting, page = job_posting(site_client, slug)
    assert posting["@context"] in ("https://schema.org/", "https://schema.org")
    assert posting["@type"] == "JobPosting"
    assert REQUIRED_PROPERTIES <= posting.keys()
    assert posting["title"] == page.headings[0][1]
    assert posting["hiringOrganization"]["name"] == "Technische Universität Berlin"
    address = posting["jobLocation"]["address"]
    assert address["streetAddress"] == "Einsteinufer 17"
    assert address["postalCode"] == "10587"
    assert address["addressLocality"] == "Berlin"
    assert address["addressCountry"] == "DE"
    assert posting["directApply"] is False
    assert posting["url"] == page.links("canonical")[0]["href"]


def test_job_posting_has_the_recommended_properties_the_content_has(
    site_client: FlaskClient,
) -> None:
    posting, _ = job_posting(site_client, SECOND_OPEN_SLUG)
    assert posting["datePosted"] == "2026-10-15"
    # The last moment of the deadline day in Berlin, when the position stops taking applications.
    assert posting["validThrough"] == "2099-01-31T23:59:59+01:00"
    assert posting["employmentType"] == "PART_TIME"
    assert posting["identifier"]["value"] == "IV-77/26"


def test_job_posting_leaves_out_what_the_content_lacks(tmp_path: Path, smtp: SmtpSink) -> None:
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, "employment_type: FULL_TIME", "")
    replace_in(content, SEED_FILE, 'reference: "72624"', "")
    client = make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()
    posting, _ = job_posting(client, SEED_SLUG)
    assert "validThrough" not in posting  # open until filled
    assert "employmentType" not in posting
    assert "identifier" not in posting
    assert REQUIRED_PROPERTIES <= posting.keys()


@pytest.mark.parametrize(
    "url", ["/openpositions", f"/openpositions/{CLOSED_SLUG}", "/openpositions/no-such-position"]
)
def test_no_job_posting_on_the_list_or_for_closed_positions(
    site_client: FlaskClient, url: str
) -> None:
    response = site_client.get(url)
    assert "application/ld+json" not in response.text
    assert "JobPosting" not in response.text


def leaves(value: Any, key: str = "") -> Iterator[tuple[str, Any]]:
    """Every (property, value) pair at the ends of a JSON-LD tree."""
    if isinstance(value, dict):
        for name, child in value.items():
            yield from leaves(child, name)
    elif isinstance(value, list):
        for child in value:
            yield from leaves(child, key)
    else:
        yield key, value


@pytest.mark.parametrize("slug", [SEED_SLUG, SECOND_OPEN_SLUG])
def test_everything_in_the_job_posting_is_visible_on_the_page(site: Flask, slug: str) -> None:
    posting, page = job_posting(site.test_client(), slug)
    address = loaded_content(site).site.group.address
    dates = {time.get("datetime") for time in page.all("time")}
    addresses = page.hrefs() | {link["href"] for link in page.links("canonical")}
    for name, value in leaves(posting):
        if name in ("@context", "@type") or isinstance(value, bool):
            continue
        if name == "description":
            assert html_text(value) in page.text
        elif name in ("datePosted", "validThrough"):
            # validThrough is the deadline day's last moment; the page shows the day.
            assert value[:10] in dates, name
        elif name in ("url", "sameAs"):
            assert value in addresses, (name, value)
        elif name == "addressCountry":
            assert value == address.country_code
            assert address.country in page.text
        elif name == "employmentType":
            # schema.org's code for what the page says in words ("Part time (75%)").
            assert value.replace("_", " ").lower() in page.text.lower(), value
        elif name in ("minValue", "maxValue", "value") and isinstance(value, int):
            assert f"€{value:,}" in page.text, (name, value)  # The pay, as people write it.
        elif (name, value) in (("currency", "EUR"), ("unitText", "MONTH")):
            assert "€" in page.text and " a month" in page.text, (name, value)
        else:
            assert str(value) in page.text, (name, value)


# --- Pay ------------------------------------------------------------------------------------------


def site_with_pay(tmp_path: Path, smtp: SmtpSink, minimum: int, maximum: int) -> FlaskClient:
    content = copy_content(tmp_path)
    replace_in(content, SEED_FILE, "\n---\n", f"\npay:\n  min: {minimum}\n  max: {maximum}\n---\n")
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content)).test_client()


def test_the_pay_range_is_the_job_postings_base_salary(tmp_path: Path, smtp: SmtpSink) -> None:
    posting, page = job_posting(site_with_pay(tmp_path, smtp, 4900, 7100), SEED_SLUG)
    assert posting["baseSalary"] == {
        "@type": "MonetaryAmount",
        "currency": "EUR",
        "value": {
            "@type": "QuantitativeValue",
            "minValue": 4900,
            "maxValue": 7100,
            "unitText": "MONTH",
        },
    }
    # What search engines read, the page shows.
    assert "€4,900–€7,100 a month" in page.text


def test_one_figure_of_pay_is_the_base_salarys_value(tmp_path: Path, smtp: SmtpSink) -> None:
    posting, page = job_posting(site_with_pay(tmp_path, smtp, 5200, 5200), SEED_SLUG)
    assert posting["baseSalary"]["value"] == {
        "@type": "QuantitativeValue",
        "value": 5200,
        "unitText": "MONTH",
    }
    assert "€5,200 a month" in page.text


def test_a_position_without_pay_has_no_base_salary(site_client: FlaskClient) -> None:
    posting, _ = job_posting(site_client, SEED_SLUG)
    assert "baseSalary" not in posting
    posting, _ = job_posting(site_client, SECOND_OPEN_SLUG)
    assert "baseSalary" in posting, "the page the fixture gives pay"
