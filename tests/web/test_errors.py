"""Every error answers with a page in the site's layout that says what to do, and no internals."""

import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import make_app
from tests.support.smtp import SmtpSink

INTERNALS = ("Traceback", 'File "', "werkzeug", "sqlalchemy", "Exception", "Error in")


def assert_friendly(html: str, heading: str) -> None:
    assert f"<h1>{heading}</h1>" in html
    assert '<main id="main"' in html, "in the site's layout"
    assert 'href="/openpositions"' in html, "a way on"
    for internal in INTERNALS:
        assert internal not in html


@pytest.mark.parametrize(
    ("method", "path", "status", "heading"),
    [
        ("GET", "/no-such-page", 404, "Page not found"),
        ("GET", "/openpositions/no-such-position", 404, "Page not found"),
        ("DELETE", "/openpositions", 405, "This address does not accept that kind of request"),
        ("PUT", "/enquiry", 405, "This address does not accept that kind of request"),
    ],
)
def test_client_errors_have_friendly_pages(
    client: FlaskClient, method: str, path: str, status: int, heading: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert_friendly(response.get_data(as_text=True), heading)


def test_a_malformed_request_gets_a_friendly_400(client: FlaskClient) -> None:
    response = client.post(
        "/enquiry", data=b"--x\r\nbroken", content_type="multipart/form-data"
    )  # No boundary: the body cannot be parsed.
    assert response.status_code in (400, 422)
    assert "Traceback" not in response.get_data(as_text=True)


def test_a_413_says_how_large_a_file_may_be(client: FlaskClient, app: Flask) -> None:
    response = client.post(
        "/enquiry",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(app.config["MAX_CONTENT_LENGTH"] + 1)},
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert_friendly(html, "The file is too large")
    assert "Each file may be at most 7.3 MB, and all files together at most 25 MB." in html
    assert '<a class="button" href="/enquiry">Back to the enquiry form</a>' in html


@pytest.fixture
def failing_app(tmp_path: Path, smtp: SmtpSink) -> Flask:
    app = make_app(tmp_path, smtp.port, TESTING=False)

    @app.get("/fail")
    def fail() -> str:
        raise RuntimeError("secret internal detail")

    return app


def test_an_unexpected_error_is_a_friendly_500_with_an_id_to_quote(
    failing_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = failing_app.test_client().get("/fail")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert_friendly(html, "Sorry, something went wrong on our side")
    assert "secret internal detail" not in html
    request_id = response.headers["X-Request-ID"]
    assert f"please quote this code: {request_id}" in html
    (record,) = [r for r in caplog.records if r.getMessage() == "Unhandled error"]
    # Set on the record by the site's logging filter, so not an attribute LogRecord declares.
    assert getattr(record, "request_id", None) == request_id
    assert "secret internal detail" in caplog.text, "the log keeps what the page does not"


def test_each_request_gets_its_own_id(client: FlaskClient) -> None:
    first = client.get("/openpositions").headers["X-Request-ID"]
    second = client.get("/openpositions").headers["X-Request-ID"]
    assert first and second and first != second


def test_a_request_id_from_a_client_is_not_trusted_without_a_proxy(client: FlaskClient) -> None:
    response = client.get("/openpositions", headers={"X-Request-ID": "forged-id"})
    assert response.headers["X-Request-ID"] != "forged-id"


def test_a_request_id_from_a_trusted_proxy_is_kept(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, TRUSTED_PROXIES=1)
    response = app.test_client().get("/openpositions", headers={"X-Request-ID": "nginx-42"})
    assert response.headers["X-Request-ID"] == "nginx-42"
