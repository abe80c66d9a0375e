"""Hostile input: header injection, script injection and odd files fail safely."""

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.app import stored_enquiries
from tests.support.forms import PDF_BYTES, VALID_ENQUIRY, post_enquiry
from tests.support.smtp import SmtpSink, body_text, decoded_header
from tests.support.waiting import wait_until

LINE_BREAKS = ["\r\n", "\n", "\r", "\x85", "\u2028", "\u2029", "\x0b", "\x0c", "\x00", "\x1b"]
EXPECTED_HEADERS = {
    "Content-Type", "MIME-Version", "Subject", "From", "To", "Date", "Message-ID", "Reply-To",
}  # fmt: skip


@pytest.mark.parametrize("line_break", LINE_BREAKS)
@pytest.mark.parametrize("field", ["name", "email"])
def test_line_breaks_and_control_characters_are_refused_in_header_fields(
    app: Flask, client: FlaskClient, field: str, line_break: str
) -> None:
    value = f"{VALID_ENQUIRY[field]}{line_break}Bcc: victim@example.org"
    # Any, as post_enquiry's own: mypy checks a dict's values against its headers argument too.
    changes: dict[str, Any] = {field: value}
    response = post_enquiry(client, **changes)
    assert response.status_code == 422
    assert stored_enquiries(app) == []


ACCEPTED_BUT_HARMLESS = [
    "Ada %0d%0aBcc: victim",
    "Ada %0D%0A%20Bcc: victim",
    "=?utf-8?b?QmNjOiB2aWN0aW1AZXhhbXBsZS5vcmc=?=",
    "=?utf-8?q?Ada=0D=0ABcc=3A_victim=40example=2Eorg?=",
    '"Ada"; Bcc: victim',
    "Ada\tLovelace".replace("\t", " ") + " Bcc: victim",
    "Ä" * 100,
]

# A name that reads as an address, in ASCII or in look-alikes that NFKC maps to it, or hidden
# behind bidi controls: refused at the field.
READS_AS_AN_ADDRESS = [
    "Ada %0d%0aBcc: victim@example.org",
    "Ada Lovelace <victim@example.org>",
    "victim@example.org, other@example.org",
    '"Ada" <victim@example.org>;',
    "Ada ＜boss＠tu-berlin.de＞",
    "Ada ﹤boss﹫tu-berlin.de﹥",
    "Ada ‹boss@tu-berlin.de›",
    "Ada \u202eed.nilreb-ut@ssob",
]


@pytest.mark.parametrize("name", READS_AS_AN_ADDRESS)
def test_a_name_that_reads_as_an_address_is_refused_with_what_to_do(
    app: Flask, client: FlaskClient, name: str
) -> None:
    response = post_enquiry(client, name=name)
    assert response.status_code == 422
    assert "Enter your name without @, &lt; or &gt;" in response.get_data(as_text=True)
    assert stored_enquiries(app) == []


HIDDEN_CHARACTERS = [
    ("Ada\u200b Lovelace", "Ada Lovelace"),  # zero-width space
    ("Ada \u202eLovelace\u202c", "Ada Lovelace"),  # right-to-left override
    ("Ada \u2066Lovelace\u2069", "Ada Lovelace"),  # isolates
    ("\ufeffAda Lovelace", "Ada Lovelace"),  # byte-order mark
    ("Ada Love\u00adlace", "Ada Lovelace"),  # soft hyphen
    ("Ａｄａ　Ｌｏｖｅｌａｃｅ", "Ada Lovelace"),  # fullwidth letters and space
]


@pytest.mark.parametrize(("typed", "stored"), HIDDEN_CHARACTERS)
def test_hidden_and_look_alike_characters_never_reach_the_professor(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None, typed: str, stored: str
) -> None:
    assert post_enquiry(client, name=typed).status_code == 303
    mails = smtp.wait_for(2)
    professor = next(m for m in mails if "professor@rsim.example.org" in m.rcpt_tos)
    assert stored_enquiries(app)[0].name == stored
    assert stored in professor.shown("Subject")
    assert professor.shown("Reply-To") == f"{stored} <ada@example.org>"


@pytest.mark.parametrize("name", ACCEPTED_BUT_HARMLESS)
def test_no_name_adds_a_recipient_or_a_header_to_either_mail(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None, name: str
) -> None:
    assert post_enquiry(client, name=name).status_code == 303
    mails = smtp.wait_for(2)
    recipients = sorted(address for mail in mails for address in mail.rcpt_tos)
    assert recipients == ["ada@example.org", "professor@rsim.example.org"]
    for received in mails:
        message = received.message
        assert set(message.keys()) <= EXPECTED_HEADERS
        assert message["Bcc"] is None and message["Cc"] is None
        assert [address.addr_spec for address in message["To"].addresses][0] in recipients
    professor = next(m.message for m in mails if "professor@rsim.example.org" in m.rcpt_tos)
    assert [a.addr_spec for a in professor["Reply-To"].addresses] == ["ada@example.org"]
    # What a mail client shows once it decodes the header names no other address either.
    shown = decoded_header(professor["Reply-To"])
    assert re.findall(r"[\w.+-]+@[\w.-]+", shown) == ["ada@example.org"]


