"""The paths people take through the form: mistakes, the Back button, a slow or quick send,
a CV chosen before a mistake, a file too big, limits; none loses what they sent, and no page
shows a reference for an enquiry that is not stored and on its way."""

import re
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from openpositions.enquiries.intake.drafts import FormDraft, purge_stale_drafts
from openpositions.enquiries.intake.held_documents import HeldDocument, purge_unused_documents
from openpositions.enquiries.intake.spam import FIRST_SHOWN
from openpositions.enquiries.totals import current_totals, spam_total
from openpositions.extensions import db
from tests.support.app import make_app, stored_enquiries
from tests.support.content import OFFICE_EMAIL, copy_content
from tests.support.forms import PDF_BYTES, REFERENCE, VALID_ENQUIRY, post_enquiry
from tests.support.html import Page
from tests.support.pdfs import pdf_of_size
from tests.support.smtp import SmtpSink

pytestmark = pytest.mark.database

PROFESSOR = "professor@rsim.example.org"
CHECK_AND_SEND = "Please check your details, then send the form again."


def text_of(response: TestResponse) -> str:
    return unescape(response.get_data(as_text=True))


def hidden(response: TestResponse, name: str) -> str:
    found = re.search(rf'name="{name}" type="hidden" value="([^"]*)"', response.get_data(True))
    assert found, f"no hidden {name}"
    return found.group(1)


def shown_form(client: FlaskClient, first_seen_ago: float = 0, query: str = "") -> TestResponse:
    """The form as this visitor sees it, who first saw it `first_seen_ago` seconds ago."""
    if first_seen_ago:
        with client.session_transaction() as session:
            session[FIRST_SHOWN] = int(time.time() - first_seen_ago)
    response = client.get(f"/enquiry{query}")
    assert response.status_code == 200
    return response


def send_from(client: FlaskClient, page: TestResponse, **changes: Any) -> TestResponse:
    """Send the form `page` shows, as a browser would: its hidden fields and `changes`."""
    fields = {"started": hidden(page, "started"), "held_cv": hidden(page, "held_cv")}
    return post_enquiry(client, **{**fields, **changes})


@pytest.fixture
def site(tmp_path: Path, smtp: SmtpSink, database: str) -> Iterator[Callable[..., Flask]]:
    """Make the site with settings of the test's own, on the test's database."""
    made: list[Flask] = []

    def make(**settings: Any) -> Flask:
        made.append(make_app(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database, **settings))
        return made[-1]

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()  # Close its connections before the database is dropped.


@pytest.fixture
def timed_app(site: Callable[..., Flask]) -> Flask:
    return site(ENQUIRY_MIN_SECONDS=3)


# --- Time -----------------------------------------------------------------------------------------


def test_a_quick_send_is_neither_confirmed_nor_dropped(timed_app: Flask) -> None:
    client = timed_app.test_client()
    page = shown_form(client)
    answer = send_from(client, page, cv=(PDF_BYTES, "cv.pdf", "application/pdf"))
    assert answer.status_code == 422
    text = text_of(answer)
    assert CHECK_AND_SEND in text
    assert VALID_ENQUIRY["message"] in text and 'value="Ada Lovelace"' in text
    assert "CV attached: cv.pdf" in text, "the CV is kept too"
    assert not REFERENCE.search(text)
    assert stored_enquiries(timed_app) == []


def test_the_fill_time_counts_from_the_first_showing_across_a_mistake(timed_app: Flask) -> None:
    client = timed_app.test_client()
    page = shown_form(client, first_seen_ago=60)
    mistake = send_from(client, page, email="ada@")
    assert mistake.status_code == 422
    fixed = send_from(client, mistake)  # Fixed and sent at once.
    assert fixed.status_code == 303
    assert len(stored_enquiries(timed_app)) == 1


