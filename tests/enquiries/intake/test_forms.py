"""The enquiry form: what it accepts, what it refuses and how it says so, and its spam defences."""

import io
import logging
import re
import secrets
import time
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeSerializer

from tests.support.app import make_app, queued_tasks, stored_enquiries
from tests.support.content import add_closed_position, copy_content
from tests.support.forms import PDF_BYTES, VALID_ENQUIRY, post_enquiry
from tests.support.html import html_text
from tests.support.smtp import SmtpSink

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 64

pytestmark = pytest.mark.database


def page_text(response: Any) -> str:
    return unescape(response.get_data(as_text=True))


def test_form_shows_every_field_with_a_label(client: FlaskClient) -> None:
    html = client.get("/enquiry").get_data(as_text=True)
    for field in ("name", "email", "position", "message", "cv", "consent"):
        assert f'id="{field}"' in html
        assert f'<label for="{field}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "novalidate" in html
    assert 'href="/privacy"' in html


def test_no_length_limit_in_the_page_can_silently_cut_a_pasted_text(client: FlaskClient) -> None:
    # The browser would truncate a paste at maxlength without a word; the server says instead.
    assert "maxlength" not in client.get("/enquiry").get_data(as_text=True)


def test_position_in_the_address_is_preselected(client: FlaskClient) -> None:
    html = client.get("/enquiry?position=postdoc-fellowship").get_data(as_text=True)
    assert re.search(r'<option selected value="postdoc-fellowship">', html)


def test_choices_are_the_open_positions_then_fellowship_and_general(client: FlaskClient) -> None:
    html = client.get("/enquiry").get_data(as_text=True)
    values = re.findall(r'<option(?: selected)? value="([^"]*)"', html)
    assert values == ["", "phd-deep-learning-satellite-images", "postdoc-fellowship", "general"]


BAD_INPUTS = [
    ("name", "", "Enter your name"),
    ("name", "   ", "Enter your name"),
    ("name", "x" * 101, "Your name must be 100 characters or fewer"),
    ("name", "Ada\r\nBcc: victim@example.org", "Enter your name on one line, without line breaks"),
    ("name", "Ada\u2028Lovelace", "Enter your name on one line, without line breaks"),
    ("name", "Ada\x00Lovelace", "Enter your name on one line, without line breaks"),
    ("email", "", "Enter your email address"),
    ("email", "not-an-address", "Enter an email address in the correct format"),
    ("email", "Ada <ada@example.org>", "Enter an email address in the correct format"),
    (
        "email",
        "ada@example.org\r\nBcc: victim@example.org",
        "Enter an email address in the correct",
    ),
    ("position", "", "Choose what your enquiry is about"),
    ("position", "no-such-position", "Choose what your enquiry is about"),
    ("message", "", "Enter your message"),
    ("message", "Too short.", "Your message must be between 20 and 5,000 characters"),
    ("message", "x" * 5001, "Your message must be between 20 and 5,000 characters"),
    ("consent", None, "Confirm that we may store and send your details"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_INPUTS)
def test_bad_input_is_refused_with_a_message_that_says_what_to_do(
    app: Flask, client: FlaskClient, smtp: SmtpSink, field: str, value: Any, message: str
) -> None:
    response = post_enquiry(client, **{field: value})
    assert response.status_code == 422
    text = page_text(response)
    assert "There is a problem" in text
    assert f'<a href="#{field}">{message}' in text, "the summary links to the field"
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}', text), "message by the field"
    assert re.search(r"<title>Error: ", text)
    assert stored_enquiries(app) == []
    assert queued_tasks(app) == 0
    assert smtp.received == []


CV_PROBLEMS = [
    (b"", "cv.pdf", "application/pdf", "The selected file is empty"),
    (PNG_BYTES, "cv.pdf", "application/pdf", "The selected file must be a PDF"),
    (EXE_BYTES, "cv.pdf", "application/pdf", "The selected file must be a PDF"),
    # One byte over what fits, as a whole mail, through a relay that takes 10,240,000 bytes.
    (b"%PDF-1.4\n" + b"0" * 7_387_249, "cv.pdf", "application/pdf", "must be at most 7.3 MB"),
]