def test_a_ten_thousand_character_name_is_refused(app: Flask, client: FlaskClient) -> None:
    assert post_enquiry(client, name="A" * 10_000).status_code == 422
    assert stored_enquiries(app) == []


SCRIPT = "<script>alert('x')</script><img src=x onerror=alert(1)>"


def test_html_in_every_text_field_is_escaped_when_the_form_comes_back(client: FlaskClient) -> None:
    response = post_enquiry(client, name=SCRIPT, email=SCRIPT, message=SCRIPT, position=SCRIPT)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


def test_html_is_escaped_in_the_professors_mail_and_the_confirmation(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    # A name with < or > is refused (it could read as an address); & and quotes are not.
    response = post_enquiry(client, name="Ada & 'Bold' O'Neil", message=f"Hello there. {SCRIPT}")
    confirmation = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<script>alert" not in confirmation
    mails = smtp.wait_for(2)
    for received in mails:
        html = body_text(received.message, "html")
        assert "<script>" not in html and "<img" not in html
    professor = next(m.message for m in mails if "professor@rsim.example.org" in m.rcpt_tos)
    html = body_text(professor, "html")
    assert "Ada &amp; &#39;Bold&#39; O&#39;Neil" in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("filename", "stored_as"),
    [
        ("../../../etc/passwd.pdf", "passwd.pdf"),
        # Backslashes escape the next letter in a multipart header: the site gets C:Usersadacv.pdf.
        ("C:\\Users\\ada\\cv.pdf", "CUsersadacv.pdf"),
        ("a" * 496 + ".pdf", ("a" * 496 + ".pdf")[-120:]),
        ("<script>.pdf", "script.pdf"),
        ("....pdf", "pdf"),
        ("../", "cv.pdf"),
        # The applicant's own name for the file, in any script.
        ("лебенслауф.pdf", "лебенслауф.pdf"),
        ("Lebenslauf Müller-Ødegård.pdf", "Lebenslauf_Müller-Ødegård.pdf"),
        ("السيرة الذاتية.pdf", "السيرة_الذاتية.pdf"),
        ("बायोडाटा.pdf", "बायोडाटा.pdf"),
        ("Lebenslauf  Jürgen\tWeiß.pdf", "Lebenslauf_Jürgen_Weiß.pdf"),
        # Decomposed letters are composed; bidirectional and invisible characters dropped.
        ("Mu\u0308ller.pdf", "Müller.pdf"),
        ("cv\u202efdp.exe.pdf", "cvfdp.exe.pdf"),
        ("cv\u200b\x00.pdf", "cv.pdf"),
    ],
)
def test_odd_file_names_are_stored_safely_and_attached_under_a_safe_name(
    app: Flask,
    client: FlaskClient,
    smtp: SmtpSink,
    consumer: None,
    filename: str,
    stored_as: str,
) -> None:
    assert post_enquiry(client, cv=(PDF_BYTES, filename, "application/pdf")).status_code == 303
    wait_until(lambda: stored_enquiries(app)[0].status == "sent")
    (enquiry,) = stored_enquiries(app)
    assert [d.filename for d in enquiry.documents] == [stored_as]
    professor = next(m.message for m in smtp.received if "professor@rsim.example.org" in m.rcpt_tos)
    (attachment,) = list(professor.iter_attachments())
    assert attachment.get_filename() == "CV – Ada Lovelace.pdf"
    assert attachment.get_payload(decode=True) == PDF_BYTES


def test_a_pdf_sent_with_another_content_type_is_still_taken_by_its_content(
    app: Flask, client: FlaskClient
) -> None:
    assert post_enquiry(client, cv=(PDF_BYTES, "cv", "application/octet-stream")).status_code == 303
    assert [d.size for d in stored_enquiries(app)[0].documents] == [len(PDF_BYTES)]


def test_a_body_larger_than_the_limit_is_refused_kindly_without_being_read(
    app: Flask, client: FlaskClient
) -> None:
    too_big = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post(
        "/enquiry",
        data=b"x" * 16,  # Far less than announced: a server reading it all would wait.
        content_type="multipart/form-data; boundary=x",
        environ_overrides={"CONTENT_LENGTH": str(too_big)},
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert "The file is too large" in text
    assert 'href="/enquiry"' in text or 'href="/openpositions"' in text
    assert stored_enquiries(app) == []