def test_back_then_send_with_the_forgotten_cv_is_a_new_enquiry_with_the_cv(
    timed_app: Flask, smtp: SmtpSink
) -> None:
    client = timed_app.test_client()
    page = shown_form(client, first_seen_ago=60)
    first = send_from(client, page)
    assert first.status_code == 303
    # Back: the browser shows the form again; the CV is chosen and the form sent at once.
    again = shown_form(client)
    second = send_from(client, again, cv=(PDF_BYTES, "cv.pdf", "application/pdf"))
    assert second.status_code == 303
    assert "CV: cv.pdf" in text_of(client.get(second.headers["Location"]))
    first_stored, second_stored = stored_enquiries(timed_app)
    assert first_stored.documents == []
    assert [d.size for d in second_stored.documents] == [len(PDF_BYTES)]


def test_one_stamp_serves_one_accepted_enquiry(timed_app: Flask) -> None:
    client = timed_app.test_client()
    page = shown_form(client, first_seen_ago=60)
    assert send_from(client, page).status_code == 303
    other = "Another message sent with the same old form."
    reused = send_from(client, page, message=other)
    assert reused.status_code == 422
    assert CHECK_AND_SEND in text_of(reused)
    assert len(stored_enquiries(timed_app)) == 1
    assert send_from(client, reused, message=other).status_code == 303, "shown again, it sends"
    assert len(stored_enquiries(timed_app)) == 2


def test_an_expired_form_sent_again_at_once_is_accepted(site: Callable[..., Flask]) -> None:
    app = site(ENQUIRY_MIN_SECONDS=3, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = shown_form(client, first_seen_ago=60)
    expired = send_from(client, page, csrf_token="stale")
    assert expired.status_code == 400
    fixed = send_from(client, expired, csrf_token=hidden(expired, "csrf_token"))
    assert fixed.status_code == 303
    assert len(stored_enquiries(app)) == 1


# --- What an anonymous request may keep ----------------------------------------------------------

CHOOSE_AGAIN = (
    "Please choose your file for “CV” again before you send the form: the site did not keep it."
)


def held_cvs(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count()).select_from(HeldDocument)) or 0)


def test_a_forged_post_keeps_nothing_and_counts_against_the_flood_limit(
    site: Callable[..., Flask],
) -> None:
    # No cookie, no form token, a valid CV and a field in error: as a script floods the form.
    app = site(WTF_CSRF_ENABLED=True, RATELIMIT_ENABLED=True, ENQUIRY_FLOOD_LIMIT="3 per hour")
    cv = (pdf_of_size(200_000), "cv.pdf", "application/pdf")
    answers = [post_enquiry(app.test_client(), cv=cv, email="ada@example") for _ in range(4)]
    assert [answer.status_code for answer in answers] == [400, 400, 400, 429]
    assert held_cvs(app) == 0, "nothing of a forged or limited request is kept"
    for answer in answers:
        text = text_of(answer)
        assert CHOOSE_AGAIN in text, "the applicant is told to choose the file again"
        assert VALID_ENQUIRY["message"] in text, "what was typed is kept on the page"


