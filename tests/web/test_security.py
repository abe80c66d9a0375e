"""Security headers on every route, with and without HTTPS, and the cookies' flags."""

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.support.app import make_app
from tests.support.forms import VALID_ENQUIRY, multipart, post_enquiry
from tests.support.net import free_port
from tests.support.smtp import SmtpSink

ROUTES = [
    ("GET", "/"),
    ("GET", "/openpositions.html"),
    ("GET", "/openpositions"),
    ("GET", "/openpositions/phd-deep-learning-satellite-images"),
    ("GET", "/openpositions.atom"),
    ("GET", "/enquiry"),
    ("GET", "/enquiry?position=general"),
    ("POST", "/enquiry"),
    ("GET", "/privacy"),
    ("GET", "/legal-notice"),
    ("GET", "/static/site.css"),
    ("GET", "/no-such-page"),
    ("DELETE", "/openpositions"),
]


def fetch(app: Flask, method: str, path: str, **kwargs: Any) -> Any:
    client = app.test_client()
    if method == "POST":
        kwargs.update(multipart(VALID_ENQUIRY))
    response = client.open(path, method=method, **kwargs)
    response.close()  # A static file is streamed from an open file.
    return response


def assert_security_headers(headers: Any) -> None:
    policy = dict(
        (part.strip().split(" ", 1) + [""])[:2]
        for part in headers["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    for directive in ("script-src", "style-src", "img-src", "font-src", "form-action", "base-uri"):
        assert policy[directive] == "'self'", directive
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    assert "unsafe-eval" not in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    permissions = headers["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in permissions
    assert headers["X-Request-ID"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_carries_the_security_headers_over_http(
    app: Flask, method: str, path: str
) -> None:
    response = fetch(app, method, path)
    assert response.status_code < 500
    assert_security_headers(response.headers)
    assert "Strict-Transport-Security" not in response.headers, "no HSTS on plain http"


@pytest.fixture
def https_app(tmp_path: Path, smtp: SmtpSink) -> Flask:
    return make_app(tmp_path, smtp.port, HTTPS=True, WTF_CSRF_ENABLED=True)


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_with_https_on_every_route_carries_hsts_and_the_headers(
    https_app: Flask, method: str, path: str
) -> None:
    response = fetch(https_app, method, path, base_url="https://positions.example.org")
    assert response.status_code < 500
    assert_security_headers(response.headers)
    hsts = response.headers["Strict-Transport-Security"]
    assert int(hsts.removeprefix("max-age=").split(";")[0]) >= 365 * 24 * 3600


def test_with_https_on_plain_http_is_redirected(https_app: Flask) -> None:
    response = https_app.test_client().get("/openpositions")
    assert response.status_code == 301
    assert response.headers["Location"] == "https://localhost/openpositions"


def test_with_https_the_session_cookie_is_secure_httponly_and_lax(https_app: Flask) -> None:
    response = https_app.test_client().get("/enquiry", base_url="https://positions.example.org")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_without_https_the_session_cookie_is_httponly_and_lax_but_not_secure(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, WTF_CSRF_ENABLED=True)
    cookie = app.test_client().get("/enquiry").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def test_pages_without_a_form_set_no_cookie(app: Flask) -> None:
    for path in (
        "/openpositions",
        "/openpositions/phd-deep-learning-satellite-images",
        "/privacy",
        "/legal-notice",
    ):
        assert "Set-Cookie" not in app.test_client().get(path).headers


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, RATELIMIT_ENABLED=True, ENQUIRY_FLOOD_LIMIT="2 per hour")
    client = app.test_client()
    codes = [
        post_enquiry(
            client,
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
            message=f"Message number {n} for the rate limit.",
        ).status_code
        for n in range(3)
    ]
    assert codes == [303, 303, 429], "a forged X-Forwarded-For does not dodge the limit"


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_limited(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(
        tmp_path,
        smtp.port,
        RATELIMIT_ENABLED=True,
        ENQUIRY_FLOOD_LIMIT="1 per hour",
        TRUSTED_PROXIES=1,
    )
    client = app.test_client()

    def post_from(address: str, n: int) -> int:
        message = f"Message number {n} from {address}."
        return post_enquiry(
            client, headers={"X-Forwarded-For": address}, message=message
        ).status_code

    assert post_from("198.51.100.1", 1) == 303
    assert post_from("198.51.100.1", 2) == 429
    assert post_from("198.51.100.2", 3) == 303, "another client behind the same proxy"


def test_with_the_shared_rate_limit_store_down_limits_still_hold_per_process(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    # Redis unreachable: Flask-Limiter counts in memory rather than failing every request.
    app = make_app(
        tmp_path,
        smtp.port,
        RATELIMIT_ENABLED=True,
        ENQUIRY_RATE_LIMIT="2 per hour",
        ENQUIRY_FLOOD_LIMIT="2 per hour",
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{free_port()}/0",
    )
    client = app.test_client()
    assert client.get("/openpositions").status_code == 200
    codes = [
        post_enquiry(client, message=f"Message {n} while Redis is down.").status_code
        for n in range(3)
    ]
    assert codes == [303, 303, 429]


# Behind the shipped nginx, which adds them to every answer (see tests/deploy/test_nginx_edge.py).
LEFT_TO_THE_EDGE = [
    "Content-Security-Policy",
    "Permissions-Policy",
    "X-Frame-Options",
    "X-Content-Type-Options",
    "Strict-Transport-Security",
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_behind_the_edge_the_site_leaves_out_the_headers_the_edge_adds(
    tmp_path: Path, smtp: SmtpSink, method: str, path: str
) -> None:
    app = make_app(tmp_path, smtp.port, HTTPS=True, EDGE_ADDS_SECURITY_HEADERS=True)
    response = fetch(app, method, path, base_url="https://positions.example.org")
    assert response.status_code < 500
    assert [name for name in LEFT_TO_THE_EDGE if name in response.headers] == []
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
