"""The enquiry form: a valid enquiry, and posting it through the test client or over HTTP."""

import io
import re
from collections.abc import Mapping
from typing import Any

import pikepdf
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, encode_multipart

from tests.support.net import http_request

VALID_ENQUIRY = {
    "name": "Ada Lovelace",
    "email": "ada@example.org",
    "position": "phd-deep-learning-satellite-images",
    "message": "I would like to know more about the two PhD topics and the start date.",
    "consent": "y",
}


# The smallest file that starts as every PDF does; the site judges a PDF by those bytes.
def blank_page_pdf() -> bytes:
    """A real PDF of one blank page, the same bytes on every run: the site parses what it gets."""
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        out = io.BytesIO()
        pdf.save(out, static_id=True)
        return out.getvalue()


PDF_BYTES = blank_page_pdf()

# An enquiry's reference, as the confirmation page and the mails show it.
REFERENCE = re.compile(r"RS-[0-9A-Z]{4}-[0-9A-Z]{4}")


def multipart(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A multipart/form-data body built in memory; (bytes, name, type) tuples become files.

    A None value leaves that field out. The test client would spool a large upload to a
    temporary file it never closes.
    """
    values: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, tuple):
            data, filename, content_type = value
            data = data.getvalue() if hasattr(data, "getvalue") else data
            value = FileStorage(io.BytesIO(data), filename=filename, content_type=content_type)
        if value is not None:
            values[name] = value
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def post_enquiry(
    client: FlaskClient,
    headers: Mapping[str, str] | None = None,
    url: str = "/enquiry",
    **changes: Any,
) -> TestResponse:
    """POST the valid enquiry with `changes` through the test client, as multipart/form-data.

    To `url`: /de/enquiry sends it in German. A None value leaves that field out; a
    (bytes, name, type) tuple is a file. The redirect is not followed.
    """
    return client.post(url, headers=headers, **multipart({**VALID_ENQUIRY, **changes}))


def post_enquiry_over_http(base_url: str, timeout: float = 30, **changes: str) -> int:
    """POST the valid enquiry with `changes` to a real server, form-encoded; the answer's status.

    One connection of its own; the redirect is not followed.
    """
    status, _ = http_request(base_url, "POST", "/enquiry", {**VALID_ENQUIRY, **changes}, timeout)
    return status