def test_a_cv_sent_with_a_valid_token_and_a_mistake_is_still_held(
    site: Callable[..., Flask],
) -> None:
    app = site(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = shown_form(client)
    cv = (PDF_BYTES, "cv.pdf", "application/pdf")
    again = send_from(client, page, csrf_token=hidden(page, "csrf_token"), cv=cv, email="ada@")
    assert again.status_code == 422
    assert held_cvs(app) == 1
    assert CHOOSE_AGAIN not in text_of(again)


def test_past_the_held_cvs_quota_the_applicant_chooses_the_file_again(
    site: Callable[..., Flask],
) -> None:
    cv = (pdf_of_size(300_000), "cv.pdf", "application/pdf")
    app = site(HELD_CV_QUOTA=500_000)  # Room for one such CV, not two.
    first = post_enquiry(app.test_client(), cv=cv, email="ada@")
    second = post_enquiry(app.test_client(), cv=cv, email="ada@")
    assert (first.status_code, second.status_code) == (422, 422)
    assert CHOOSE_AGAIN not in text_of(first)
    assert CHOOSE_AGAIN in text_of(second)
    assert held_cvs(app) == 1


def test_a_database_that_cannot_hold_the_cv_gives_the_form_back_not_an_error(
    site: Callable[..., Flask],
) -> None:
    app = site()
    with app.app_context():
        # As a full disk or a broken table fails an INSERT.
        db.session.execute(sa.text("DROP TABLE held_document"))
        db.session.commit()
    answer = post_enquiry(
        app.test_client(), cv=(PDF_BYTES, "cv.pdf", "application/pdf"), email="ada@"
    )
    assert answer.status_code == 422
    text = text_of(answer)
    assert CHOOSE_AGAIN in text
    assert VALID_ENQUIRY["message"] in text


# --- Limits ---------------------------------------------------------------------------------------


def test_typos_never_count_against_the_limit(site: Callable[..., Flask]) -> None:
    app = site(RATELIMIT_ENABLED=True, ENQUIRY_RATE_LIMIT="5 per hour")
    client = app.test_client()
    for _ in range(7):
        assert post_enquiry(client, email="ada@example").status_code == 422
    assert post_enquiry(client).status_code == 303
    assert len(stored_enquiries(app)) == 1


def test_a_flood_of_posts_is_stopped_and_the_page_keeps_every_value(
    site: Callable[..., Flask],
) -> None:
    app = site(RATELIMIT_ENABLED=True, ENQUIRY_FLOOD_LIMIT="3 per hour")
    client = app.test_client()
    for _ in range(3):
        assert post_enquiry(client, email="ada@example").status_code == 422
    stopped = post_enquiry(client, message="The fourth try within the hour, kept as typed.")
    assert stopped.status_code == 429
    text = text_of(stopped)
    assert "You can send yours again in" in text
    assert "The fourth try within the hour, kept as typed." in text
    assert stored_enquiries(app) == []


def test_reading_the_form_never_counts_against_the_flood_limit(
    site: Callable[..., Flask],
) -> None:
    app = site(RATELIMIT_ENABLED=True, ENQUIRY_FLOOD_LIMIT="2 per hour")
    client = app.test_client()
    for _ in range(5):
        assert client.get("/enquiry").status_code == 200
        assert client.head("/de/enquiry").status_code == 200
    assert post_enquiry(client).status_code == 303, "the first POST of the hour"


def test_someone_else_on_the_same_network_is_not_refused_for_anothers_enquiries(
    site: Callable[..., Flask],
) -> None:
    # One campus NAT: every candidate comes from the same address.
    app = site(RATELIMIT_ENABLED=True, ENQUIRY_RATE_LIMIT="2 per hour")
    campus = {"REMOTE_ADDR": "130.149.1.1"}
    ada, grace = app.test_client(), app.test_client()
    ada.environ_base.update(campus)
    grace.environ_base.update(campus)
    for n in range(2):
        assert (
            post_enquiry(ada, message=f"Ada's enquiry number {n} to the group.").status_code == 303
        )
    refused = post_enquiry(ada, email="ADA@Example.org", message="Ada's third enquiry, typed.")
    assert refused.status_code == 429, "the address counts, whatever its case"
    text = text_of(refused)
    assert "You have sent several enquiries from this email address recently." in text
    assert re.search(r"You can send another in \d+ minutes?\.", text)
    assert "Ada's third enquiry, typed." in text
    answer = post_enquiry(grace, name="Grace Hopper", email="grace@example.org")
    assert answer.status_code == 303, "another candidate behind the same address"
    assert len(stored_enquiries(app)) == 3


def test_the_flood_limit_counts_an_ipv6_network_not_each_of_its_addresses(
    site: Callable[..., Flask],
) -> None:
    app = site(RATELIMIT_ENABLED=True, ENQUIRY_FLOOD_LIMIT="2 per hour")

    def post_from(address: str) -> int:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        return post_enquiry(client, email="ada@example").status_code

    # A host picks addresses from its /64 at will: they are one network.
    assert [post_from(f"2001:db8:1:2::{n}") for n in range(1, 4)] == [422, 422, 429]
    assert post_from("2001:db8:1:3::1") == 422, "the next /64 is someone else"
    assert post_from("::ffff:198.51.100.7") == 422


@pytest.mark.parametrize("office", [True, False], ids=["office-named", "office-not-named"])
def test_a_refused_visitor_is_offered_the_group_office_never_the_professor(
    site: Callable[..., Flask], tmp_path: Path, office: bool
) -> None:
    content = copy_content(tmp_path, fill_placeholders=office)
    app = site(RATELIMIT_ENABLED=True, ENQUIRY_FLOOD_LIMIT="1 per hour", CONTENT_DIR=str(content))
    client = app.test_client()
    post_enquiry(client, email="ada@example")
    refused = post_enquiry(client, email="ada@example")
    assert refused.status_code == 429
    html = refused.get_data(as_text=True)
    assert "Very many forms have been sent from your network just now" in text_of(refused)
    assert "demir@" not in html.lower()
    if office:
        assert (
            "You can also write to the group: RSiM group office, "
            f'<a href="mailto:{OFFICE_EMAIL}">{OFFICE_EMAIL}</a>.' in html
        )
    else:
        assert "You can also write to" not in html
        assert "mailto:" not in html


def test_an_empty_form_sent_at_once_shows_what_to_fill_in_and_is_not_spam(
    timed_app: Flask,
) -> None:
    client = timed_app.test_client()
    page = shown_form(client)
    empty = {"name": "", "email": "", "message": "", "position": "", "consent": None}
    answer = send_from(client, page, **empty)
    assert answer.status_code == 422
    text = text_of(answer)
    for error in ("Enter your name", "Enter your email address", "Enter your message"):
        assert error in text
    assert CHECK_AND_SEND not in text
    with timed_app.app_context():
        assert current_totals().get(spam_total("too_fast"), 0) == 0


def test_head_and_get_never_submit(app: Flask, client: FlaskClient) -> None:
    head = client.head("/enquiry?name=Ada&email=ada@example.org&message=x&consent=y")
    assert head.status_code == 200
    get = client.get("/enquiry", query_string={**VALID_ENQUIRY})
    assert get.status_code == 200
    assert "There is a problem" not in text_of(get)
    assert stored_enquiries(app) == []


# --- The language switch --------------------------------------------------------------------------


def switch_to_german(client: FlaskClient, query: str = "", **changes: Any) -> TestResponse:
    page = shown_form(client, query=query)
    return send_from(client, page, url=f"/de/enquiry{query}", switch_language="de", **changes)


def test_the_switch_keeps_what_was_typed_and_redirects_to_a_page_back_can_return_to(
    site: Callable[..., Flask],
) -> None:
    app = site()
    client = app.test_client()
    query = "?position=phd-deep-learning-satellite-images"
    switched = switch_to_german(client, query=query, cv=(PDF_BYTES, "cv.pdf", "application/pdf"))
    assert switched.status_code == 303
    assert switched.headers["Location"] == f"/de/enquiry{query}"
    page = client.get(f"/de/enquiry{query}")
    text = text_of(page)
    assert 'lang="de"' in text and "Es gibt ein Problem" not in text
    assert VALID_ENQUIRY["message"] in text
    assert "Lebenslauf angehängt: cv.pdf" in text
    assert client.get(f"/de/enquiry{query}").get_data() == page.get_data(), "again on Back"
    assert send_from(client, page, url=f"/de/enquiry{query}").status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert enquiry.language == "de"
    assert [d.filename for d in enquiry.documents] == ["cv.pdf"]
    assert VALID_ENQUIRY["message"] not in text_of(client.get(f"/de/enquiry{query}")), (
        "a sent enquiry's draft is gone"
    )
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FormDraft)) == 0


