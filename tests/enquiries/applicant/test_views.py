"""The applicant's private page, opened from a real receipt: see, download, withdraw."""

import base64
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from flask_migrate import downgrade, upgrade
from itsdangerous import URLSafeSerializer
from werkzeug.test import TestResponse

from openpositions import create_app
from openpositions.enquiries import totals
from openpositions.enquiries.models import Enquiry, EnquiryDocument
from openpositions.enquiries.private_link import SALT, private_token
from openpositions.extensions import db
from openpositions.formatting import format_moment
from openpositions.queue import queue_of
from tests.support.app import (
    age_enquiries,
    an_enquiry,
    app_config,
    make_app,
    queued_tasks,
    store_as_at_0002,
    stored_enquiries,
)
from tests.support.forms import PDF_BYTES, post_enquiry
from tests.support.html import Page
from tests.support.metrics import parse_metrics
from tests.support.paths import PROJECT_DIR
from tests.support.receipts import path_of, private_link, receipt_to
from tests.support.smtp import SmtpSink, body_text, decoded_header
from tests.support.waiting import wait_until

SITE = "https://positions.example.org"
PROFESSOR = "professor@rsim.example.org"
MESSAGE = "Dear Prof. Demir, I would like to apply for the PhD position in deep learning."

pytestmark = pytest.mark.database


@pytest.fixture
def app(tmp_path: Path, smtp: SmtpSink, database: str) -> Iterator[Flask]:
    """The app with SITE_URL set: without it, the receipt carries no link."""
    app = make_app(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database, SITE_URL=SITE)
    yield app
    with app.app_context():
        db.engine.dispose()


def send_and_open_receipt(
    client: FlaskClient, smtp: SmtpSink, url: str = "/enquiry", **changes: object
) -> str:
    """Send an enquiry with a CV (to `url`: /de/enquiry in German); the path of the private
    link in the receipt that arrives."""
    # Any, as post_enquiry's own: mypy checks a dict's values against its headers argument too.
    fields: dict[str, Any] = {
        "message": MESSAGE,
        "cv": (PDF_BYTES, "Lebenslauf Ada.pdf", "application/pdf"),
        **changes,
    }
    expected = len(smtp.received) + 2
    assert post_enquiry(client, url=url, **fields).status_code == 303
    mails = smtp.wait_for(expected)
    address = str(changes.get("email", "ada@example.org"))
    link = private_link(receipt_to(mails, address))
    assert link.startswith(f"{SITE}/enquiry/yours/")
    return path_of(link)


def only_enquiry(app: Flask) -> Enquiry:
    (enquiry,) = stored_enquiries(app)
    return enquiry


def assert_private(response: TestResponse) -> None:
    headers = response.headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Robots-Tag"] == "noindex, nofollow"
    assert headers["Referrer-Policy"] == "same-origin"