@pytest.mark.parametrize(("data", "filename", "content_type", "message"), CV_PROBLEMS)
def test_a_cv_that_is_not_a_pdf_is_refused(
    app: Flask, client: FlaskClient, data: bytes, filename: str, content_type: str, message: str
) -> None:
    response = post_enquiry(client, cv=(io.BytesIO(data), filename, content_type))
    assert response.status_code == 422
    assert message in page_text(response)
    assert stored_enquiries(app) == []


def test_a_pdf_is_judged_by_its_content_not_its_name_or_type(
    app: Flask, client: FlaskClient
) -> None:
    response = post_enquiry(client, cv=(io.BytesIO(PDF_BYTES), "lebenslauf.bin", "image/png"))
    assert response.status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert [(d.key, d.size) for d in enquiry.documents] == [("cv", len(PDF_BYTES))]


def test_every_value_but_the_file_is_kept_on_error(client: FlaskClient) -> None:
    response = post_enquiry(
        client,
        name="Begüm <b>Test</b>",
        email="begum@example.org",
        message="short",
        cv=(io.BytesIO(PDF_BYTES), "cv.pdf", "application/pdf"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Begüm &lt;b&gt;Test&lt;/b&gt;"' in html
    assert 'value="begum@example.org"' in html
    assert re.search(r">\s*short</textarea>", html)
    assert '<option selected value="phd-deep-learning-satellite-images">' in html
    assert '<input checked id="consent"' in html


def test_a_valid_enquiry_is_stored_queued_and_confirmed(app: Flask, client: FlaskClient) -> None:
    response = post_enquiry(
        client, cv=(io.BytesIO(PDF_BYTES), "../../etc/My CV.pdf", "application/pdf")
    )
    assert response.status_code == 303
    assert response.headers["Location"].startswith("/enquiry/received/")
    (enquiry,) = stored_enquiries(app)
    assert enquiry.status == "pending"
    assert enquiry.name == "Ada Lovelace"
    assert [d.filename for d in enquiry.documents] == ["My_CV.pdf"], "without its folders"
    assert queued_tasks(app) == 1
    confirmation = client.get(response.headers["Location"])
    assert confirmation.status_code == 200
    text = page_text(confirmation)
    assert enquiry.reference in text
    assert "What happens next" in text
    assert "within two weeks" in text
    assert re.fullmatch(r"RS-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}", enquiry.reference)
    # Reloading the confirmation sends nothing again.
    client.get(response.headers["Location"])
    assert len(stored_enquiries(app)) == 1
    assert queued_tasks(app) == 1


def test_an_internationalised_address_is_accepted_and_normalised(
    app: Flask, client: FlaskClient
) -> None:
    response = post_enquiry(client, email="  Ada.Lovelace@Bücher.example ")
    assert response.status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert enquiry.email == "Ada.Lovelace@bücher.example"


def test_an_address_that_mail_cannot_reach_says_what_to_use_instead(client: FlaskClient) -> None:
    response = post_enquiry(client, email="josé@example.org")
    assert response.status_code == 422
    assert "Use an email address without accented or non-Latin letters before the @" in page_text(
        response
    )


def test_the_same_enquiry_twice_is_stored_once_with_the_same_reference(
    app: Flask, client: FlaskClient
) -> None:
    first = post_enquiry(client)
    second = post_enquiry(client, message="  " + VALID_ENQUIRY["message"].upper() + " ")
    third = post_enquiry(client)
    assert first.headers["Location"] == third.headers["Location"]
    assert len(stored_enquiries(app)) == 2, "a different message is a different enquiry"
    assert second.status_code == 303


def test_a_forged_confirmation_address_is_not_found(client: FlaskClient) -> None:
    assert client.get("/enquiry/received/not-a-signed-token").status_code == 404


def test_honeypot_shows_the_confirmation_and_sends_nothing(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = post_enquiry(client, website="http://spam.example")
    assert response.status_code == 303
    assert "Enquiry received" in page_text(client.get(response.headers["Location"]))
    assert stored_enquiries(app) == []
    assert queued_tasks(app) == 0
    assert "caught as spam (honeypot)" in caplog.text


def test_honeypot_is_hidden_from_people_and_assistive_technology(client: FlaskClient) -> None:
    html = client.get("/enquiry").get_data(as_text=True)
    assert re.search(r'<div class="trap" aria-hidden="true">', html)
    assert re.search(r'id="website"[^>]*tabindex="-1"|tabindex="-1"[^>]*id="website"', html)


@pytest.fixture
def timed_app(tmp_path: Any, smtp: SmtpSink) -> Flask:
    return make_app(tmp_path, smtp.port, ENQUIRY_MIN_SECONDS=3)


def started_token(app: Flask, seconds_ago: int) -> str:
    """A form stamp as the site issues it: first shown `seconds_ago`, with a nonce of its own."""
    serializer = URLSafeSerializer(app.config["SECRET_KEY"], salt="enquiry-form-started")
    return serializer.dumps([int(time.time()) - seconds_ago, secrets.token_hex(16)])


def test_a_form_sent_back_too_fast_comes_back_to_check_and_is_not_confirmed(
    timed_app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = timed_app.test_client()
    html = client.get("/enquiry").get_data(as_text=True)
    token = re.search(r'id="started" name="started" type="hidden" value="([^"]+)"', html)
    assert token
    response = post_enquiry(client, started=token.group(1))
    assert response.status_code == 422
    text = page_text(response)
    assert "Please check your details, then send the form again." in text
    assert VALID_ENQUIRY["message"] in text
    assert "RS-" not in text
    assert stored_enquiries(timed_app) == []
    assert "sent back too fast" in caplog.text


@pytest.mark.parametrize("token", ["", "forged.token"])
def test_a_form_without_a_valid_start_time_is_not_accepted(timed_app: Flask, token: str) -> None:
    response = post_enquiry(timed_app.test_client(), started=token)
    assert response.status_code == 422
    assert "Please check your details" in page_text(response)
    assert stored_enquiries(timed_app) == []


def test_a_form_filled_at_human_speed_is_accepted(timed_app: Flask) -> None:
    response = post_enquiry(
        timed_app.test_client(), started=started_token(timed_app, seconds_ago=30)
    )
    assert response.status_code == 303
    assert len(stored_enquiries(timed_app)) == 1


def test_a_missing_form_token_gives_a_friendly_page_that_keeps_the_values(
    tmp_path: Any, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, WTF_CSRF_ENABLED=True)
    response = post_enquiry(app.test_client())
    assert response.status_code == 400
    text = page_text(response)
    assert "Your form expired. Check your details and send it again." in text
    assert 'value="Ada Lovelace"' in text
    assert VALID_ENQUIRY["message"] in text
    assert 'name="csrf_token"' in text, "a fresh token to send it again with"
    assert stored_enquiries(app) == []


def test_a_form_with_its_token_is_accepted(tmp_path: Any, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    html = client.get("/enquiry").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert token
    assert post_enquiry(client, csrf_token=token.group(1)).status_code == 303


def test_the_sixth_enquiry_from_one_address_in_an_hour_is_refused_kindly(
    tmp_path: Any, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, RATELIMIT_ENABLED=True)
    client = app.test_client()
    answers = [
        post_enquiry(client, message=f"Enquiry number {n} about the positions.") for n in range(5)
    ]
    assert [answer.status_code for answer in answers] == [303] * 5
    sixth = post_enquiry(client, message="The sixth enquiry within the hour, please.")
    assert sixth.status_code == 429
    text = page_text(sixth)
    assert "You can send another in" in text
    assert "The sixth enquiry within the hour, please." in text, "nothing typed is lost"
    assert len(stored_enquiries(app)) == 5
    assert client.get("/enquiry").status_code == 200, "only sending is limited"


def test_the_limit_counts_both_languages_together(tmp_path: Any, smtp: SmtpSink) -> None:
    # One form at two addresses: switching language must not double what one sender may send.
    app = make_app(tmp_path, smtp.port, RATELIMIT_ENABLED=True)
    client = app.test_client()
    for n in range(5):
        url = "/enquiry" if n % 2 else "/de/enquiry"
        message = f"Enquiry number {n} about the positions."
        assert post_enquiry(client, url=url, message=message).status_code == 303
    sixth = post_enquiry(client, url="/de/enquiry", message="The sixth one, now in German.")
    assert sixth.status_code == 429
    assert "Sie haben von dieser E-Mail-Adresse in letzter Zeit mehrere Anfragen" in page_text(
        sixth
    )


def test_when_the_database_cannot_store_the_enquiry_nothing_is_confirmed_or_lost(
    tmp_path: Any, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port)
    with app.app_context():
        from openpositions.extensions import db

        db.session.execute(db.text("DROP TABLE enquiry"))  # The database has gone wrong.
        db.session.commit()
    response = post_enquiry(app.test_client())
    assert response.status_code == 503
    text = page_text(response)
    assert "We could not save your enquiry just now, so it was not sent." in text
    assert VALID_ENQUIRY["message"] in text, "what was typed is still there to send again"
    assert queued_tasks(app) == 0


# --- A link to a position the form no longer offers -----------------------------------------------


@pytest.fixture
def site_with_closed_position(tmp_path: Path, smtp: SmtpSink) -> Flask:
    content = copy_content(tmp_path)
    add_closed_position(content)
    return make_app(tmp_path, smtp.port, CONTENT_DIR=str(content))


def chosen_option(html: str) -> str:
    select = html[html.index('<select id="position"') : html.index("</select>")]
    chosen = re.findall(r'<option selected value="([^"]*)">', select)
    return chosen[0] if chosen else ""


@pytest.mark.parametrize(
    ("url", "said"),
    [
        (
            "/enquiry?position=postdoc-foundation-models-2025",
            "The position “Post-doc in Foundation Models for Earth Observation” has closed",
        ),
        (
            "/de/enquiry?position=postdoc-foundation-models-2025",
            "Die Stelle „Post-doc in Foundation Models for Earth Observation“ ist nicht mehr",
        ),
        ("/enquiry?position=no-such-position", "The position this link names does not take"),
        ("/de/enquiry?position=no-such-position", "Für die Stelle, auf die dieser Link verweist"),
    ],
)
def test_a_link_to_a_closed_or_unknown_position_says_so_and_offers_the_open_ones(
    site_with_closed_position: Flask, url: str, said: str
) -> None:
    response = site_with_closed_position.test_client().get(url)
    assert response.status_code == 200, "a notice, not an error"
    html = response.get_data(as_text=True)
    assert said in html_text(html)
    assert "error-summary" not in html
    assert chosen_option(html) == "", "“Choose one”: nothing chosen for them"
    select = html[html.index('<select id="position"') : html.index("</select>")]
    assert 'value="phd-deep-learning-satellite-images"' in select
    assert 'value="general"' in select
    assert "postdoc-foundation-models-2025" not in select
    positions_list = "/de/openpositions" if url.startswith("/de/") else "/openpositions"
    assert f'<a href="{positions_list}">' in html


@pytest.mark.parametrize("offered", ["phd-deep-learning-satellite-images", "general", ""])
def test_a_link_to_an_offered_topic_chooses_it_without_a_notice(
    client: FlaskClient, offered: str
) -> None:
    html = client.get(f"/enquiry?position={offered}").get_data(as_text=True)
    assert 'class="notice"' not in html
    if offered:
        assert f'<option selected value="{offered}">' in html