def test_a_draft_is_not_put_into_another_positions_form(site: Callable[..., Flask]) -> None:
    client = site().test_client()
    switch_to_german(client, query="?position=phd-deep-learning-satellite-images")
    other = text_of(client.get("/de/enquiry?position=general"))
    assert VALID_ENQUIRY["message"] not in other


def test_a_switch_without_the_form_token_keeps_nothing(site: Callable[..., Flask]) -> None:
    app = site(WTF_CSRF_ENABLED=True)
    client = app.test_client()
    answer = post_enquiry(client, url="/de/enquiry", switch_language="de")
    assert answer.status_code == 400
    assert VALID_ENQUIRY["message"] in text_of(answer), "shown as typed, kept nowhere"
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(FormDraft)) == 0


def test_a_draft_nobody_came_back_for_is_deleted(site: Callable[..., Flask]) -> None:
    app = site()
    switch_to_german(app.test_client())
    with app.app_context():
        assert purge_stale_drafts() == 0, "still within its time"
        db.session.execute(
            sa.update(FormDraft).values(created_at=FormDraft.created_at - timedelta(hours=3))
        )
        db.session.commit()
        assert purge_stale_drafts() == 1


def test_a_database_that_cannot_keep_the_draft_shows_the_switched_form_at_once(
    site: Callable[..., Flask],
) -> None:
    app = site()
    with app.app_context():
        db.session.execute(sa.text("DROP TABLE form_draft"))
        db.session.commit()
    answer = switch_to_german(app.test_client())
    assert answer.status_code == 200
    assert 'lang="de"' in text_of(answer) and VALID_ENQUIRY["message"] in text_of(answer)


