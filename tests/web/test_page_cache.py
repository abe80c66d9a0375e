"""What the site lets browsers and shared caches (nginx's edge cache) keep, and what never."""

import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import defaults
from openpositions.web import page_cache
from tests.support.content import SEED_SLUG
from tests.support.forms import post_enquiry

PUBLIC_PAGES = [
    "/openpositions",
    f"/openpositions/{SEED_SLUG}",
    "/openpositions.atom",
    "/privacy",
    "/legal-notice",
    "/de/openpositions",
    f"/de/openpositions/{SEED_SLUG}",
    "/de/openpositions.atom",
    "/de/privacy",
    "/de/impressum",
    "/sitemap.xml",
    "/robots.txt",
]


def test_a_content_edit_shows_within_a_minute_by_default() -> None:
    # Browsers and nginx keep a page this long before asking again (cheaply, with its ETag).
    assert defaults.PAGE_MAX_AGE <= 60


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_may_be_kept_for_page_max_age(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.cache_control.public
    assert response.cache_control.max_age == client.application.config["PAGE_MAX_AGE"]
    assert response.get_etag()[0]
    assert "Set-Cookie" not in response.headers
    # One address, one page: a cache keeps one copy per address, whoever asks.
    assert "Vary" not in response.headers


@pytest.mark.parametrize("url", ["/", "/de/"])
def test_the_old_home_address_redirects_publicly(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 301
    assert response.cache_control.public


def test_the_form_is_never_stored(client: FlaskClient) -> None:
    response = client.get("/enquiry")
    assert response.status_code == 200
    assert response.cache_control.no_store
    assert not response.cache_control.public


def test_the_confirmation_and_the_post_are_never_stored(client: FlaskClient) -> None:
    posted = post_enquiry(client)
    assert posted.status_code == 303
    assert posted.cache_control.no_store
    confirmation = client.get(posted.headers["Location"])
    assert confirmation.status_code == 200
    assert confirmation.cache_control.no_store


def test_a_form_sent_back_with_mistakes_is_never_stored(client: FlaskClient) -> None:
    response = post_enquiry(client, message="too short")
    assert response.status_code == 422
    assert response.cache_control.no_store


@pytest.mark.parametrize("url", ["/no-such-page", "/openpositions/no-such-position"])
def test_error_pages_are_never_stored(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 404
    assert response.cache_control.no_store


def test_the_old_language_switch_is_never_stored(client: FlaskClient) -> None:
    # Kept for old bookmarks only: nothing there is worth a place in the edge cache.
    response = client.get("/language/de?next=/openpositions")
    assert response.status_code == 301
    assert "Set-Cookie" not in response.headers
    assert response.cache_control.no_store


def test_a_view_that_marks_its_answer_public_and_sets_a_cookie_is_not_public(app: Flask) -> None:
    @app.get("/careless")
    def careless() -> tuple[str, int, dict[str, str]]:
        return "hello", 200, {"Cache-Control": "public, max-age=60", "Set-Cookie": "a=b"}

    response = app.test_client().get("/careless")
    assert response.cache_control.no_store
    assert not response.cache_control.public


def test_pages_for_many_hosts_take_no_more_memory_than_the_cap(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Without SITE_URL a page's links come from the request's host, so each host is a page
    # of its own: a client sending a new Host each time must not grow the worker without end.
    monkeypatch.setattr(page_cache, "MAX_BYTES", 100_000)
    first = client.get("/openpositions", headers={"Host": "host-0.example"})
    assert first.status_code == 200
    for number in range(1, 40):
        answer = client.get("/openpositions", headers={"Host": f"host-{number}.example"})
        assert answer.status_code == 200
        assert f"http://host-{number}.example/openpositions" in answer.get_data(as_text=True)
        pages = app.extensions["openpositions.web.page_cache"]
        assert pages.size <= 100_000
        assert pages.size == sum(len(body) for body, _ in pages.pages.values())
    assert len(first.get_data()) * 3 < 100_000, "several pages fit before it starts afresh"