def test_the_receipts_link_shows_everything_stored_in_the_applicants_language(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    path = send_and_open_receipt(client, smtp, name="Jürgen Ñúñez-Çelik")
    wait_until(lambda: only_enquiry(app).status == "sent")
    enquiry = only_enquiry(app)

    response = client.get(path)
    assert response.status_code == 200
    assert_private(response)
    page = Page(response.get_data(as_text=True))
    assert page.meta("name", "robots") == "noindex, nofollow"
    assert page.meta("name", "referrer") == "same-origin"
    assert page.all("html")[0]["lang"] == "en"
    for stored in (
        enquiry.reference,
        "Jürgen Ñúñez-Çelik",
        "ada@example.org",
        "PhD candidates in Deep Learning for Satellite Image Analysis",
        MESSAGE,
        "CV: Lebenslauf_Ada.pdf (PDF, 1 kB)",
    ):
        assert stored in page.text
    with app.app_context():
        assert f"Received {format_moment(enquiry.created_at)}" in page.text
        assert enquiry.notified_at is not None
        assert f"Prof. Begüm Demir, {format_moment(enquiry.notified_at)}" in page.text
    assert "Withdraw and delete" in page.text
    assert not page.scripts

    assert f"{path}/documents/cv.pdf" in page.hrefs()
    cv = client.get(f"{path}/documents/cv.pdf")
    assert cv.data == PDF_BYTES
    assert cv.headers["Content-Disposition"].startswith("attachment")
    assert_private(cv)


def test_the_json_download_holds_the_same_facts_and_the_documents(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    path = send_and_open_receipt(client, smtp)
    wait_until(lambda: only_enquiry(app).status == "sent")
    enquiry = only_enquiry(app)

    response = client.get(f"{path}/enquiry.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=enquiry-{enquiry.reference}.json"
    )
    assert_private(response)
    data = json.loads(response.data)
    assert data["reference"] == enquiry.reference
    assert data["name"] == "Ada Lovelace"
    assert data["email"] == "ada@example.org"
    assert data["position"] == {
        "slug": "phd-deep-learning-satellite-images",
        "title": "PhD candidates in Deep Learning for Satellite Image Analysis",
    }
    assert data["message"] == MESSAGE
    assert data["language"] == "en"
    (cv,) = data["documents"]
    assert (cv["key"], cv["label"], cv["file_name"]) == ("cv", "CV", "Lebenslauf_Ada.pdf")
    assert cv["size_bytes"] == len(PDF_BYTES)
    assert base64.b64decode(cv["content_base64"]) == PDF_BYTES
    assert cv["delivered_to_professor_at"] is not None
    assert data["answers"] == []
    # Times as the group's clock showed them, with the offset.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+0[12]:00", data["received_at"])
    assert data["delivery"]["status"] == "sent"
    assert data["delivery"]["delivered_to_professor_at"] is not None
    assert "private_link_secret" not in json.dumps(data)
    assert enquiry.private_link_secret not in response.get_data(as_text=True)


def test_withdrawing_deletes_at_once_and_tells_the_professor_without_the_content(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    path = send_and_open_receipt(client, smtp, name="Jürgen Ñúñez-Çelik")
    wait_until(lambda: only_enquiry(app).status == "sent")
    reference = only_enquiry(app).reference

    confirm = client.get(f"{path}/withdraw")
    assert confirm.status_code == 200
    assert_private(confirm)
    page = Page(confirm.get_data(as_text=True))
    assert page.headings[0] == (1, "Are you sure?")
    (form,) = page.all("form")
    assert form["method"] == "post"
    assert form["action"] == f"{path}/withdraw"
    assert stored_enquiries(app) != [], "the question deletes nothing"

    withdrawn = client.post(f"{path}/withdraw")
    assert withdrawn.status_code == 303
    assert_private(withdrawn)
    done = client.get(withdrawn.headers["Location"])
    assert done.status_code == 200
    assert "This enquiry has been withdrawn and deleted" in Page(done.get_data(as_text=True)).text
    assert stored_enquiries(app) == []
    with app.app_context():
        left = db.session.scalar(sa.select(sa.func.count()).select_from(Enquiry))
        assert left == 0, "the row is gone"
        documents = db.session.scalar(sa.select(sa.func.count()).select_from(EnquiryDocument))
        assert documents == 0, "and the CV with it"
        assert totals.current_totals()[totals.ENQUIRIES_WITHDRAWN] == 1
    assert (
        parse_metrics(client.get("/metrics").get_data(as_text=True))[
            "openpositions_enquiries_withdrawn_total"
        ]
        == 1
    )

    mails = smtp.wait_for(3)
    notice = mails[2]
    assert notice.rcpt_tos == [PROFESSOR]
    mail = notice.message
    assert decoded_header(mail["Subject"]) == f"Enquiry {reference} withdrawn by the applicant"
    assert mail["In-Reply-To"] == f"<{reference}.enquiry@rsim.example.org>"
    assert list(mail.iter_attachments()) == []
    raw = notice.raw.decode("ascii")
    text = body_text(mail, "plain")
    assert reference in text
    for content in ("Jürgen", "Ada", "ada@example.org", "apply for the PhD", "Lebenslauf"):
        assert content not in text and content not in raw

    gone = client.get(path)
    assert gone.status_code == 410
    assert_private(gone)
    gone_page = Page(gone.get_data(as_text=True)).text
    assert "This enquiry is no longer stored" in gone_page
    assert "deleted automatically 180 days after it was sent" in gone_page
    assert client.get(f"{path}/enquiry.json").status_code == 410
    assert client.get(f"{path}/documents/cv.pdf").status_code == 410
    assert client.post(f"{path}/withdraw").status_code == 410
    # A second withdrawal tells nobody anything again.
    wait_until(lambda: queued_tasks(app) == 0)
    assert len(smtp.received) == 3


def test_an_altered_token_is_not_found_and_another_enquirys_token_shows_only_that_one(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    adas = send_and_open_receipt(client, smtp)
    bobs = send_and_open_receipt(
        client, smtp, name="Bob Example", email="bob@example.org", message="A" * 30
    )
    ada_page = Page(client.get(adas).get_data(as_text=True)).text
    bob_page = Page(client.get(bobs).get_data(as_text=True)).text
    assert "Ada Lovelace" in ada_page and "Bob Example" not in ada_page
    assert "Bob Example" in bob_page and "Ada Lovelace" not in bob_page

    token = adas.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    for altered in (
        # The first character: the last one's low bits are base64 padding, not signature.
        payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:],
        payload[:-2] + "." + signature,
        token[:20],
        "RS-0000-0000",
    ):
        response = client.get(f"/enquiry/yours/{altered}")
        assert response.status_code == 404
        assert_private(response)
    # The reference, however it is put, opens nothing.
    reference = only_enquiry_named(app, "Ada Lovelace").reference
    assert client.get(f"/enquiry/yours/{reference}").status_code == 404


def only_enquiry_named(app: Flask, name: str) -> Enquiry:
    (enquiry,) = [enquiry for enquiry in stored_enquiries(app) if enquiry.name == name]
    return enquiry


def test_a_purged_enquirys_link_says_it_is_no_longer_stored(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, smtp: SmtpSink, consumer: None
) -> None:
    path = send_and_open_receipt(client, smtp)
    wait_until(lambda: only_enquiry(app).status == "sent")
    age_enquiries(app, days=2)
    result = runner.invoke(args=["enquiries", "purge", "--days", "1"])
    assert "Deleted 1 enquiries." in result.output
    response = client.get(path)
    assert response.status_code == 410
    assert "This enquiry is no longer stored" in Page(response.get_data(as_text=True)).text
    assert_private(response)


def test_a_link_whose_enquiry_id_went_to_a_new_enquiry_opens_nothing(
    app: Flask, client: FlaskClient
) -> None:
    # SQLite gives the highest id again once its row is deleted.
    assert post_enquiry(client).status_code == 303
    with app.app_context():
        old = db.session.scalars(sa.select(Enquiry)).one()
        old_path = f"/enquiry/yours/{private_token(old)}"
    assert client.post(f"{old_path}/withdraw").status_code == 303
    assert post_enquiry(client, message=MESSAGE).status_code == 303
    assert client.get(old_path).status_code == 410


def test_withdrawing_before_the_professors_mail_sends_nothing_at_all(
    app: Flask, client: FlaskClient, smtp: SmtpSink
) -> None:
    assert post_enquiry(client).status_code == 303
    with app.app_context():
        enquiry = db.session.scalars(sa.select(Enquiry)).one()
        path = f"/enquiry/yours/{private_token(enquiry)}"
    assert client.post(f"{path}/withdraw").status_code == 303
    assert stored_enquiries(app) == []

    # One worker takes the queue in order: once a later enquiry's mails are in, the withdrawn
    # one's delivery (and any notice queued before) has run.
    assert post_enquiry(client, email="bob@example.org", message=MESSAGE).status_code == 303
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        mails = smtp.wait_for(2)
        wait_until(lambda: queued_tasks(app) == 0)
    finally:
        queue.stop_in_process()
    assert sorted(recipient for mail in mails for recipient in mail.rcpt_tos) == [
        "bob@example.org",
        PROFESSOR,
    ]
    assert all("bob@example.org" in m.raw.decode() for m in mails)
    assert len(smtp.received) == 2


def test_a_withdrawal_while_the_professors_mail_is_being_sent_is_not_undone(
    app: Flask,
    client: FlaskClient,
    smtp: SmtpSink,
    consumer: None,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="openpositions")
    smtp.answering.clear()  # The relay holds its answer until the withdrawal is in: mid-send.
    assert post_enquiry(client).status_code == 303
    with app.app_context():
        enquiry = db.session.scalars(sa.select(Enquiry)).one()
        path = f"/enquiry/yours/{private_token(enquiry)}"
    # The relay has the professor's mail and is yet to answer: it is being sent.
    wait_until(smtp.taking_data.is_set)
    assert client.post(f"{path}/withdraw").status_code == 303
    smtp.answering.set()

    wait_until(lambda: "was withdrawn while being sent" in caplog.text)
    assert stored_enquiries(app) == []
    mails = smtp.wait_for(2)
    assert [m.rcpt_tos for m in mails] == [[PROFESSOR], [PROFESSOR]]
    subjects = {decoded_header(m.message["Subject"]) for m in mails}
    # The enquiry reached the professor, so the notice follows it; the receipt never went.
    assert f"Enquiry {enquiry.reference} withdrawn by the applicant" in subjects
    assert any(subject.startswith("Ada Lovelace – ") for subject in subjects)
    assert stored_enquiries(app) == []


def test_a_withdrawal_without_its_form_token_is_refused_and_deletes_nothing(
    tmp_path: Path, smtp: SmtpSink
) -> None:
    app = make_app(tmp_path, smtp.port, SITE_URL=SITE, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    with app.app_context():
        db.session.add(
            an_enquiry(reference="RS-TEST-0001", message=MESSAGE, language="de", fingerprint="x")
        )
        db.session.commit()
        path = f"/enquiry/yours/{private_token(db.session.scalars(sa.select(Enquiry)).one())}"

    assert client.post("/enquiry/yours/made-up/withdraw").status_code == 404
    refused = client.post(f"{path}/withdraw")
    assert refused.status_code == 400
    assert_private(refused)
    page = Page(refused.get_data(as_text=True))
    assert page.all("html")[0]["lang"] == "de", "the enquiry's language"
    assert "Sind Sie sicher?" in page.text
    assert "Es gibt ein Problem" in page.text
    assert "Die Seite war abgelaufen, daher wurde nichts gelöscht." in page.text
    assert len(stored_enquiries(app)) == 1

    confirm = Page(client.get(f"{path}/withdraw").get_data(as_text=True))
    (token_field,) = [i for i in confirm.all("input") if i.get("name") == "csrf_token"]
    accepted = client.post(f"{path}/withdraw", data={"csrf_token": token_field["value"]})
    assert accepted.status_code == 303
    assert accepted.headers["Location"].endswith("/withdrawn?lang=de")
    assert stored_enquiries(app) == []
    done = Page(client.get(accepted.headers["Location"]).get_data(as_text=True))
    assert "Diese Anfrage wurde zurückgezogen und gelöscht" in done.text
    with app.app_context():
        db.engine.dispose()


def test_the_page_follows_the_enquirys_language_and_its_own_switch(
    app: Flask, client: FlaskClient, smtp: SmtpSink, consumer: None
) -> None:
    path = send_and_open_receipt(client, smtp, url="/de/enquiry")
    receipt = receipt_to(smtp.received, "ada@example.org").message
    receipt_text = body_text(receipt, "plain")
    assert "auf einer privaten Seite ansehen, herunterladen oder zurückziehen" in receipt_text

    # Another browser, set to English: the page still speaks the enquiry's German.
    elsewhere = app.test_client()
    german = Page(elsewhere.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert german.all("html")[0]["lang"] == "de"
    assert "Zurückziehen und löschen" in german.text
    (switch,) = [attributes for attributes, text in german.anchors if text == "English"]
    assert switch["href"] == f"{path}?lang=en"
    english = Page(elsewhere.get(switch["href"]).get_data(as_text=True))
    assert english.all("html")[0]["lang"] == "en"
    assert "Withdraw and delete" in english.text
    # The switch's choice carries on to the next page.
    (withdraw,) = [a for a, text in english.anchors if text == "Withdraw and delete"]
    assert withdraw["href"] == f"{path}/withdraw?lang=en"


def test_without_site_url_the_receipt_carries_no_link(tmp_path: Path, smtp: SmtpSink) -> None:
    app = make_app(tmp_path, smtp.port)
    queue = queue_of(app)
    queue.start_in_process(workers=1)
    try:
        assert post_enquiry(app.test_client()).status_code == 303
        mails = smtp.wait_for(2)
    finally:
        queue.stop_in_process()
    receipt = receipt_to(mails, "ada@example.org")
    assert "/enquiry/yours/" not in receipt.raw.decode()
    with app.app_context():
        db.engine.dispose()


def test_other_pages_keep_the_sites_own_referrer_policy(client: FlaskClient) -> None:
    response = client.get("/enquiry")
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "X-Robots-Tag" not in response.headers


def test_the_migration_gives_every_stored_enquiry_a_secret_of_its_own(
    tmp_path: Path, smtp: SmtpSink, database: str
) -> None:
    app = create_app(app_config(tmp_path, smtp.port, SQLALCHEMY_DATABASE_URI=database))
    migrations = str(PROJECT_DIR / "migrations")
    with app.app_context():
        upgrade(directory=migrations, revision="0004")
        for number in range(2):
            store_as_at_0002(number, message=MESSAGE)
        db.session.commit()
        upgrade(directory=migrations)
        secrets = db.session.scalars(sa.select(Enquiry.private_link_secret)).all()
        withdrawn = totals.current_totals()[totals.ENQUIRIES_WITHDRAWN]
        db.session.commit()
        downgrade(directory=migrations, revision="0004")
        db.engine.dispose()
    assert len(set(secrets)) == 2 and all(len(secret) >= 43 for secret in secrets)
    assert withdrawn == 0


def test_a_private_link_tells_nothing_of_how_many_enquiries_came_in(
    app: Flask, client: FlaskClient
) -> None:
    for number in range(3):
        assert post_enquiry(client, message=f"{MESSAGE} ({number})").status_code == 303
    with app.app_context():
        enquiry = db.session.scalars(sa.select(Enquiry).order_by(Enquiry.id.desc())).first()
        assert enquiry is not None and enquiry.id == 3
        token = private_token(enquiry)
        # The signed part is readable by whoever has the link: it holds no id.
        payload = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
        assert payload == [enquiry.reference, enquiry.private_link_secret]
        # A link sent before, which carried the id, still opens its enquiry.
        serializer = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT)
        older = serializer.dumps([enquiry.id, enquiry.reference, enquiry.private_link_secret])
    assert client.get(f"/enquiry/yours/{token}").status_code == 200
    assert client.get(f"/enquiry/yours/{older}").status_code == 200