# --- The CV ---------------------------------------------------------------------------------------


def test_a_cv_chosen_before_a_mistake_arrives_with_the_fixed_enquiry(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    cv = pdf_of_size(50_000)
    mistake = post_enquiry(client, email="ada@", cv=(cv, "Lebenslauf.pdf", "application/pdf"))
    assert mistake.status_code == 422
    assert "CV attached: Lebenslauf.pdf" in text_of(mistake)
    assert "Replace CV (optional)" in text_of(mistake)
    fixed = send_from(client, mistake)
    assert fixed.status_code == 303
    assert "CV: Lebenslauf.pdf" in text_of(client.get(fixed.headers["Location"]))
    mails = smtp.wait_for(2)
    professor = next(mail for mail in mails if PROFESSOR in mail.rcpt_tos)
    (attachment,) = list(professor.message.iter_attachments())
    assert attachment.get_payload(decode=True) == cv
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(HeldDocument)) == 0


def test_a_held_cv_can_be_removed_or_replaced(app: Flask, client: FlaskClient) -> None:
    mistake = post_enquiry(client, email="ada@", cv=(PDF_BYTES, "first.pdf", "application/pdf"))
    replaced = send_from(
        client, mistake, email="ada@", cv=(pdf_of_size(3000), "second.pdf", "application/pdf")
    )
    assert "CV attached: second.pdf" in text_of(replaced)
    removed = send_from(client, replaced, remove_cv="y")
    assert removed.status_code == 303
    assert "No files came with it." in text_of(client.get(removed.headers["Location"]))
    (enquiry,) = stored_enquiries(app)
    assert enquiry.documents == []


def test_an_altered_cv_reference_carries_no_cv(app: Flask, client: FlaskClient) -> None:
    mistake = post_enquiry(client, email="ada@", cv=(PDF_BYTES, "cv.pdf", "application/pdf"))
    reference = hidden(mistake, "held_cv")
    answer = send_from(client, mistake, held_cv=reference[:-2] + "xx")
    assert answer.status_code == 303
    (enquiry,) = stored_enquiries(app)
    assert enquiry.documents == []


