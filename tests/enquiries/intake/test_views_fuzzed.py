"""Property: whatever arrives at /enquiry, the site answers without a 5xx, and stores or queues
nothing for a submission it refuses."""

import io
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from tests.support.app import make_app, queued_tasks, stored_enquiries
from tests.support.forms import PDF_BYTES, VALID_ENQUIRY
from tests.support.smtp import SmtpSink

FIELDS = ["name", "email", "position", "message", "consent", "cv", "website", "started", "extra"]

any_text = st.one_of(
    st.text(max_size=200),
    st.text(min_size=4990, max_size=5100),
    st.sampled_from(["", " ", "\r\n", "\x00", "\u2028", "=?utf-8?q?x?=", "<script>", "%0d%0a"]),
)
file_part = st.tuples(
    st.one_of(st.binary(max_size=300), st.just(PDF_BYTES), st.just(b"")),
    st.text(max_size=80),
    st.sampled_from(["application/pdf", "image/png", "text/plain", "", "x/y; z"]),
)


@st.composite
def submissions(draw: Any) -> tuple[str, Any]:
    """A form built from the valid one: fields kept, dropped, replaced, repeated or added."""
    form: list[tuple[str, Any]] = []
    for field in FIELDS:
        action = draw(st.sampled_from(["keep", "keep", "drop", "replace", "repeat"]))
        valid = VALID_ENQUIRY.get(field)
        if action == "drop" or (action == "keep" and valid is None):
            continue
        if field == "cv" and action in ("replace", "repeat"):
            form.append((field, draw(file_part)))
            continue
        value = valid if action == "keep" else draw(any_text)
        form.append((field, value))
        if action == "repeat":
            form.append((field, draw(any_text)))
    token = draw(st.sampled_from(["valid", "valid", "missing", "garbage"]))
    form.append(("csrf_token", token))
    shape = draw(st.sampled_from(["multipart", "multipart", "urlencoded", "raw"]))
    if shape == "raw":
        return "raw", (draw(st.binary(max_size=500)), draw(st.sampled_from(RAW_TYPES)))
    return shape, form


RAW_TYPES = [
    "multipart/form-data",
    "multipart/form-data; boundary=abc",
    "application/x-www-form-urlencoded",
    "application/json",
    "text/plain",
]


@pytest.fixture
def fuzz_app(tmp_path: Path, smtp: SmtpSink) -> Flask:
    return make_app(tmp_path, smtp.port, WTF_CSRF_ENABLED=True)


def csrf_token_of(client: FlaskClient) -> str:
    html = client.get("/enquiry").get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match
    return match.group(1)


def send(client: FlaskClient, token: str, shape: str, payload: Any) -> Any:
    if shape == "raw":
        body, content_type = payload
        return client.post("/enquiry", data=body, content_type=content_type)
    form: MultiDict[str, str | tuple[io.BytesIO, str, str]] = MultiDict()
    for name, value in payload:
        if name == "csrf_token":
            if value == "missing":
                continue
            value = token if value == "valid" else "garbage-token"
        if isinstance(value, tuple):
            data, filename, content_type = value
            value = (io.BytesIO(data), filename, content_type)
        form.add(name, value)
    content_type = "multipart/form-data" if shape == "multipart" else None
    if content_type is None and any(isinstance(v, tuple) for _, v in form.items(multi=True)):
        content_type = "multipart/form-data"
    return client.post("/enquiry", data=form, content_type=content_type)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(submission=submissions())
def test_no_submission_causes_a_server_error_or_stores_what_it_refuses(
    fuzz_app: Flask, caplog: pytest.LogCaptureFixture, submission: tuple[str, Any]
) -> None:
    caplog.set_level(logging.ERROR)
    client = fuzz_app.test_client()
    token = csrf_token_of(client)
    stored_before = len(stored_enquiries(fuzz_app))
    queued_before = queued_tasks(fuzz_app)

    response = send(client, token, *submission)

    assert response.status_code < 500, response.get_data(as_text=True)[:500]
    assert "Traceback" not in response.get_data(as_text=True)
    stored_after = len(stored_enquiries(fuzz_app))
    if response.status_code == 303:
        assert stored_after - stored_before in (0, 1)  # 0: a bot trap or a repeat
        assert queued_tasks(fuzz_app) - queued_before == stored_after - stored_before
    else:
        assert response.status_code in (400, 413, 422)
        assert stored_after == stored_before
        assert queued_tasks(fuzz_app) == queued_before
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