def test_held_cvs_never_used_are_deleted(app: Flask, client: FlaskClient) -> None:
    post_enquiry(client, email="ada@", cv=(PDF_BYTES, "cv.pdf", "application/pdf"))
    with app.app_context():
        assert purge_unused_documents() == 0, "still within its time"
        db.session.execute(
            sa.update(HeldDocument).values(created_at=HeldDocument.created_at - timedelta(hours=3))
        )
        db.session.commit()
        assert purge_unused_documents() == 1


def test_a_file_over_the_cv_limit_keeps_everything_else(app: Flask, client: FlaskClient) -> None:
    cv = pdf_of_size(9_000_000)
    message = "Too big a file, but my words stay."
    answer = post_enquiry(client, message=message, cv=(cv, "scan.pdf", "application/pdf"))
    assert answer.status_code == 422
    text = text_of(answer)
    assert "The selected file must be at most 7.3 MB" in text
    assert message in text
    assert stored_enquiries(app) == []


def test_a_request_too_large_to_read_leads_back_to_the_form_with_its_position(
    app: Flask, client: FlaskClient
) -> None:
    answer = client.post(
        "/enquiry",
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        headers={"Referer": "http://localhost/enquiry?position=phd-deep-learning-satellite-images"},
        environ_overrides={"CONTENT_LENGTH": str(app.config["MAX_CONTENT_LENGTH"] + 1)},
    )
    assert answer.status_code == 413
    assert 'href="/enquiry?position=phd-deep-learning-satellite-images"' in answer.get_data(True)


TOO_LARGE_HEADINGS = {"en": "The file is too large", "de": "Die Datei ist zu groß"}


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_too_large_page_answers_for_the_web_server_in_front(
    client: FlaskClient, language: str
) -> None:
    form = "/enquiry" if language == "en" else f"/{language}/enquiry"
    url, heading = f"{form}/too-large", TOO_LARGE_HEADINGS[language]
    # nginx asks for it, as a GET with the form's Referer, for a body it would not pass on.
    referer = f"https://localhost{form}?position=phd-deep-learning-satellite-images"
    answer = client.get(url, headers={"Referer": referer})
    assert answer.status_code == 413
    assert answer.headers["Cache-Control"] == "no-store"
    page = Page(answer.get_data(as_text=True))
    assert page.headings[0] == (1, heading)
    assert f"{form}?position=phd-deep-learning-satellite-images" in page.hrefs()
    assert client.get(url).status_code == 413, "without a Referer, too"


# --- Duplicates, closed positions, fields in error ------------------------------------------------


def test_a_duplicate_is_the_same_address_message_and_position(
    app: Flask, client: FlaskClient
) -> None:
    assert post_enquiry(client).status_code == 303
    assert post_enquiry(client).status_code == 303
    assert len(stored_enquiries(app)) == 1, "sent twice, stored once"
    assert post_enquiry(client, position="general").status_code == 303
    assert len(stored_enquiries(app)) == 2, "the same letter about another topic is another enquiry"


def test_a_link_to_a_position_that_never_was_says_so_and_offers_the_rest(
    client: FlaskClient,
) -> None:
    answer = client.get("/enquiry?position=postdoc-long-gone")
    text = text_of(answer)
    assert "The position this link names does not take applications." in text
    assert '<option value="">Choose one</option><option value="phd' in text, "nothing chosen"
    assert "General enquiry" in text


def test_fields_in_error_are_marked_for_screen_readers(client: FlaskClient) -> None:
    answer = post_enquiry(client, email="ada@", name="")
    html = answer.get_data(as_text=True)
    assert re.search(r'<input[^>]*aria-invalid="true"[^>]*id="email"', html) or re.search(
        r'<input[^>]*id="email"[^>]*aria-invalid="true"', html
    )
    assert re.search(r'id="message"[^>]*>', html) and 'aria-invalid="true" id="message"' not in html
